from typing import Any

from flask import Response, request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from api.auth import principal, requires
from api.common.concurrency import check_if_match, set_etag
from api.common.transitions import add_transition
from api.common.writes import NOT_FOUND_DOC, WRITE_DOC, ViewResult, write_response
from api.json import json_response
from catalogue import orders
from catalogue.errors import NotFound
from catalogue.models import CallOffMigration, CallOffOrder
from catalogue.orders.export import estimate_csv, estimate_xlsx
from catalogue.principal import Role
from catalogue.validation import FieldErrors
from service.database import get_session, writing_session
from service.downloads import BINARY, CSV, XLSX, download
from service.pagination import PageArgsSchema, page_of, page_response

from . import presenters
from .estimate_schemas import CostEstimateSchema
from .schemas import (
    FundingAgreementInputSchema,
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


def _idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    key = key.strip()
    problems = FieldErrors()
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not key.isprintable():
        problems.add("Idempotency-Key", f"1 to {MAX_KEY_LENGTH} printable characters.")
    problems.raise_if_any("The Idempotency-Key header is not valid.")
    return key


def _for_change(call_off_id: str) -> CallOffOrder:
    """The order, row-locked, after the If-Match check: of racing writers one wins."""
    order = orders.get_order(writing_session(), principal(), call_off_id, for_update=True)
    check_if_match(order)
    return order


def _detail(order: CallOffOrder) -> dict[str, Any]:
    return presenters.detail(writing_session(), order)


def _reloaded_detail(order: CallOffOrder) -> dict[str, Any]:
    """A new order (or revision) as stored, its lines loaded again after the commit."""
    session = writing_session()
    return presenters.detail(session, orders.get_order(session, principal(), order.call_off_id))


@blp.route("/orders")
class Orders(MethodView):
    @requires()
    @blp.doc(operationId="listOrders")
    @blp.arguments(OrderQueryArgsSchema, location="query")
    @blp.response(200, page_of(OrderSummarySchema))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Orders the caller may see, newest first: a commissioner its own, a supplier those
        placed with it (once submitted), the authority all. Each revision is listed."""
        session, caller, status = get_session(), principal(), args.get("status")
        return page_response(
            args,
            lambda page, page_size: orders.list_orders(session, caller, page, page_size, status),
            presenters.summary,
        )

    @requires(Role.COMMISSIONER)
    @blp.doc(operationId="createOrder", **IDEMPOTENCY_DOC)
    @blp.arguments(OrderCreateSchema)
    @blp.response(201, OrderSchema, headers={"ETag": {"schema": {"type": "string"}}})
    @blp.alt_response(
        404, response="DEFAULT_ERROR", description="The selection is not one of yours."
    )
    def post(self, body: dict[str, Any]) -> ViewResult:
        """Place a draft order. Recipients must be your practices; items published items of
        the order's supplier on a live framework. With `selection_id` (a locked selection)
        the winner's prices, its supplier and the practice are filled in; your `items` are
        added to them. Retried with the same Idempotency-Key, it returns the first order."""
        key = _idempotency_key()
        placed = orders.create_order(writing_session(), principal(), body, idempotency_key=key)
        headers = {"Location": url_for("orders.Order", call_off_id=placed.order.call_off_id)}
        if not placed.created:
            headers["Idempotent-Replayed"] = "true"
        return write_response(placed.order, 201, _reloaded_detail, headers)


@blp.route("/orders/<string:call_off_id>")
class Order(MethodView):
    @requires()
    @blp.doc(operationId="getOrder", **NOT_FOUND_DOC)
    @blp.etag
    @blp.response(200, OrderSchema)
    def get(self, call_off_id: str) -> dict[str, Any]:
        """One revision of an order, with its funding per item and, for a migration, the
        bedding-in and notice dates and the priced audit-trail options."""
        session = get_session()
        order = orders.get_order(session, principal(), call_off_id)
        set_etag(blp, order)
        return presenters.detail(session, order)

    # 409: the order is not a draft.
    @requires(Role.COMMISSIONER)
    @blp.doc(operationId="updateOrder", **WRITE_DOC)
    @blp.arguments(OrderUpdateSchema)
    @blp.response(200, OrderSchema)
    def patch(self, body: dict[str, Any], call_off_id: str) -> ViewResult:
        """Change a draft. Fields given replace the current ones (recipients and items as
        whole lists; quantities of recipients who stay are kept)."""
        order = _for_change(call_off_id)
        orders.update_order(writing_session(), principal(), order, body)
        return write_response(order, 200, _detail)


def _transition_order(body: dict[str, Any], call_off_id: str, transition: str) -> ViewResult:
    """Move the order along its lifecycle: submit (the commissioner, when complete), accept
    (the supplier), go-live (records business go-live), complete; cancel before live and
    terminate after, each with a reason."""
    try:
        name = orders.Transition(transition)
    except ValueError as error:
        known = ", ".join(t.value for t in orders.Transition)
        raise NotFound(f"No transition {transition!r}; the transitions are {known}.") from error
    order = _for_change(call_off_id)
    orders.transition(
        writing_session(),
        principal(),
        order,
        name,
        reason=body.get("reason"),
        go_live_date=body.get("go_live_date"),
    )
    return write_response(order, 200, _detail)


# One route names the transition (409: not allowed from the current status, the allowed ones
# named, or the order is not complete).
add_transition(
    blp,
    "/orders/<string:call_off_id>/transitions/<string:transition>",
    endpoint="apply_transition",
    operation_id="transitionOrder",
    summary=_transition_order.__doc__ or "",
    roles=[Role.COMMISSIONER, Role.SUPPLIER],
    response_schema=OrderSchema,
    apply=_transition_order,
    body_schema=OrderTransitionSchema,
)


# 409: the order is not a draft (or, for a withdrawal, there is no agreement); 422: the line is
# not additional IT the practice pays for.
@blp.route("/orders/<string:call_off_id>/items/<int:line_id>/funding-agreement")
class FundingAgreement(MethodView):
    @requires(Role.COMMISSIONER, Role.PRACTICE)
    @blp.doc(operationId="agreeOrderLineFunding", **WRITE_DOC)
    @blp.arguments(FundingAgreementInputSchema)
    @blp.response(200, OrderSchema)
    def put(self, body: dict[str, Any], call_off_id: str, line_id: int) -> ViewResult:
        """The caller's side agrees that the commissioner funds a line of additional IT (the
        GP practice IT infrastructure specification's class: the practice pays it otherwise),
        with its reason in words: the ordering commissioner for the line, a practice the order
        is for on its own behalf. Once both the commissioner and a practice have agreed, the
        line is paid by the commissioner for that practice, in the order, its cost estimate
        and exports; each agreement is audited with who agreed. A draft only; If-Match is the
        order's ETag. Given again, the reason is replaced."""
        order = _for_change(call_off_id)
        orders.agree_funding(writing_session(), principal(), order, line_id, body["reason"])
        return write_response(order, 200, _detail)

    @requires(Role.COMMISSIONER, Role.PRACTICE)
    @blp.doc(operationId="withdrawOrderLineFunding", **WRITE_DOC)
    @blp.response(200, OrderSchema)
    def delete(self, call_off_id: str, line_id: int) -> ViewResult:
        """The caller's side (the commissioner, or the practice for itself) withdraws its
        agreement: the practice pays the line again (audited; a draft only; If-Match is the
        order's ETag)."""
        order = _for_change(call_off_id)
        orders.withdraw_agreement(writing_session(), principal(), order, line_id)
        return write_response(order, 200, _detail)


# 409: the order is not live, or is already amended.
@blp.route("/orders/<string:call_off_id>/amendments", methods=["POST"])
@requires(Role.COMMISSIONER)
@blp.doc(operationId="amendOrder", **WRITE_DOC)
@blp.response(201, OrderSchema)
def amend(call_off_id: str) -> ViewResult:
    """Amend a live order: a new draft revision (C000014-02) copied from it. The live revision
    stays in force and readable until the amendment goes live."""
    order = _for_change(call_off_id)
    amendment = orders.amend_order(writing_session(), principal(), order)
    return write_response(amendment, 201, _reloaded_detail)


@blp.route("/orders/<string:call_off_id>/completeness")
@blp.doc(operationId="getOrderCompleteness")
@requires()
@blp.response(200, OrderCompletenessSchema)
@blp.alt_response(404, response="DEFAULT_ERROR")
def completeness(call_off_id: str) -> dict[str, Any]:
    """What is missing before the order can be submitted, and advice that does not stop it
    (for a migration, the new supplier's deployment and data extract services)."""
    session = get_session()
    order = orders.get_order(session, principal(), call_off_id)
    missing = orders.completeness(session, order)
    return {"complete": not missing, "missing": missing, "prompts": orders.prompts(session, order)}


@blp.route("/orders/<string:call_off_id>/cost-estimate")
@blp.doc(operationId="getOrderCostEstimate")
@requires()
@blp.response(200, CostEstimateSchema)
@blp.alt_response(404, response="DEFAULT_ERROR")
@blp.alt_response(409, response="DEFAULT_ERROR", description="No commencement date or term.")
def cost_estimate(call_off_id: str) -> Response:
    """The business case: one-off and recurring costs in each year of the term, central and
    local, per recipient and in total (amounts exact, shown to the penny)."""
    session = get_session()
    order = orders.get_order(session, principal(), call_off_id, lines=False)
    # Built and encoded directly (the schema documents it), to keep within the latency budget:
    # a hundred practices make about 450 kB of JSON.
    body = presenters.estimate(orders.estimate_order(session, order))
    return json_response(body)


@blp.route("/orders/<string:call_off_id>/export.csv")
@blp.doc(operationId="exportOrderCsv")
@requires()
@blp.response(200, BINARY, content_type=CSV)
@blp.alt_response(404, response="DEFAULT_ERROR")
@blp.alt_response(409, response="DEFAULT_ERROR", description="No commencement date or term.")
def export_csv(call_off_id: str) -> Response:
    """The cost estimate as CSV: a row per cost line per recipient, then the totals."""
    session = get_session()
    order = orders.get_order(session, principal(), call_off_id)
    content = estimate_csv(orders.estimate_order(session, order))
    return download(content, CSV, f"{order.call_off_id}.csv")


@blp.route("/orders/<string:call_off_id>/export.xlsx")
@blp.doc(operationId="exportOrderXlsx")
@requires()
@blp.response(200, BINARY, content_type=XLSX)
@blp.alt_response(404, response="DEFAULT_ERROR")
@blp.alt_response(409, response="DEFAULT_ERROR", description="No commencement date or term.")
def export_xlsx(call_off_id: str) -> Response:
    """The order and its business case as a workbook: Order, Summary and Cost estimate."""
    session = get_session()
    order = orders.get_order(session, principal(), call_off_id)
    content = estimate_xlsx(order, orders.estimate_order(session, order))
    return download(content, XLSX, f"{order.call_off_id}.xlsx")


# -------------------------------------------------------------------- migration notices


def _notice(migration: CallOffMigration) -> dict[str, Any]:
    return presenters.notice(writing_session(), migration.order, migration)


def _notice_for_change(call_off_id: str, ods_code: str) -> CallOffMigration:
    """The notice, row-locked, after the If-Match check on its own ETag."""
    session = writing_session()
    migration = orders.get_notice(session, principal(), call_off_id, ods_code, for_update=True)
    check_if_match(migration)
    return migration


@blp.route("/migration-notices")
@blp.doc(operationId="listMigrationNotices")
@requires()
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_of(MigrationNoticeSchema))
def migration_notices(args: dict[str, Any]) -> dict[str, Any]:
    """Migration notices: to a supplier, its departing practices on submitted orders (and
    the migrations of orders placed with it); to a commissioner, those of its orders; to the
    authority, all. Each is the migration only, nothing else of the order."""
    session, caller, sources = get_session(), principal(), presenters.Sources()
    return page_response(
        args,
        lambda page, page_size: orders.list_notices(session, caller, page, page_size),
        lambda m: presenters.notice(session, m.order, m, sources),
    )


