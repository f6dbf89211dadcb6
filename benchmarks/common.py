"""Shared benchmark set-up: a seeded database with N synthetic items, built once and reused,
and latency statistics."""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import Engine, func, select
from tqdm import tqdm

from catalogue.db import make_engine, make_session_factory, refresh_statistics
from catalogue.migrate import upgrade_to_head
from catalogue.models import CatalogueItem

BENCH_DIR = Path(os.environ.get("GPSOC_BENCH_DIR", Path(__file__).parent / ".data"))


def synthetic_database(items: int = 50_000, random_seed: int = 7) -> Engine:
    """A SQLite database holding the seed catalogue plus `items` synthetic items."""
    from catalogue.seeding import seed_catalogue, seed_synthetic

    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    engine = make_engine(f"sqlite:///{BENCH_DIR / f'bench-{items}-{random_seed}.sqlite3'}")
    with engine.begin() as connection:
        upgrade_to_head(connection)
    factory = make_session_factory(engine)
    with factory.begin() as session:
        seed_catalogue(session)
        have = session.scalar(
            select(func.count(CatalogueItem.id)).where(CatalogueItem.slug.like("synthetic-%"))
        )
    if have < items:
        with (
            factory.begin() as session,
            tqdm(total=items, initial=have, unit="item", desc="synthetic", file=sys.stderr) as bar,
        ):
            seed_synthetic(session, items, random_seed=random_seed, progress=bar.update)
        refresh_statistics(engine)
    return engine


def measure(call: Callable[[], object], runs: int, warmup: int = 20) -> list[float]:
    """Wall-clock milliseconds of `runs` calls, after `warmup` unmeasured ones."""
    for _ in range(warmup):
        call()
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def summary(timings: list[float]) -> str:
    ordered = sorted(timings)
    p50 = statistics.median(ordered)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    return f"p50 {p50:.2f} ms  p95 {p95:.2f} ms  (n={len(ordered)})"


def p95(timings: list[float]) -> float:
    ordered = sorted(timings)
    return ordered[max(0, int(len(ordered) * 0.95) - 1)]


def machine() -> str:
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{date.today().isoformat()}"
    )


def load() -> str:
    """The 1-minute load average, as printed beside every figure (the machine may be shared)."""
    return f"load {os.getloadavg()[0]:.1f}"


@dataclass(frozen=True)
class Figure:
    """One line of `make bench`'s table: what was measured against its budget."""

    benchmark: str
    measure: str
    figure: str
    budget: str
    met: bool | None  # None: reported, no budget
    load: str


FIGURES: list[Figure] = []


def record(benchmark: str, measure: str, figure: str, budget: str, met: bool | None) -> None:
    """Keep a figure for the table that benchmarks.run prints at the end."""
    FIGURES.append(Figure(benchmark, measure, figure, budget, met, load()))
