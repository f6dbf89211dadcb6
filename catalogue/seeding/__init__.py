"""Seeding: the reference catalogue from seed_data/*.yaml (`read` validates, `write` upserts
idempotently) and the synthetic bulk catalogue (`synthetic`).

Nothing here commits: the caller owns the session (and its transaction)."""

from . import read, synthetic, write
from .read import SEED_DIR, SeedDataError, load_seed
from .synthetic import seed_synthetic
from .write import SeedReport, seed_catalogue

__all__ = [
    "SEED_DIR",
    "SeedDataError",
    "SeedReport",
    "load_seed",
    "read",
    "seed_catalogue",
    "seed_synthetic",
    "synthetic",
    "write",
]
