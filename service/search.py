"""Per-app search state, shared by the API and the web pages: the engine, its drain lock, the
index keeper (the background drain and self-healing, search.keeper), the after-commit drain,
readiness and metrics; and a search request (its arguments and the query they make)."""

from __future__ import annotations

import atexit
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

from flask import Flask, Response, current_app, g
from marshmallow import ValidationError, fields, validate, validates_schema
from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy.orm import Session

from catalogue.config import DEFAULT_OUTBOX_LAG_LIMIT, Settings
from catalogue.db import writer_engine
from catalogue.models import Hosting, ItemKind
from catalogue.outbox import take_committed
from search import (
    DrainReport,
    SearchEngine,
    SearchQuery,
    drain_outbox,
    make_drain_lock,
    make_search_engine,
)
from search.documents import count_public
from search.indexer import outbox_backlog
from search.keeper import IndexKeeper, KeeperEvents
from search.locking import DrainLock
from search.query import MAX_RESULT_WINDOW, Sort
from service import database
from service.fields import CapabilityCode, Id, Money
from service.pagination import PageArgsSchema
from service.readiness import ReadyNote, add_readiness_check

log = logging.getLogger(__name__)

EXTENSION = "gpsoc_search"
# Where the app keeps its Prometheus metrics (api.observability installs them).
METRICS_EXTENSION = "gpsoc_metrics"


class SearchMetrics(Protocol):
    """The search metrics this module records, when the app records metrics."""

    drain_duration: Histogram
    drain_failures: Counter
    index_rebuilds: Counter
    outbox_pending: Gauge
    outbox_oldest_age: Gauge
    index_documents: Gauge


SERVING = "GPSOC_SERVING"  # config: the app is built to serve (start the keeper's thread)


@dataclass
class SearchState:
    engine: SearchEngine
    lock: DrainLock
    # Set by init_app; a state a test builds by hand has none (no healing, no background).
    keeper: IndexKeeper | None = None
    outbox_lag_limit: float = DEFAULT_OUTBOX_LAG_LIMIT
    drain_interval: float = field(default=0.0)


def init_app(app: Flask, settings: Settings) -> None:
    """Set up search for the app. The keeper's thread is started here when the app is built to
    serve (config GPSOC_SERVING: `gpsoc serve` builds the app in each gunicorn worker, and
    wsgi.py for other servers), unless GPSOC_SEARCH_DRAIN_INTERVAL is 0. An app built for
    anything else (a test, a script) never writes to an index behind its back: tests drive the
    keeper themselves (keeper.tick(), or start_keeper(app))."""
    db = app.extensions[database.EXTENSION]
    engine = make_search_engine(settings)
    lock = make_drain_lock(engine, db.engine, settings.data_dir)
    keeper = IndexKeeper(
        engine,
        lock,
        lambda: _read_session(app),
        lambda: _write_session(app),
        events=KeeperEvents(drained=_drain_observer(app), rebuilt=_rebuild_observer(app)),
    )
    current = SearchState(
        engine,
        lock,
        keeper,
        outbox_lag_limit=settings.outbox_lag_limit,
        drain_interval=settings.search_drain_interval,
    )
    app.extensions[EXTENSION] = current
    add_readiness_check(app, "search", lambda: state(app).engine.check())
    add_readiness_check(app, "index", lambda: _index_check(app))
    add_readiness_check(app, "outbox", lambda: _outbox_check(app))
    app.after_request(_drain_after_commit)
    if settings.search_drain_interval > 0 and app.config.get(SERVING):
        start_keeper(app)


def start_keeper(app: Flask) -> IndexKeeper:
    """Start the app's keeper thread: a tick now (drain, or rebuild a broken index), then one
    every drain interval; stopped when the process exits."""
    current = state(app)
    assert current.keeper is not None
    current.keeper.start(current.drain_interval or 2.0)
    atexit.register(current.keeper.stop, 5.0)
    return current.keeper


def state(app: Flask | None = None) -> SearchState:
    return (app or current_app).extensions[EXTENSION]


