"""A real `gpsoc serve` for tests that need gunicorn itself: a database and data directory of
its own under `directory`, the embedded search engine, a free loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

GPSOC = Path(sys.executable).with_name("gpsoc")


@dataclass(frozen=True)
class Served:
    base: str  # http://127.0.0.1:PORT
    port: int
    process: subprocess.Popen[bytes]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def gpsoc_serve(
    directory: Path,
    *,
    prepare: Sequence[Sequence[str]] = (("init-db",), ("seed",)),
    env: dict[str, str] | None = None,
    boot_seconds: float = 120,
) -> Iterator[Served]:
    """Run `prepare`'s gpsoc commands, then serve with two workers until the block ends.
    Booting is not what these tests measure: on a loaded machine the workers take a while."""
    environment = {
        **os.environ,
        "GPSOC_DATA_DIR": str(directory),
        "DATABASE_URL": f"sqlite:///{directory / 'serve.sqlite3'}",
        **(env or {}),
    }
    environment.pop("PROMETHEUS_MULTIPROC_DIR", None)
    # The embedded engine: a shared cluster's default index is no test's to write.
    environment.pop("ELASTICSEARCH_URL", None)
    for command in prepare:
        subprocess.run(
            [GPSOC, *command], env=environment, check=True, capture_output=True, timeout=120
        )
    port = free_port()
    process = subprocess.Popen(
        [GPSOC, "serve", "--port", str(port), "--workers", "2"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + boot_seconds
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=5) as response:
                    response.read()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.2)
        yield Served(base, port, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
