"""Runs every benchmark in this folder in turn (each module with a `main()`), then prints one
table of every figure against its budget.

Exits non-zero when a benchmark crashes; a missed budget is not a failure of the run (the
table says MISSED), since the figures depend on the machine and its load.

    python -m benchmarks.run [name ...]     (default: all of them)
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import traceback
from pathlib import Path

from benchmarks.common import FIGURES, load, machine

SKIP = {"common", "run"}


def _names() -> list[str]:
    folder = Path(__file__).parent
    modules = sorted(pkgutil.iter_modules([str(folder)]), key=lambda m: m.name)
    return [m.name for m in modules if m.name not in SKIP and not m.name.startswith("_")]


def _verdict(met: bool | None) -> str:
    return "reported" if met is None else ("met" if met else "MISSED")


def main() -> int:
    wanted = sys.argv[1:] or _names()
    crashed: list[str] = []
    for name in wanted:
        benchmark = importlib.import_module(f"benchmarks.{name}")
        if not hasattr(benchmark, "main"):
            continue
        print(f"\n=== {name} ({load()}) ===", flush=True)
        sys.argv = [name]
        try:
            benchmark.main()
        except Exception:  # one crash must not hide the others' figures
            traceback.print_exc()
            crashed.append(name)
    print(f"\n=== summary: {machine()}, {load()} at the end ===")
    print("| benchmark | measure | figure | budget | verdict | load |")
    print("| --- | --- | --- | --- | --- | --- |")
    for f in FIGURES:
        print(
            f"| {f.benchmark} | {f.measure} | {f.figure} | {f.budget} | {_verdict(f.met)} "
            f"| {f.load} |"
        )
    for name in crashed:
        print(f"| {name} | CRASHED (see above) | | | | |")
    if crashed:
        print(f"{len(crashed)} benchmark(s) crashed: {', '.join(crashed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