def _read_session(app: Flask | None = None) -> Session:
    return _database(app).session_factory()


def _write_session(app: Flask | None = None) -> Session:
    current = _database(app)
    if current.session_factory.kw.get("bind") is current.engine:
        return current.session_factory(bind=writer_engine(current.engine))
    return current.session_factory()  # bound elsewhere (a test's connection): keep that


def _database(app: Flask | None) -> database.DatabaseState:
    return (app or current_app).extensions[database.EXTENSION]


def _metrics(app: Flask) -> SearchMetrics | None:
    return cast("SearchMetrics | None", app.extensions.get(METRICS_EXTENSION))


def _drain_observer(app: Flask) -> Callable[[float, DrainReport], None]:
    def observe(seconds: float, report: DrainReport) -> None:
        metrics = _metrics(app)
        if metrics is None:
            return
        metrics.drain_duration.observe(seconds)
        if report.failed:
            metrics.drain_failures.inc()

    return observe


def _rebuild_observer(app: Flask) -> Callable[[float], None]:
    def observe(_seconds: float) -> None:
        metrics = _metrics(app)
        if metrics is not None:
            metrics.index_rebuilds.inc()

    return observe


def drain_now() -> DrainReport:
    """Index the outbox's pending changes now (in this request, after its commit)."""
    current = state()
    started = time.perf_counter()
    report = drain_outbox(current.engine, current.lock, _read_session, _write_session)
    if report.acknowledged or report.failed:
        _drain_observer(current_app)(time.perf_counter() - started, report)
    return report


def _drain_after_commit(response: Response) -> Response:
    session = g.get("db_session")
    if session is not None and take_committed(session):
        try:
            drain_now()
        except Exception:  # the change is committed; the outbox keeps it for the next drain
            log.exception("draining the search outbox failed")
    return response


def unusable_reason(app: Flask | None = None) -> str | None:
    """Why search cannot answer now (its index is being rebuilt), else None."""
    keeper = state(app).keeper
    return keeper.unusable if keeper is not None else None


# -- readiness and metrics


def _index_check(app: Flask) -> str | None:
    """The index's generation and document count against the database's searchable items;
    not ready while the index is missing, broken or being rebuilt."""
    current = state(app)
    if current.keeper is not None and current.keeper.unusable:
        return current.keeper.unusable
    try:
        status = current.engine.index_status()
    except Exception as error:  # the engine is down: the search check says so
        return f"index unknown: {error}"
    if status.generation is None:
        return "the search index is missing"
    if status.problem is not None:
        return f"the search index cannot be read: {status.problem}"
    with _read_session(app) as session:
        searchable = count_public(session)
    metrics = _metrics(app)
    if metrics is not None:
        metrics.index_documents.set(status.document_count)
    return ReadyNote(
        f"generation {status.generation}: {status.document_count} documents, "
        f"{searchable} searchable items in the database"
    )


def _outbox_check(app: Flask) -> str | None:
    """Outbox lag: the age of the oldest pending row; not ready past the limit."""
    current = state(app)
    backlog = outbox_backlog(lambda: _read_session(app))
    metrics = _metrics(app)
    if metrics is not None:
        metrics.outbox_pending.set(backlog.pending)
        metrics.outbox_oldest_age.set(backlog.oldest_age)
    text = f"{backlog.pending} pending, the oldest {backlog.oldest_age:.1f}s old"
    if backlog.oldest_age > current.outbox_lag_limit:
        return f"{text}: past the limit of {current.outbox_lag_limit:g}s"
    return ReadyNote(text)


def refresh_metrics(app: Flask) -> None:
    """Set the outbox and index gauges from the database and engine now (for /metrics)."""
    metrics = _metrics(app)
    if metrics is None:
        return
    current = state(app)
    try:
        backlog = outbox_backlog(lambda: _read_session(app))
        metrics.outbox_pending.set(backlog.pending)
        metrics.outbox_oldest_age.set(backlog.oldest_age)
        metrics.index_documents.set(current.engine.index_status().document_count)
    except Exception as error:  # metrics never fail the scrape
        log.warning("could not measure the search outbox or index: %s", error)


