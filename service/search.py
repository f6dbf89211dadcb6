"""Per-app search state (the engine, its drain lock, the after-commit drain and readiness) and
a search request: its arguments (SearchArgsSchema) and the engine's query from them
(`search_query`), shared by /search, a selection's candidates and the search page."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, current_app, g
from marshmallow import ValidationError, fields, validate, validates_schema
from sqlalchemy.orm import Session

from catalogue.config import Settings
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
from search.locking import DrainLock
from search.query import MAX_RESULT_WINDOW, Sort

from . import database
from .fields import Id, Money
from .pagination import PageArgsSchema
from .readiness import add_readiness_check

log = logging.getLogger(__name__)

EXTENSION = "gpsoc_search"


@dataclass
class SearchState:
    engine: SearchEngine
    lock: DrainLock


def init_app(app: Flask, settings: Settings) -> None:
    db = app.extensions[database.EXTENSION]
    engine = make_search_engine(settings)
    app.extensions[EXTENSION] = SearchState(
        engine, make_drain_lock(engine, db.engine, settings.data_dir)
    )
    add_readiness_check(app, "search", lambda: state(app).engine.check())
    app.after_request(_drain_after_commit)


def state(app: Flask | None = None) -> SearchState:
    return (app or current_app).extensions[EXTENSION]


def _read_session() -> Session:
    return database.state().session_factory()


def _write_session() -> Session:
    current = database.state()
    if current.session_factory.kw.get("bind") is current.engine:
        return current.session_factory(bind=writer_engine(current.engine))
    return current.session_factory()  # bound elsewhere (a test's connection): keep that


def drain_now() -> DrainReport:
    """Index the outbox's pending changes now (in this request, after its commit)."""
    current = state()
    return drain_outbox(current.engine, current.lock, _read_session, _write_session)


def _drain_after_commit(response: Response) -> Response:
    session = g.get("db_session")
    if session is not None and take_committed(session):
        try:
            drain_now()
        except Exception:  # the change is committed; the outbox keeps it for the next drain
            log.exception("draining the search outbox failed")
    return response


# --------------------------------------------------------------------------- a search request


class SearchArgsSchema(PageArgsSchema):
    q = fields.String(
        load_default="",
        validate=validate.Length(max=200),
        metadata={
            "description": (
                "Free text. Every word must match (typos tolerated, English stemming) in a "
                'name, summary, supplier, capability or lot; "quoted phrases" match as '
                "written; a leading minus excludes a word or phrase. Descriptions add to the "
                "score but do not make an item match on their own."
            )
        },
    )
    framework = fields.String(validate=validate.Length(min=1, max=64))
    lot = fields.Integer(validate=validate.Range(min=1, max=1000))
    kind = fields.Enum(ItemKind, by_value=True)
    supplier = Id(metadata={"description": "Supplier id."})
    capability = fields.List(
        fields.String(validate=validate.Length(min=1, max=64)),
        load_default=list,
        metadata={"description": "Capability code; repeat it to require several (all hold)."},
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
    sort = fields.Enum(
        Sort,
        by_value=True,
        load_default=Sort.RELEVANCE,
        metadata={"description": "relevance (by name when there is no text), name or price."},
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
        **overrides,
    )