@blp.route("/orders/<string:call_off_id>/migrations/<string:ods_code>")
@blp.doc(operationId="getMigrationNotice", **NOT_FOUND_DOC)
@requires()
@blp.etag
@blp.response(200, MigrationNoticeSchema)
def migration_notice(call_off_id: str, ods_code: str) -> dict[str, Any]:
    """One practice's migration: what the previous supplier is told (go-live, bedding-in end,
    notice date, the end of its service, the audit-trail option and its linked line) and
    whether it acknowledged it. Its ETag guards the acknowledgement and the extension."""
    session = get_session()
    migration = orders.get_notice(session, principal(), call_off_id, ods_code)
    set_etag(blp, migration)
    return presenters.notice(session, migration.order, migration)


# 409: already acknowledged, or the order is closed.
@blp.route(
    "/orders/<string:call_off_id>/migrations/<string:ods_code>/acknowledgement", methods=["POST"]
)
@requires(Role.SUPPLIER)
@blp.doc(operationId="acknowledgeMigrationNotice", **WRITE_DOC)
@blp.response(200, MigrationNoticeSchema)
def acknowledge_notice(call_off_id: str, ods_code: str) -> ViewResult:
    """The previous supplier acknowledges the notice as it stands (audited)."""
    migration = _notice_for_change(call_off_id, ods_code)
    orders.acknowledge(writing_session(), principal(), migration)
    return write_response(migration, 200, _notice)