# --------------------------------------------------------------------------- a search request


class SearchArgsSchema(PageArgsSchema):
    page = fields.Integer(
        load_default=1,
        validate=validate.Range(min=1, max=MAX_RESULT_WINDOW),
        metadata={
            "description": (
                f"Pages reach at most hit {MAX_RESULT_WINDOW:,}: page x page_size may not "
                f"exceed {MAX_RESULT_WINDOW:,} (a 422 beyond; narrow the search instead)."
            )
        },
    )
    q = fields.String(
        load_default="",
        validate=validate.Length(max=200),
        metadata={
            "description": (
                "Free text. Every word must match (typos tolerated, English stemming) in a "
                'name, summary, supplier, capability or lot; "quoted phrases" match as '
                "written; a leading minus excludes a word or phrase. Descriptions add to the "
                "score but do not make an item match on their own. Brackets, wildcards and "
                "operators are not part of the syntax: a word or phrase with no letter or "
                "digit (`(`, `*`) is a 400, as is an unclosed quote."
            )
        },
    )
    framework = fields.String(validate=validate.Length(min=1, max=64))
    lot = fields.Integer(validate=validate.Range(min=1, max=1000))
    kind = fields.Enum(ItemKind, by_value=True)
    supplier = Id(metadata={"description": "Supplier id."})
    capability = fields.List(
        CapabilityCode(),
        load_default=list,
        validate=validate.Length(max=50),
        metadata={
            "description": "Capability code, in any case; repeat it to require several (all hold)."
        },
    )
    maturity_level = fields.Integer(
        validate=validate.Range(min=0, max=100), metadata={"description": "The minimum level."}
    )
    hosting = fields.Enum(Hosting, by_value=True)
    price_max = Money(
        metadata={
            "description": (
                "Most the item costs a practice per year (its per-practice yearly prices in "
                "effect, summed); items without such a price are left out."
            )
        },
    )
    planned_level = fields.Integer(
        validate=validate.Range(min=1, max=100),
        metadata={
            "description": (
                "Items not yet at this maturity level whose supplier's roadmap plans it (every "
                "capability it still needs has an entry not yet accredited), e.g. 2: does my "
                "supplier plan a Level 2 version?"
            )
        },
    )
    planned_by = fields.Date(
        metadata={
            "description": (
                "With planned_level: planned to reach it by this date (the latest target date "
                "of the capabilities it still needs is on or before it)."
            )
        },
    )
    sort = fields.Enum(
        Sort,
        by_value=True,
        load_default=Sort.RELEVANCE,
        metadata={"description": "relevance (by name when there is no text), name or price."},
    )

    @validates_schema
    def _planned_by_needs_a_level(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if data.get("planned_by") is not None and data.get("planned_level") is None:
            raise ValidationError(
                "Say which level (planned_level, e.g. 2) is planned by this date.",
                field_name="planned_level",
            )

    @validates_schema
    def _within_window(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if data.get("page", 1) * data.get("page_size", 20) > MAX_RESULT_WINDOW:
            raise ValidationError(
                f"page x page_size may not exceed {MAX_RESULT_WINDOW}; narrow the search.",
                field_name="page",
            )


def search_query(args: Mapping[str, Any], **overrides: Any) -> SearchQuery:
    kind, hosting = args.get("kind"), args.get("hosting")
    return SearchQuery(
        text=args.get("q") or "",
        framework=args.get("framework"),
        lot=args.get("lot"),
        kind=kind.value if kind else None,
        supplier_id=args.get("supplier"),
        capabilities=tuple(args.get("capability") or ()),
        min_maturity_level=args.get("maturity_level"),
        hosting=hosting.value if hosting else None,
        price_max=args.get("price_max"),
        planned_level=args.get("planned_level"),
        planned_by=args.get("planned_by"),
        **overrides,
    )
