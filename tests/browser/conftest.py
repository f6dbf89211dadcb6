"""Browser tests: the app served for real on a free loopback port over a seeded database, driven
by Debian's headless Chromium through Playwright (its driver comes with the pip package; no
browser is downloaded). One browser for the whole session (per test worker); each test gets a
fresh context (cookies, storage). Screenshots go under test-output/ (gitignored)."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.serving import make_server

from api import create_app
from catalogue import accounts
from catalogue.models import Organisation
from catalogue.principal import CONSOLE, Role
from search import reindex
from service.search import state as search_state
from tests.databases import fresh_database

REPOSITORY = Path(__file__).resolve().parents[2]
AXE = REPOSITORY / "node_modules" / "axe-core" / "axe.min.js"
OUTPUT = Path(os.environ.get("GPSOC_TEST_OUTPUT") or REPOSITORY / "test-output")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PRACTICE_EMAIL = "practice.manager@riverside.example.nhs.uk"
PRACTICE_PASSWORD = "a long practice passphrase"

pytestmark = pytest.mark.xdist_group("browser")
# The served app's sessions, for tests that make their own accounts (served_sessions).


def chromium_path() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    pytest.fail(
        "The browser tests need Debian's Chromium and it is not installed: run "
        "`apt-get install -y chromium` as root (make test does this when run as root).",
        pytrace=False,
    )


@dataclass(frozen=True)
class Site:
    """An app served for real: its base URL, and sessions on its database for a test's own
    accounts and records."""

    url: str
    sessions: sessionmaker[Session]


@contextmanager
def serving(data: Path, prepare: Callable[[Session], object]) -> Iterator[Site]:
    """Serve the app on a free loopback port over a fresh seeded database in `data`, after
    `prepare` has added what the tests need (accounts, say), with the search index built."""
    with fresh_database(data) as engine:
        app = create_app({"DATABASE_ENGINE": engine, "GPSOC_DATA_DIR": str(data)})
        sessions = sessionmaker(bind=engine)
        with sessions.begin() as session:
            prepare(session)
        state = search_state(app)
        reindex(state.engine, state.lock, sessions, sessions)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield Site(f"http://127.0.0.1:{server.server_port}", sessions)
        finally:
            server.shutdown()
            thread.join(timeout=10)


def _practice_manager(session: Session) -> None:
    practice = session.query(Organisation).filter_by(ods_code="A81001").one()
    accounts.create_user(
        session,
        CONSOLE,
        email=PRACTICE_EMAIL,
        name="Priya Manager",
        role=Role.PRACTICE,
        organisation_id=practice.id,
        password=PRACTICE_PASSWORD,
    )


@pytest.fixture(scope="session")
def shared_site(tmp_path_factory) -> Iterator[Site]:
    """The site most browser tests share: seeded, with a practice manager's account for
    A81001."""
    with serving(tmp_path_factory.mktemp("browser-data"), _practice_manager) as site:
        yield site


@pytest.fixture(scope="session")
def served(shared_site: Site) -> str:
    """The base URL the `page` fixture opens (a module may serve a site of its own)."""
    return shared_site.url


@pytest.fixture(scope="session")
def served_sessions(shared_site: Site) -> sessionmaker:
    """Sessions on the shared site's database, for a test to make its own accounts."""
    return shared_site.sessions


@pytest.fixture(scope="session")
def browser():
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # Playwright gives every launch a fresh, temporary user data directory.
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_FLAGS
        )
        try:
            yield browser
        finally:
            browser.close()


class Problems:
    """JavaScript errors seen on the pages of one test."""

    def __init__(self):
        self.errors: list[str] = []


@pytest.fixture
def page(browser, served):
    context = browser.new_context(base_url=served, accept_downloads=True)
    # axe-core comes with every page as an init script, which the pages' Content-Security-Policy
    # does not govern (the policy stays in force, and a script it refuses is a console error).
    context.add_init_script(script=axe_source())
    # Nothing leaves the machine (the design system's web fonts are on a CDN).
    context.route(
        lambda url: not url.startswith(served), lambda route: route.abort("blockedbyclient")
    )
    page = context.new_page()
    problems = Problems()
    page.on("pageerror", lambda error: problems.errors.append(f"page error: {error}"))

    def on_console(message):
        location = (message.location or {}).get("url", "")
        # A resource answering 404 is the test's business (status checks), not a script error.
        network = message.text.startswith("Failed to load resource")
        if message.type == "error" and location.startswith(served) and not network:
            problems.errors.append(f"console: {message.text} at {location}")

    page.on("console", on_console)
    page.problems = problems
    yield page
    context.close()
    assert problems.errors == [], "JavaScript errors on the pages"


@lru_cache(maxsize=1)
def axe_source() -> str:
    if not AXE.is_file():
        pytest.fail("axe-core is not installed: run `npm ci`.", pytrace=False)
    return AXE.read_text()


# WCAG 2.2 AA (each level's tags: axe's defaults leave wcag22aa out) and axe's best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def accessible(page, name: str) -> None:
    """Save a screenshot of the page as `name`, then run axe-core on it: no violations."""
    OUTPUT.joinpath("screenshots").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUTPUT / "screenshots" / f"{name}.png"), full_page=True)
    violations = page.evaluate(
        """async (tags) => {
            const results = await axe.run(document, {
                runOnly: {type: "tag", values: tags},
            });
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5),
            }));
        }""",
        AXE_TAGS,
    )
    assert violations == [], f"axe-core found problems on {page.url}"
