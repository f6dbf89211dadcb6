"""Fixtures shared by the functional tests."""

from __future__ import annotations

import pytest

from search import reindex
from search.locking import FileLock
from service.search import EXTENSION as SEARCH
from service.search import SearchState
from tests.search.engines import ENGINES, make_engine


@pytest.fixture(params=ENGINES)
def search_engine(request, tmp_path):
    """Each engine in turn, with an index of the test's own (Elasticsearch when
    ELASTICSEARCH_URL is set)."""
    yield from make_engine(request.param, tmp_path)


@pytest.fixture
def indexed_search(app, session_factory, tmp_path, search_engine):
    """The app's search swapped for an index of this test's own, on each engine, holding the
    seed (the index lives outside the test's rolled-back transaction)."""
    state = SearchState(search_engine, FileLock(tmp_path / "drain.lock"))
    reindex(state.engine, state.lock, session_factory, session_factory)
    previous = app.extensions[SEARCH]
    app.extensions[SEARCH] = state
    yield state
    app.extensions[SEARCH] = previous
