from flask import current_app, request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy.orm import Session

from api.auth import principal, requires
from api.common.concurrency import IF_MATCH_DOC, check_if_match, etag_data, etag_header
from api.common.downloads import download
from api.common.pagination import PageArgsSchema, page_body, page_of
from api.database import get_session, writing_session
from catalogue import orders
from catalogue.errors import InvalidInput, NotFound
from catalogue.models import CallOffMigration, CallOffOrder
from catalogue.orders.export import estimate_csv, estimate_xlsx
from catalogue.principal import Role

from . import presenters
from .schemas import (
    CostEstimateSchema,
    MigrationNoticeSchema,
    NoticeExtensionSchema,
    OrderCompletenessSchema,
    OrderCreateSchema,
    OrderQueryArgsSchema,
    OrderSchema,
    OrderSummarySchema,
    OrderTransitionSchema,
    OrderUpdateSchema,
)

blp = Blueprint(
    "orders",
    __name__,
    description="Call-off orders: commissioners buy from one supplier for their practices.",
)

KIND = "order"
MAX_KEY_LENGTH = 200
IDEMPOTENCY_DOC = {
    "parameters": [
        {
            "in": "header",
            "name": "Idempotency-Key",
            "required": False,
            "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
            "description": "Makes the POST safe to retry: a retry with the same key and body "
            "returns the first order (never a second); the same key with another body is a 422.",
        }
    ],
    "responses": {409: "DEFAULT_ERROR", 422: "DEFAULT_ERROR"},
}
BINARY = {"type": "string", "format": "binary"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _etag(order: CallOffOrder) -> dict[str, str]:
    return etag_header(KIND, order.call_off_id, order.version)


def _idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    key = key.strip()
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not key.isprintable():
        raise InvalidInput(
            "The Idempotency-Key header is not valid.",
            {"Idempotency-Key": [f"1 to {MAX_KEY_LENGTH} printable characters."]},
        )
    return key


def _locked_for_change(session: Session, call_off_id: str) -> CallOffOrder:
    """The order, row-locked, after the If-Match check: of racing writers one wins."""
    order = orders.get_order(session, principal(), call_off_id, for_update=True)
    check_if_match(KIND, order.call_off_id, order.version)
    return order


@blp.route("/orders")
class Orders(MethodView):
    @requires()
    @blp.arguments(OrderQueryArgsSchema, location="query")
    @blp.response(200, page_of(OrderSummarySchema))
    def get(self, args):
        """Orders the caller may see, newest first: a commissioner its own, a supplier those
        placed with it (once submitted), the authority all. Each revision is listed."""
        found, total = orders.list_orders(
            get_session(), principal(), args["page"], args["page_size"], args.get("status")
        )
        return page_body(
            [presenters.summary(o) for o in found], total, args["page"], args["page_size"]
        )

    @requires(Role.COMMISSIONER)
    @blp.doc(**IDEMPOTENCY_DOC)
    @blp.arguments(OrderCreateSchema)
    @blp.response(201, OrderSchema, headers={"ETag": {"schema": {"type": "string"}}})
    @blp.alt_response(
        404, response="DEFAULT_ERROR", description="The selection is not one of yours."
    )
    def post(self, body):
        """Place a draft order. Recipients must be your practices; items published items of
        the order's supplier on a live framework. With `selection_id` (a locked selection)
        the winner's prices, its supplier and the practice are filled in; your `items` are
        added to them. Retried with the same Idempotency-Key, it returns the first order."""
        key = _idempotency_key()
        session = writing_session()
        placed = orders.create_order(session, principal(), body, idempotency_key=key)
        session.commit()
        order = orders.get_order(session, principal(), placed.order.call_off_id)
        headers = {
            **_etag(order),
            "Location": url_for("orders.Order", call_off_id=order.call_off_id),
        }
        if not placed.created:
            headers["Idempotent-Replayed"] = "true"
        return presenters.detail(session, order), 201, headers


@blp.route("/orders/<string:call_off_id>")
class Order(MethodView):
    @requires()
    @blp.etag
    @blp.response(200, OrderSchema)
    @blp.alt_response(404, response="DEFAULT_ERROR")
    def get(self, call_off_id):
        """One revision of an order, with its funding per item and, for a migration, the
        bedding-in and notice dates and the priced audit-trail options."""
        session = get_session()
        order = orders.get_order(session, principal(), call_off_id)
        blp.set_etag(etag_data(KIND, order.call_off_id, order.version))
        return presenters.detail(session, order)

    @requires(Role.COMMISSIONER)
    @blp.doc(**IF_MATCH_DOC)
    @blp.arguments(OrderUpdateSchema)
    @blp.response(200, OrderSchema)
    @blp.alt_response(404, response="DEFAULT_ERROR")
    @blp.alt_response(409, response="DEFAULT_ERROR", description="The order is not a draft.")
    def patch(self, body, call_off_id):
        """Change a draft. Fields given replace the current ones (recipients and items as
        whole lists; quantities of recipients who stay are kept)."""
        session = writing_session()
        order = _locked_for_change(session, call_off_id)
        orders.update_order(session, principal(), order, body)
        session.commit()
        return presenters.detail(session, order), 200, _etag(order)


@blp.route("/orders/<string:call_off_id>/transitions/<string:transition>", methods=["POST"])
@requires(Role.COMMISSIONER, Role.SUPPLIER)
@blp.doc(**IF_MATCH_DOC)
@blp.arguments(OrderTransitionSchema)
@blp.response(200, OrderSchema)
@blp.alt_response(404, response="DEFAULT_ERROR")
@blp.alt_response(
    409,
    response="DEFAULT_ERROR",
    description="Not allowed from the current status (the allowed ones are named), or the "
    "order is not complete.",
)
def apply_transition(body, call_off_id, transition):
    """Move the order along its lifecycle: submit (the commissioner, when complete), accept
    (the supplier), go-live (records business go-live), complete; cancel before live and
    terminate after, each with a reason."""
    try:
        name = orders.Transition(transition)
    except ValueError as error:
        known = ", ".join(t.value for t in orders.Transition)
        raise NotFound(f"No transition {transition!r}; the transitions are {known}.") from error
    session = writing_session()
    order = _locked_for_change(session, call_off_id)
    orders.transition(
        session,
        principal(),
        order,
        name,
        reason=body.get("reason"),
        go_live_date=body.get("go_live_date"),
    )
    session.commit()
    return presenters.detail(session, order), 200, _etag(order)


@blp.route("/orders/<string:call_off_id>/amendments", methods=["POST"])
@requires(Role.COMMISSIONER)
@blp.doc(**IF_MATCH_DOC)
@blp.response(201, OrderSchema)
@blp.alt_response(404, response="DEFAULT_ERROR")
@blp.alt_response(409, response="DEFAULT_ERROR", description="Not live, or already amended.")
def amend(call_off_id):
    """Amend a live order: a new draft revision (C000014-02) copied from it. The live revision
    stays in force and readable until the amendment goes live."""
    session = writing_session()
    order = _locked_for_change(session, call_off_id)
    amendment = orders.amend_order(session, principal(), order)
    session.commit()
    amendment = orders.get_order(session, principal(), amendment.call_off_id)
    return presenters.detail(session, amendment), 201, _etag(amendment)


@blp.route("/orders/<string:call_off_id>/completeness")
@requires()
@blp.response(200, OrderCompletenessSchema)
@blp.alt_response(404, response="DEFAULT_ERROR")
def completeness(call_off_id):
    """What is missing before the order can be submitted, and advice that does not stop it
    (for a migration, the new supplier's deployment and data extract services)."""
    session = get_session()
    order = orders.get_order(session, principal(), call_off_id)
    missing = orders.completeness(session, order)
    return {"complete": not missing, "missing": missing, "prompts": orders.prompts(session, order)}


@blp.route("/orders/<string:call_off_id>/cost-estimate")
@requires()
@blp.response(200, CostEstimateSchema)
@blp.alt_response(404, response="DEFAULT_ERROR")
@blp.alt_response(409, response="DEFAULT_ERROR", description="No commencement date or term.")
def cost_estimate(call_off_id):
    """The business case: one-off and recurring costs in each year of the term, central and
    local, per recipient and in total (amounts exact, shown to the penny)."""
    session = get_session()
    order = orders.get_order(session, principal(), call_off_id, lines=False)
    # Built and encoded directly (the schema documents it), to keep within the latency budget:
    # a hundred practices make about 450 kB of JSON.
    body = presenters.estimate(orders.estimate_order(session, order))
    return current_app.json.response(body)


@blp.route("/orders/<string:call_off_id>/export.csv")
@requires()
@blp.response(200, BINARY, content_type="text/csv")
@blp.alt_response(404, response="DEFAULT_ERROR")
@blp.alt_response(409, response="DEFAULT_ERROR", description="No commencement date or term.")
def export_csv(call_off_id):
    """The cost estimate as CSV: a row per cost line per recipient, then the totals."""
    session = get_session()
    order = orders.get_order(session, principal(), call_off_id)
    content = estimate_csv(orders.estimate_order(session, order))
    return download(content, "text/csv", f"{order.call_off_id}.csv")


@blp.route("/orders/<string:call_off_id>/export.xlsx")
@requires()
@blp.response(200, BINARY, content_type=XLSX)
@blp.alt_response(404, response="DEFAULT_ERROR")
@blp.alt_response(409, response="DEFAULT_ERROR", description="No commencement date or term.")
def export_xlsx(call_off_id):
    """The order and its business case as a workbook: Order, Summary and Cost estimate."""
    session = get_session()
    order = orders.get_order(session, principal(), call_off_id)
    content = estimate_xlsx(order, orders.estimate_order(session, order))
    return download(content, XLSX, f"{order.call_off_id}.xlsx")


# -------------------------------------------------------------------- migration notices
NOTICE = "order-migration"


def _notice_key(migration: CallOffMigration) -> str:
    return f"{migration.order.call_off_id}/{migration.organisation.ods_code}"


def _notice_etag(migration: CallOffMigration) -> dict[str, str]:
    return etag_header(NOTICE, _notice_key(migration), migration.version)


def _notice_for_change(session: Session, call_off_id: str, ods_code: str) -> CallOffMigration:
    migration = orders.get_notice(session, principal(), call_off_id, ods_code, for_update=True)
    check_if_match(NOTICE, _notice_key(migration), migration.version)
    return migration


@blp.route("/migration-notices")
@requires()
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_of(MigrationNoticeSchema))
def migration_notices(args):
    """Migration notices: to a supplier, its departing practices on submitted orders (and
    the migrations of orders placed with it); to a commissioner, those of its orders; to the
    authority, all. Each is the migration only, nothing else of the order."""
    session = get_session()
    found, total = orders.list_notices(session, principal(), args["page"], args["page_size"])
    sources = presenters.Sources()
    items = [presenters.notice(session, m.order, m, sources) for m in found]
    return page_body(items, total, args["page"], args["page_size"])


