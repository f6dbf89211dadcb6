"""Fixtures of the page tests: the app's search over an index of the test's own, accounts, and
a client that fills in the CSRF token as a browser's form would."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from catalogue import accounts
from catalogue.models import Organisation
from catalogue.principal import CONSOLE, Role
from search import reindex
from search.embedded import EmbeddedEngine
from search.locking import FileLock
from service.search import EXTENSION as SEARCH
from service.search import SearchState
from web.signing_in import EXTENSION as SIGN_IN

PASSWORD = "a long enough passphrase"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def indexed(app, connection, tmp_path):
    """The app's search swapped for an embedded index of this test's own, holding the seed."""
    sessions = sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
    state = SearchState(EmbeddedEngine(tmp_path / "search"), FileLock(tmp_path / "drain.lock"))
    reindex(state.engine, state.lock, sessions, sessions)
    previous = app.extensions[SEARCH]
    app.extensions[SEARCH] = state
    yield state
    app.extensions[SEARCH] = previous


@pytest.fixture
def web(app, client, indexed):
    """A test client of the pages, with no failed sign-ins counted."""
    app.extensions[SIGN_IN].storage.reset()
    return client


def csrf_token(client, url: str = "/sign-in") -> str:
    """The CSRF token a page's forms carry (bound to the client's session)."""
    match = CSRF.search(client.get(url).get_data(as_text=True))
    assert match, f"no form with a CSRF token on {url}"
    return match.group(1)


def post_form(client, url: str, data: dict, page: str = "/sign-in"):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, page)})


@pytest.fixture
def make_user(db):
    def make(role: Role, email: str, *, ods: str | None = None, supplier_id=None, link=False):
        organisation_id = None
        if ods is not None:
            organisation_id = db.scalar(select(Organisation.id).where(Organisation.ods_code == ods))
        user = accounts.create_user(
            db,
            CONSOLE,
            email=email,
            name=email.split("@")[0].title(),
            role=role,
            supplier_id=supplier_id,
            organisation_id=organisation_id,
            password=None if link else PASSWORD,
        )
        secret = accounts.issue_sign_in_link(db, CONSOLE, user) if link else None
        db.commit()
        return user, secret

    return make


def sign_in(client, email: str, password: str = PASSWORD):
    return post_form(client, "/sign-in", {"email": email, "password": password})
