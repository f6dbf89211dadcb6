from typing import Any

from flask import current_app
from flask_smorest import Blueprint

from api.auth import principal, requires
from catalogue import audit
from catalogue.principal import Role
from service.database import get_session

from .schemas import (
    AuditEventPageSchema,
    AuditEventQueryArgsSchema,
    ChainHeadSchema,
    ChainReportSchema,
    ChainVerifyArgsSchema,
)

blp = Blueprint("audit_events", __name__, description="The tamper-evident audit trail.")


@blp.route("/audit-events")
@blp.doc(operationId="listAuditEvents")
@requires()
@blp.arguments(AuditEventQueryArgsSchema, location="query")
@blp.response(200, AuditEventPageSchema)
def list_events(args: dict[str, Any]) -> dict[str, Any]:
    """Events newest first. The authority sees all; a supplier the events on its own objects;
    a commissioner those on its organisation's objects."""
    limit, cursor = args.pop("limit"), args.pop("cursor", None)
    events, next_cursor = audit.list_events(
        get_session(), principal(), audit.EventFilters(**args), limit, cursor
    )
    return {"items": events, "next_cursor": next_cursor}


def _anchor_key() -> str | None:
    key: str | None = current_app.config.get("GPSOC_AUDIT_ANCHOR_KEY")
    configured = current_app.config["GPSOC_SETTINGS"].audit_anchor_key
    return key or (configured.get_secret_value() if configured else None)


@blp.route("/audit-events/verify")
@blp.doc(operationId="verifyAuditChain")
@requires(Role.AUTHORITY)
@blp.arguments(ChainVerifyArgsSchema, location="query")
@blp.response(200, ChainReportSchema)
def verify(args: dict[str, Any]) -> audit.ChainReport:
    """Check the whole hash chain; if broken, name the first event that breaks it.

    With an anchor kept from `GET /audit-events/head` (`sequence`, `head_hash`, `signature`),
    also check that the event it names is still there with that hash: this detects the newest
    events deleted together with a rewound head. An anchor this service did not sign is a 422.
    """
    anchor = None
    if args:
        anchor = audit.ChainAnchor(args["sequence"], args["head_hash"].lower(), args["signature"])
        audit.check_anchor_signature(anchor, _anchor_key())
    return audit.verify_chain(get_session(), anchor=anchor)


@blp.route("/audit-events/head")
@blp.doc(operationId="getAuditChainHead")
@requires(Role.AUTHORITY)
@blp.response(200, ChainHeadSchema)
def head() -> dict[str, Any]:
    """The chain's head now, signed (HMAC-SHA256 with GPSOC_AUDIT_ANCHOR_KEY): keep it outside
    the database, and give it to `verify` later to prove nothing after it was removed."""
    anchor = audit.chain_head(get_session(), _anchor_key())
    return {
        "sequence": anchor.sequence,
        "head_hash": anchor.head_hash,
        "signature": anchor.signature,
        "algorithm": audit.ANCHOR_ALGORITHM,
    }
