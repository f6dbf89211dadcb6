"""Scoring a selection: 8 candidates x 40 criteria for a 20,000-patient practice.

Budget (DESIGN.md): p95 <= 20 ms. Three measurements:
- "score": catalogue.selections.scoring.score_selection on plain data (whole-life costs with
  tiered per-patient prices, eliminations, automatic and entered scores, ranking, sensitivity);
- "score + report": the same plus the rounded report the API and the exports print;
- "from the database": what GET /selections/{id}/result does behind HTTP: load the selection
  and its candidates' listings from SQLite, score, report.

    python -m benchmarks.selection_scoring [--runs 500]
"""

from __future__ import annotations

import argparse
import tempfile
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from benchmarks.common import machine, measure, p95, record, summary
from catalogue import selections
from catalogue.db import make_engine, make_session_factory
from catalogue.migrate import upgrade_to_head
from catalogue.models import (
    CatalogueItem,
    CriterionGroup,
    CriterionKind,
    Funding,
    ItemKind,
    Organisation,
    OrganisationKind,
    PricePeriod,
    PriceUnit,
    Requirement,
    Scoring,
    SelectionStatus,
    TierCalculation,
)
from catalogue.pricing import PriceTerms, Tier
from catalogue.principal import CONSOLE
from catalogue.selections.report import result_report
from catalogue.selections.scoring import (
    CandidateFacts,
    CriterionSpec,
    EnteredScore,
    ScoringInput,
    score_selection,
)

BUDGET_MS = 20.0
CANDIDATES = 8
CRITERIA = 40
LIST_SIZE = 20_000
CAPABILITIES = [f"cap-{n:02d}" for n in range(30)]
INTEROPERABILITY = frozenset(CAPABILITIES[:8])
GROUPS = list(CriterionGroup)


def _price(price_id: int, unit: PriceUnit, period: PricePeriod, tiers, calculation) -> PriceTerms:
    return PriceTerms(
        price_id=price_id,
        name=f"price {price_id}",
        unit=unit,
        period=period,
        tier_calculation=calculation,
        tiers=tuple(tiers),
        funding=Funding.CENTRAL if price_id % 2 else Funding.COMMISSIONER,
        funding_reason="benchmark",
        effective_from=date(2015, 1, 1),
    )


def plain_input() -> ScoringInput:
    candidates = []
    for n in range(CANDIDATES):
        base = 10 * n
        per_patient = [
            Tier(1, 5000, Decimal("0.32") + Decimal(n) / 100),
            Tier(5001, 15000, Decimal("0.28")),
            Tier(15001, None, Decimal("0.24")),
        ]
        prices = (
            _price(
                base + 1,
                PriceUnit.PRACTICE,
                PricePeriod.YEAR,
                [Tier(1, None, Decimal(3400 + 150 * n))],
                TierCalculation.VOLUME,
            ),
            _price(
                base + 2,
                PriceUnit.PATIENT,
                PricePeriod.YEAR,
                per_patient,
                TierCalculation.CUMULATIVE if n % 2 else TierCalculation.VOLUME,
            ),
            _price(
                base + 3,
                PriceUnit.PRACTICE,
                PricePeriod.MONTH,
                [Tier(1, None, Decimal("55.50"))],
                TierCalculation.VOLUME,
            ),
            _price(
                base + 4,
                PriceUnit.MIGRATION,
                PricePeriod.ONE_OFF,
                [Tier(1, None, Decimal(6000 + 100 * n))],
                TierCalculation.VOLUME,
            ),
        )
        held = frozenset(CAPABILITIES[n % 3 :: 1 + n % 2])
        candidates.append(
            CandidateFacts(
                n + 1, f"System {n + 1}", f"Supplier {n + 1}", 1, 2 + n % 2, held, prices
            )
        )
    criteria: list[CriterionSpec] = [
        CriterionSpec(
            1,
            "EPS",
            CriterionKind.MUST,
            requirement=Requirement.CAPABILITY,
            capabilities=(CAPABILITIES[3],),
        ),
        CriterionSpec(
            2,
            "Level 2",
            CriterionKind.MUST,
            requirement=Requirement.MIN_MATURITY_LEVEL,
            min_maturity_level=2,
        ),
        CriterionSpec(
            3,
            "Affordable",
            CriterionKind.MUST,
            requirement=Requirement.MAX_WHOLE_LIFE_COST,
            max_whole_life_cost=Decimal("100000"),
        ),
    ]
    for criterion_id in range(4, CRITERIA + 1):
        group = GROUPS[criterion_id % 4]
        if criterion_id % 5 == 0:
            scoring = Scoring.CAPABILITY_COVERAGE
            codes = tuple(CAPABILITIES[criterion_id % 20 : criterion_id % 20 + 5])
        elif group is CriterionGroup.INTEROPERABILITY and criterion_id % 3 == 0:
            scoring, codes = Scoring.INTEROPERABILITY, ()
        else:
            scoring, codes = Scoring.MANUAL, ()
        criteria.append(
            CriterionSpec(
                criterion_id,
                f"Criterion {criterion_id}",
                CriterionKind.SHOULD,
                group,
                1 + criterion_id % 3,
                scoring,
                codes,
            )
        )
    entered = {
        (criterion.id, candidate.item_id): EnteredScore(
            1 + (criterion.id + candidate.item_id) % 5, "benchmark justification"
        )
        for criterion in criteria
        if criterion.scoring is Scoring.MANUAL
        for candidate in candidates
    }
    return ScoringInput(
        price_weight=60,
        group_weights={group: 25 for group in GROUPS},
        list_size=LIST_SIZE,
        term_months=36,
        priced_on=date(2020, 1, 1),
        candidates=candidates,
        criteria=criteria,
        entered=entered,
        interoperability_capabilities=INTEROPERABILITY,
    )


