"""Catalogue list pages at 50,000 items: latency and SQL queries per request.

Budget (DESIGN.md): p95 <= 20 ms for a page of 50 items with prices, and a query count that
does not grow with the page size.

    python -m benchmarks.list_systems [--items 50000] [--runs 300]
"""

from __future__ import annotations

import argparse

from sqlalchemy import event

from api import create_app
from benchmarks.common import machine, measure, p95, record, summary, synthetic_database

QUERIES = {
    "all systems, page of 50": "/api/v1/systems?page_size=50",
    "lot 1, level >= 2, EPS, page of 50": (
        "/api/v1/systems?lot=1&maturity_level=2&capability=eps&page_size=50"
    ),
    "services of one category, page 20 of 50": (
        "/api/v1/services?category=training&page=20&page_size=50"
    ),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()

    engine = synthetic_database(args.items)
    app = create_app({"DATABASE_ENGINE": engine})
    client = app.test_client()

    statements = []
    event.listen(engine, "before_cursor_execute", lambda *a, **k: statements.append(1))

    def queries_for(url: str) -> int:
        statements.clear()
        response = client.get(url)
        assert response.status_code == 200, response.get_data(as_text=True)
        return len(statements)

    print(f"catalogue list pages over {args.items:,} synthetic items; {machine()}")
    for label, url in QUERIES.items():
        timings = measure(lambda url=url: client.get(url), args.runs)
        small = queries_for(url.replace("page_size=50", "page_size=5"))
        large = queries_for(url)
        verdict = "ok" if p95(timings) <= 20 else "OVER BUDGET"
        print(f"  {label:42s} {summary(timings)}  [{verdict}]")
        print(f"  {'':42s} SQL queries: {small} at page_size=5, {large} at page_size=50")
        record(
            "list_systems",
            label,
            f"p95 {p95(timings):.2f} ms; {small} / {large} queries",
            "p95 <= 20 ms, queries independent of page size",
            p95(timings) <= 20 and small == large,
        )


if __name__ == "__main__":
    main()
