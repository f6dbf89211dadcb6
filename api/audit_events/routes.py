from typing import Any

from flask_smorest import Blueprint

from api.auth import principal, requires
from catalogue import audit
from catalogue.principal import Role
from service.database import get_session

from .anchoring import anchor_file, anchor_key
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
    Given none, the newest anchor the service stored itself (every
    GPSOC_AUDIT_ANCHOR_INTERVAL seconds) is checked, if there is one.
    """
    anchor = None
    if args:
        anchor = audit.ChainAnchor(args["sequence"], args["head_hash"].lower(), args["signature"])
        audit.check_anchor_signature(anchor, anchor_key())
    else:
        anchor = audit.stored_anchor(anchor_file())
        if anchor is not None and anchor.signature is not None:
            audit.check_anchor_signature(anchor, anchor_key())
    return audit.verify_chain(get_session(), anchor=anchor)


@blp.route("/audit-events/head")
@blp.doc(operationId="getAuditChainHead")
@requires(Role.AUTHORITY)
@blp.response(200, ChainHeadSchema)
def head() -> dict[str, Any]:
    """The chain's head now, signed (HMAC-SHA256 with GPSOC_AUDIT_ANCHOR_KEY): keep it outside
    the database, and give it to `verify` later to prove nothing after it was removed."""
    anchor = audit.chain_head(get_session(), anchor_key())
    return {
        "sequence": anchor.sequence,
        "head_hash": anchor.head_hash,
        "signature": anchor.signature,
        "algorithm": audit.ANCHOR_ALGORITHM,
    }
