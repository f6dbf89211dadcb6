"""Webhook endpoints: a supplier or an organisation registers its own, reads each one's
delivery log, and replays a delivery."""

from typing import Any

from flask import current_app
from flask_smorest import Blueprint

from api.auth import principal, requires
from api.common.concurrency import check_if_match, set_etag
from api.common.writes import NOT_FOUND_DOC, WRITE_DOC, ViewResult, write_response
from catalogue import notifications
from catalogue.models import WebhookEndpoint
from catalogue.principal import Role
from service.database import get_session, writing_session
from service.pagination import PageArgsSchema, page_of, page_of_list, page_response

from .schemas import (
    DeliverySchema,
    EndpointCreateSchema,
    EndpointSchema,
    EndpointUpdateSchema,
    RegisteredEndpointSchema,
)

blp = Blueprint(
    "webhooks",
    __name__,
    description="Webhook endpoints of a supplier or an organisation, signed as the Standard "
    "Webhooks specification says (webhook-id, webhook-timestamp, webhook-signature).",
)

PARTIES = (Role.SUPPLIER, Role.COMMISSIONER, Role.PRACTICE)


def _allow_loopback() -> bool:
    return bool(current_app.config["GPSOC_SETTINGS"].webhooks_allow_loopback)


@blp.route("/webhook-endpoints", methods=["POST"])
@blp.doc(operationId="createWebhookEndpoint")
@requires(*PARTIES)
@blp.arguments(EndpointCreateSchema)
@blp.response(201, RegisteredEndpointSchema)
def create_endpoint(body: dict[str, Any]) -> ViewResult:
    """Register an endpoint of the caller's own supplier or organisation. The response is the
    only time its signing secret is shown."""
    endpoint = notifications.register(
        writing_session(), principal(), allow_loopback=_allow_loopback(), **body
    )
    return write_response(endpoint, 201, present=_with_secret)


def _with_secret(endpoint: WebhookEndpoint) -> dict[str, Any]:
    shown = {name: getattr(endpoint, name) for name in EndpointSchema().fields}
    return {**shown, "secret": endpoint.secret}


@blp.route("/webhook-endpoints", methods=["GET"])
@blp.doc(operationId="listWebhookEndpoints")
@requires(*PARTIES)
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_of(EndpointSchema))
def list_endpoints(args: dict[str, Any]) -> dict[str, Any]:
    """The caller's own endpoints, without their secrets."""
    return page_of_list(args, notifications.list_endpoints(get_session(), principal()))


@blp.route("/webhook-endpoints/<int:endpoint_id>", methods=["GET"])
@blp.doc(operationId="getWebhookEndpoint", **NOT_FOUND_DOC)
@requires(*PARTIES)
@blp.etag
@blp.response(200, EndpointSchema)
def get_endpoint(endpoint_id: int) -> WebhookEndpoint:
    """One of the caller's endpoints."""
    endpoint = notifications.get_endpoint(get_session(), principal(), endpoint_id)
    set_etag(blp, endpoint)
    return endpoint


@blp.route("/webhook-endpoints/<int:endpoint_id>", methods=["PATCH"])
@blp.doc(operationId="updateWebhookEndpoint", **WRITE_DOC)
@requires(*PARTIES)
@blp.arguments(EndpointUpdateSchema)
@blp.response(200, EndpointSchema)
def update_endpoint(body: dict[str, Any], endpoint_id: int) -> ViewResult:
    """Change an endpoint's URL, event types or description, or switch it off or on again
    (deliveries held while it was off then go)."""
    session = writing_session()
    endpoint = notifications.get_endpoint(session, principal(), endpoint_id)
    check_if_match(endpoint)
    notifications.update(session, principal(), endpoint, allow_loopback=_allow_loopback(), **body)
    return write_response(endpoint)


@blp.route("/webhook-endpoints/<int:endpoint_id>", methods=["DELETE"])
@blp.doc(operationId="deleteWebhookEndpoint", **WRITE_DOC)
@requires(*PARTIES)
@blp.response(204)
def delete_endpoint(endpoint_id: int) -> ViewResult:
    """Remove an endpoint, with its delivery log."""
    session = writing_session()
    endpoint = notifications.get_endpoint(session, principal(), endpoint_id)
    check_if_match(endpoint)
    notifications.remove(session, principal(), endpoint)
    return write_response(endpoint, 204)


@blp.route("/webhook-endpoints/<int:endpoint_id>/deliveries", methods=["GET"])
@blp.doc(operationId="listWebhookDeliveries", **NOT_FOUND_DOC)
@requires(*PARTIES)
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_of(DeliverySchema))
def list_deliveries(args: dict[str, Any], endpoint_id: int) -> dict[str, Any]:
    """The endpoint's delivery log, newest first: each delivery's status, attempts, and its
    last attempt's response code and latency."""
    session = get_session()
    endpoint = notifications.get_endpoint(session, principal(), endpoint_id)
    return page_response(
        args,
        lambda page, size: notifications.endpoint_deliveries(session, endpoint, page, size),
    )


@blp.route(
    "/webhook-endpoints/<int:endpoint_id>/deliveries/<int:delivery_id>/replay", methods=["POST"]
)
@blp.doc(operationId="replayWebhookDelivery", **NOT_FOUND_DOC)
@requires(*PARTIES)
@blp.response(202, DeliverySchema)
def replay_delivery(endpoint_id: int, delivery_id: int) -> dict[str, Any]:
    """Send one delivery again, now (with the same webhook-id), and a fresh retry schedule."""
    session = writing_session()
    endpoint = notifications.get_endpoint(session, principal(), endpoint_id)
    notifications.replay(session, endpoint, delivery_id)
    session.commit()
    items, _ = notifications.endpoint_deliveries(session, endpoint, only=delivery_id)
    return items[0]
