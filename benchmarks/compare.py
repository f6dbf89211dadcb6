"""Compare at 50,000 items: `GET /api/v1/compare` of 3 and of 8 systems for a practice.

Budget (issue 27): p95 <= 20 ms for 3 systems and <= 40 ms for 8, in process (Flask's test
client: routing, arguments, SQL, the whole-life costs, JSON), with a number of SQL queries
that does not grow with the suppliers' catalogues.

    python -m benchmarks.compare [--items 50000] [--runs 200]

The systems are the first published system of each of the suppliers with the most services
(500 or more each at 50,000 items), so that loading the services compare shows is the
costly part; the practice is the seed's A81003 (on SystmOne, 19,860 patients).
"""

from __future__ import annotations

import argparse

from sqlalchemy import event, func, select

from api import create_app
from benchmarks.common import machine, measure, p95, record, summary, synthetic_database
from catalogue.db import make_session_factory
from catalogue.models import CatalogueItem, ItemKind, ItemStatus
from catalogue.selections.compare import compare_items

PRACTICE = "A81003"
BUDGETS_MS = {3: 20.0, 8: 40.0}


def systems_of_busy_suppliers(session, count: int) -> list[int]:
    services = (
        select(CatalogueItem.supplier_id, func.count().label("services"))
        .where(CatalogueItem.kind == ItemKind.SERVICE)
        .group_by(CatalogueItem.supplier_id)
        .order_by(func.count().desc(), CatalogueItem.supplier_id)
        .subquery()
    )
    chosen = []
    for (supplier_id,) in session.execute(select(services.c.supplier_id)):
        first = session.scalar(
            select(func.min(CatalogueItem.id)).where(
                CatalogueItem.supplier_id == supplier_id,
                CatalogueItem.kind == ItemKind.SYSTEM,
                CatalogueItem.status == ItemStatus.PUBLISHED,
            )
        )
        if first is not None:
            chosen.append(first)
        if len(chosen) == count:
            break
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()

    engine = synthetic_database(args.items)
    sessions = make_session_factory(engine)
    with sessions() as session:
        systems = systems_of_busy_suppliers(session, max(BUDGETS_MS))
    app = create_app({"DATABASE_ENGINE": engine})
    client = app.test_client()
    statements: list[int] = []
    event.listen(engine, "before_cursor_execute", lambda *a, **k: statements.append(1))

    print(f"compare over {args.items:,} synthetic items, practice {PRACTICE}; {machine()}")
    for count, budget in BUDGETS_MS.items():
        ids = systems[:count]
        url = f"/api/v1/compare?practice={PRACTICE}&ids=" + ",".join(map(str, ids))

        def request(url: str = url) -> None:
            response = client.get(url)
            assert response.status_code == 200, response.get_data(as_text=True)

        def domain(ids: list[int] = ids) -> None:
            with sessions() as session:
                compare_items(session, ids, practice_ods=PRACTICE)

        statements.clear()
        request()
        queries = len(statements)
        timings = measure(request, args.runs)
        domain_timings = measure(domain, args.runs)
        verdict = "met" if p95(timings) <= budget else "MISSED"
        print(f"  {count} systems, HTTP in process  {summary(timings)}  [{verdict}]")
        print(f"  {count} systems, compare_items    {summary(domain_timings)}; {queries} queries")
        record(
            "compare",
            f"{count} systems for a practice, in process",
            f"p95 {p95(timings):.2f} ms; {queries} queries",
            f"p95 <= {budget:.0f} ms",
            p95(timings) <= budget,
        )


if __name__ == "__main__":
    main()
