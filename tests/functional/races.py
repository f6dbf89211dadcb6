"""Helpers for the race tests, on `committed_app` (a database of its own whose commits are
real): sessions that commit, bearer headers, and requests released together from threads."""

from __future__ import annotations

import threading
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from catalogue.db import make_session_factory
from catalogue.principal import Role
from service.database import EXTENSION as DATABASE
from tests.factories import token


def committed_session(app: Flask) -> Session:
    """A session on the app's own database, outside any test transaction."""
    return make_session_factory(app.extensions[DATABASE].engine)()


def bearer(app: Flask, role: Role, **binding: int) -> dict[str, str]:
    """The Authorization header of a new, committed token of the role."""
    with committed_session(app) as session:
        secret = token(session, role, **binding)
        session.commit()
    return {"Authorization": f"Bearer {secret}"}


def race(app: Flask, count: int, request: Callable[[FlaskClient, int], object]) -> list:
    """Run `request(client, index)` from `count` threads released together; return the
    responses in index order."""
    barrier = threading.Barrier(count)
    responses: list = [None] * count

    def run(index: int) -> None:
        client = app.test_client()
        barrier.wait()
        responses[index] = request(client, index)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return responses