@blp.route("/orders/<string:call_off_id>/migrations/<string:ods_code>")
@requires()
@blp.etag
@blp.response(200, MigrationNoticeSchema)
@blp.alt_response(404, response="DEFAULT_ERROR")
def migration_notice(call_off_id, ods_code):
    """One practice's migration: what the previous supplier is told (go-live, bedding-in end,
    notice date, the end of its service, the audit-trail option and its linked line) and
    whether it acknowledged it. Its ETag guards the acknowledgement and the extension."""
    session = get_session()
    migration = orders.get_notice(session, principal(), call_off_id, ods_code)
    blp.set_etag(etag_data(NOTICE, _notice_key(migration), migration.version))
    return presenters.notice(session, migration.order, migration)


@blp.route(
    "/orders/<string:call_off_id>/migrations/<string:ods_code>/acknowledgement", methods=["POST"]
)
@requires(Role.SUPPLIER)
@blp.doc(**IF_MATCH_DOC)
@blp.response(200, MigrationNoticeSchema)
@blp.alt_response(404, response="DEFAULT_ERROR")
@blp.alt_response(
    409, response="DEFAULT_ERROR", description="Already acknowledged, or the order is closed."
)
def acknowledge_notice(call_off_id, ods_code):
    """The previous supplier acknowledges the notice as it stands (audited)."""
    session = writing_session()
    migration = _notice_for_change(session, call_off_id, ods_code)
    orders.acknowledge(session, principal(), migration)
    session.commit()
    return presenters.notice(session, migration.order, migration), 200, _notice_etag(migration)


@blp.route(
    "/orders/<string:call_off_id>/migrations/<string:ods_code>/notice-extension",
    methods=["POST"],
)
@requires(Role.COMMISSIONER)
@blp.doc(**IF_MATCH_DOC)
@blp.arguments(NoticeExtensionSchema)
@blp.response(200, MigrationNoticeSchema)
@blp.alt_response(404, response="DEFAULT_ERROR")
@blp.alt_response(409, response="DEFAULT_ERROR", description="The order is a draft or closed.")
def extend_notice(body, call_off_id, ods_code):
    """The commissioner extends the notice period (the new system has problems): the previous
    service runs to `service_end`, locally funded after bedding-in, as the estimate shows; the
    previous supplier is asked to acknowledge again (audited)."""
    session = writing_session()
    migration = _notice_for_change(session, call_off_id, ods_code)
    orders.extend_notice(session, principal(), migration, body["service_end"], body["reason"])
    session.commit()
    return presenters.notice(session, migration.order, migration), 200, _notice_etag(migration)