def database_selection(directory: Path):
    """A seeded SQLite database with a selection of 8 candidates x 40 criteria."""
    from catalogue.seeding import seed_catalogue

    engine = make_engine(f"sqlite:///{directory / 'selection-bench.sqlite3'}")
    with engine.begin() as connection:
        upgrade_to_head(connection)
    factory = make_session_factory(engine)
    with factory.begin() as session:
        seed_catalogue(session)
        commissioner = session.scalars(
            select(Organisation).where(Organisation.kind == OrganisationKind.COMMISSIONER)
        ).first()
        practice = Organisation(
            kind=OrganisationKind.PRACTICE,
            ods_code="B99999",
            name="Benchmark practice",
            list_size=LIST_SIZE,
            commissioner_id=commissioner.id,
        )
        session.add(practice)
        session.flush()
        chosen = selections.create_selection(
            session, CONSOLE, name="bench", practice="B99999", framework="gpsoc-r", price_weight=60
        )
        systems = session.scalars(
            select(CatalogueItem.id).where(CatalogueItem.kind == ItemKind.SYSTEM).limit(CANDIDATES)
        ).all()
        selections.add_candidates(session, CONSOLE, chosen, systems)
        selections.add_criterion(
            session,
            CONSOLE,
            chosen,
            selections.CriterionInput(
                CriterionKind.MUST,
                "Level 2",
                requirement=Requirement.MIN_MATURITY_LEVEL,
                min_maturity_level=2,
            ),
        )
        for n in range(CRITERIA - 1):
            scoring = Scoring.INTEROPERABILITY if n % 10 == 0 else Scoring.MANUAL
            codes = ("eps", "gp2gp", "scr") if n % 7 == 0 else ()
            selections.add_criterion(
                session,
                CONSOLE,
                chosen,
                selections.CriterionInput(
                    CriterionKind.SHOULD,
                    f"Criterion {n}",
                    group=GROUPS[n % 4],
                    weight=1 + n % 3,
                    scoring=Scoring.CAPABILITY_COVERAGE if codes else scoring,
                    capabilities=codes,
                ),
            )
        entries = [
            selections.ScoreEntry(item_id, criterion.id, 1 + (criterion.id + item_id) % 5, "bench")
            for criterion in chosen.criteria
            if criterion.scoring is Scoring.MANUAL
            for item_id in systems
        ]
        selections.enter_scores(session, CONSOLE, chosen, entries)
        selection_id = chosen.id
    return factory, selection_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=500)
    args = parser.parse_args()

    data = plain_input()
    result = score_selection(data)
    assert len(result.ranked) + len(result.eliminated) == CANDIDATES
    print(
        f"selection scoring, {CANDIDATES} candidates x {CRITERIA} criteria, "
        f"{LIST_SIZE:,} patients; {machine()}"
    )
    worst = 0.0
    timings = measure(lambda: score_selection(data), args.runs)
    print(f"  score                  {summary(timings)}")
    worst = max(worst, p95(timings))
    record("selection_scoring", "score 8 x 40", f"p95 {p95(timings):.2f} ms", "", None)

    class _Selection:  # the fields result_report reads
        id, term_months, price_weight = 1, 36, 60
        status = SelectionStatus.DRAFT
        scoring_closed = False
        group_weights = data.group_weights

    timings = measure(lambda: result_report(_Selection, score_selection(data)), args.runs)
    print(f"  score + report         {summary(timings)}")
    worst = max(worst, p95(timings))
    record(
        "selection_scoring",
        "score + report, 8 x 40 (pure scoring)",
        f"p95 {worst:.2f} ms",
        f"p95 <= {BUDGET_MS:.0f} ms",
        worst <= BUDGET_MS,
    )

    with tempfile.TemporaryDirectory() as directory:
        factory, selection_id = database_selection(Path(directory))

        def from_database():
            with factory() as session:
                chosen = selections.get_selection(session, CONSOLE, selection_id)
                return result_report(chosen, selections.result_of(session, chosen))

        report = from_database()
        assert report["complete"], report["problems"]
        timings = measure(from_database, args.runs)
        print(f"  from the database      {summary(timings)}")
        record("selection_scoring", "from the database", f"p95 {p95(timings):.2f} ms", "", None)
        factory.kw["bind"].dispose()
    print(
        f"  budget p95 <= {BUDGET_MS:.0f} ms: {'met' if worst <= BUDGET_MS else 'MISSED'}"
        " (pure scoring)"
    )


if __name__ == "__main__":
    main()
