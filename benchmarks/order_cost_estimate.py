"""The cost estimate of a migration order with 100 recipients and 5 items.

Budget (DESIGN.md): p95 <= 50 ms. Measured twice: the domain call (load the order and
estimate it) and the whole HTTP request (auth, load, estimate, serialise to JSON).

    python -m benchmarks.order_cost_estimate [--recipients 100] [--runs 200]
"""

from __future__ import annotations

import argparse
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from api import create_app
from benchmarks.common import BENCH_DIR, machine, measure, p95, record, summary
from catalogue import estate, orders
from catalogue.accounts import issue_token
from catalogue.db import make_engine, make_session_factory
from catalogue.migrate import upgrade_to_head
from catalogue.models import CatalogueItem, Organisation, OrganisationKind, Price, Supplier
from catalogue.orders.dates import period_end
from catalogue.principal import CONSOLE, Principal, Role

BUDGET_MS = 50
ITEMS = (
    ("systmone", "Annual practice licence"),
    ("systmone", "System support"),
    ("systmonline", "Annual practice licence"),
    ("systmone-deployment-migration", "Deployment and migration"),
    ("systmone-training", "Trainer day"),
)


def _practices(session: Session, commissioner: Organisation, count: int) -> list[str]:
    """`count` practices of the commissioner, made once, with assorted list sizes, all on
    EMIS LV (each practice's previous system is the one it runs)."""
    emis_lv = session.scalars(select(CatalogueItem).where(CatalogueItem.slug == "emis-lv")).one()
    codes = [f"B{90000 + n}" for n in range(count)]
    have = {
        practice.ods_code: practice
        for practice in session.scalars(
            select(Organisation).where(Organisation.ods_code.in_(codes))
        )
    }
    for n, code in enumerate(codes):
        if code not in have:
            session.add(
                Organisation(
                    kind=OrganisationKind.PRACTICE,
                    ods_code=code,
                    name=f"Benchmark Practice {n}",
                    commissioner_id=commissioner.id,
                    list_size=2_000 + 173 * n,
                )
            )
    session.flush()
    for practice in session.scalars(select(Organisation).where(Organisation.ods_code.in_(codes))):
        estate.seed(session, practice, emis_lv, None)
    session.flush()
    return codes


def _order_body(session: Session, codes: list[str]) -> dict:
    def price(slug: str, name: str) -> tuple[int, int]:
        return session.execute(
            select(CatalogueItem.id, Price.id)
            .join(Price, Price.item_id == CatalogueItem.id)
            .where(CatalogueItem.slug == slug, Price.name == name)
        ).one()

    items = []
    for slug, name in ITEMS:
        item_id, price_id = price(slug, name)
        # Training days vary by practice, so not every line costs the same.
        quantities = {code: 1 + n % 5 for n, code in enumerate(codes)} if "day" in name else {}
        items.append({"catalogue_item_id": item_id, "price_id": price_id, "quantities": quantities})
    start = date.today().replace(day=1)
    return {
        "framework": "gpsoc-r",
        "supplier_id": session.scalars(select(Supplier.id).where(Supplier.slug == "tpp")).one(),
        "commencement_date": start,
        "term_months": 36,
        "recipients": codes,
        "items": items,
        "migration": {
            "planned_go_live": period_end(start, 2),
            "audit_trail_option": "audit_trail_retrieval",
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--recipients", type=int, default=100)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()

    from catalogue.seeding import seed_catalogue

    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    engine = make_engine(f"sqlite:///{BENCH_DIR / 'bench-orders.sqlite3'}")
    with engine.begin() as connection:
        upgrade_to_head(connection)
    factory = make_session_factory(engine)
    with factory.begin() as session:
        seed_catalogue(session)
        commissioner = session.scalars(
            select(Organisation).where(Organisation.ods_code == "13T")
        ).one()
        codes = _practices(session, commissioner, args.recipients)
        actor = Principal(Role.COMMISSIONER, "benchmark", organisation_id=commissioner.id)
        # The idempotency key makes a rerun find the order made the first time.
        placed = orders.create_order(
            session,
            actor,
            _order_body(session, codes),
            idempotency_key=f"bench-migrations-{len(codes)}",
        )
        call_off_id = placed.order.call_off_id
        secret = issue_token(
            session, CONSOLE, Role.COMMISSIONER, "benchmark", organisation_id=commissioner.id
        ).secret

    def domain() -> None:
        with factory() as session:
            orders.estimate_order(
                session, orders.get_order(session, actor, call_off_id, lines=False)
            )

    app = create_app({"DATABASE_ENGINE": engine})
    client = app.test_client()
    url = f"/api/v1/orders/{call_off_id}/cost-estimate"
    headers = {"Authorization": f"Bearer {secret}"}

    def http() -> None:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)

    print(
        f"cost estimate of {call_off_id}: {args.recipients} recipients x {len(ITEMS)} items, "
        f"36 months, migration with audit-trail retrieval; {machine()}"
    )
    for label, call in (("domain (load + estimate)", domain), ("HTTP GET cost-estimate", http)):
        timings = measure(call, args.runs)
        verdict = "ok" if p95(timings) <= BUDGET_MS else "OVER BUDGET"
        print(f"  {label:28s} {summary(timings)}  [{verdict}, budget p95 <= {BUDGET_MS} ms]")
        record(
            "order_cost_estimate",
            label,
            f"p95 {p95(timings):.2f} ms",
            f"p95 <= {BUDGET_MS} ms",
            p95(timings) <= BUDGET_MS,
        )


if __name__ == "__main__":
    main()
