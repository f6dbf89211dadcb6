"""Runs every benchmark in this folder in turn (each module with a `main()`)."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

SKIP = {"common", "run"}


def main() -> None:
    folder = Path(__file__).parent
    for module in sorted(pkgutil.iter_modules([str(folder)]), key=lambda m: m.name):
        if module.name in SKIP or module.name.startswith("_"):
            continue
        benchmark = importlib.import_module(f"benchmarks.{module.name}")
        if hasattr(benchmark, "main"):
            print(f"\n=== {module.name} ===", flush=True)
            sys.argv = [module.name]
            benchmark.main()


if __name__ == "__main__":
    main()
