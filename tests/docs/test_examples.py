"""Every ```bash example of the docs runs against a real `gpsoc serve` (seeded, its own
database), as a reader would paste it: curl and all, with `set -euo pipefail`."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.api.servers import gpsoc_serve

ROOT = Path(__file__).resolve().parent.parent.parent
DOCUMENTED = "http://127.0.0.1:8000"
BLOCK = re.compile(r"^```bash\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _examples() -> list[tuple[str, str]]:
    found = []
    for page in sorted((ROOT / "docs").glob("*.md")):
        for number, block in enumerate(BLOCK.findall(page.read_text()), 1):
            found.append((f"{page.name}#{number}", block))
    return found


EXAMPLES = _examples()
# One served app for them all: on one xdist worker (make test runs --dist loadgroup).
pytestmark = pytest.mark.xdist_group("docs-examples")


def test_the_docs_have_curl_examples():
    assert sum("curl " in block for _, block in EXAMPLES) >= 5


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    directory = tmp_path_factory.mktemp("docs-examples")
    with gpsoc_serve(directory) as server:
        # The environment of `make serve`'s data, for the examples that run `gpsoc` too.
        yield (
            server.base,
            {
                "GPSOC_DATA_DIR": str(directory),
                "DATABASE_URL": f"sqlite:///{directory / 'serve.sqlite3'}",
            },
        )


@pytest.mark.parametrize(("where", "block"), EXAMPLES, ids=[where for where, _ in EXAMPLES])
def test_an_example_runs_against_a_served_app(served, where, block):
    base, environment = served
    script = block.replace(DOCUMENTED, base)
    env = {**os.environ, **environment}
    env.pop("ELASTICSEARCH_URL", None)
    env["PATH"] = f"{ROOT / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    done = subprocess.run(
        ["bash", "-c", "set -euo pipefail\n" + script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, (where, done.stdout[-2000:], done.stderr[-2000:])
    assert "Traceback" not in done.stdout + done.stderr
    # What the examples say they show.
    if "If-None-Match" in block:
        assert done.stdout.strip().endswith("304"), done.stdout
    if "Transfer-Encoding: chunked" in block:
        assert '"code":400' in done.stdout and '"code":413' in done.stdout, done.stdout
    if "not-a-token" in block:
        assert '"code":401' in done.stdout, done.stdout
