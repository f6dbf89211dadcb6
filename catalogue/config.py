"""Configuration read from the environment, with embedded defaults that need nothing installed."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    elasticsearch_url: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        data_dir = Path(env.get("GPSOC_DATA_DIR") or "./data")
        database_url = env.get("DATABASE_URL") or f"sqlite:///{(data_dir / 'gpsoc.sqlite3')}"
        return cls(
            data_dir=data_dir,
            database_url=database_url,
            elasticsearch_url=env.get("ELASTICSEARCH_URL") or None,
        )

    def ensure_data_dir(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
