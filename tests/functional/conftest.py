"""Fixtures shared by the functional tests."""

from __future__ import annotations

import pytest

from api.search.extension import EXTENSION as SEARCH
from api.search.extension import SearchState
from search import reindex
from search.embedded import EmbeddedEngine
from search.locking import FileLock


@pytest.fixture
def indexed_search(app, session_factory, tmp_path):
    """The app's search swapped for an embedded index of this test's own, holding the seed (the
    index lives outside the test's rolled-back transaction)."""
    state = SearchState(EmbeddedEngine(tmp_path / "search"), FileLock(tmp_path / "drain.lock"))
    reindex(state.engine, state.lock, session_factory, session_factory)
    previous = app.extensions[SEARCH]
    app.extensions[SEARCH] = state
    yield state
    app.extensions[SEARCH] = previous
