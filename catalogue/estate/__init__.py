"""A practice's estate, the one truth about what it runs: its principal system, the level it
runs it at, the call-off lines (contracts) it runs under, and the history of each change.

`runs_now(practice)` is the one way to ask what a practice runs; only recorded events change
it (seeding, the authority's record, an order's go-live, the end of a line)."""

from catalogue.estate.changes import end_order_lines, go_live, record, seed
from catalogue.estate.current import Running, level_run, runs_now, system_id_now
from catalogue.estate.reading import Estate, Line, estate_of, history_of, is_live

__all__ = [
    "Estate",
    "Line",
    "Running",
    "end_order_lines",
    "estate_of",
    "go_live",
    "history_of",
    "is_live",
    "level_run",
    "record",
    "runs_now",
    "seed",
    "system_id_now",
]