# 409: already agreed, no planned date, or the order is live or closed.
@blp.route(
    "/orders/<string:call_off_id>/migrations/<string:ods_code>/go-live-agreement",
    methods=["POST"],
)
@requires(Role.PRACTICE)
@blp.doc(operationId="agreeMigrationGoLive", **WRITE_DOC)
@blp.response(200, MigrationNoticeSchema)
def agree_go_live(call_off_id: str, ods_code: str) -> ViewResult:
    """The practice agrees its migration's planned go-live, on its own order (seed 002: "the
    PCT, practice and supplier will need to agree a planned date"); audited. It stands while
    the planned date is the one agreed. If-Match: the migration's ETag (GET
    .../migrations/{ods_code})."""
    migration = _notice_for_change(call_off_id, ods_code)
    orders.agree_go_live(writing_session(), principal(), migration)
    return write_response(migration, 200, _notice)


# 409: the order is a draft or closed.
@blp.route(
    "/orders/<string:call_off_id>/migrations/<string:ods_code>/notice-extension",
    methods=["POST"],
)
@requires(Role.COMMISSIONER)
@blp.doc(operationId="extendMigrationNotice", **WRITE_DOC)
@blp.arguments(NoticeExtensionSchema)
@blp.response(200, MigrationNoticeSchema)
def extend_notice(body: dict[str, Any], call_off_id: str, ods_code: str) -> ViewResult:
    """The commissioner extends the notice period (the new system has problems): the previous
    service runs to `service_end`, locally funded after bedding-in, as the estimate shows; the
    previous supplier is asked to acknowledge again (audited)."""
    migration = _notice_for_change(call_off_id, ods_code)
    orders.extend_notice(
        writing_session(), principal(), migration, body["service_end"], body["reason"]
    )
    return write_response(migration, 200, _notice)
