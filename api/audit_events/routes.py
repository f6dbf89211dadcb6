from typing import Any

from flask_smorest import Blueprint

from api.auth import principal, requires
from catalogue import audit
from catalogue.principal import Role
from service.database import get_session

from .schemas import AuditEventPageSchema, AuditEventQueryArgsSchema, ChainReportSchema

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
@blp.response(200, ChainReportSchema)
def verify() -> audit.ChainReport:
    """Check the whole hash chain; if broken, name the first event that breaks it."""
    return audit.verify_chain(get_session())
