"""A supplier's or an organisation's webhook endpoints in the browser: register one (its
signing secret shown once), see each one's delivery log, replay a delivery, switch an endpoint
off or back on. The same rules as the API (catalogue.notifications)."""

from __future__ import annotations

from flask import current_app, request
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from catalogue import notifications
from catalogue.models import WebhookEndpoint
from catalogue.principal import Role
from service.database import get_session

from .forms import Attempt, check_version, see_other, signed_in
from .pages import Page, Problems, blueprint, render

PARTIES = (Role.SUPPLIER, Role.COMMISSIONER, Role.PRACTICE)
PAGE = "/account/webhooks"


def _allow_loopback() -> bool:
    return bool(current_app.config["GPSOC_SETTINGS"].webhooks_allow_loopback)


def _list_page(
    problems: Problems | None = None,
    entries: dict[str, object] | None = None,
    registered: WebhookEndpoint | None = None,
    status: int = 200,
) -> Page:
    principal = signed_in(*PARTIES)
    return render(
        "webhooks.html",
        title="Webhook endpoints",
        breadcrumbs=[("Home", "/")],
        endpoints=notifications.list_endpoints(get_session(), principal),
        types=[
            (kind, notifications.DESCRIPTIONS[notifications.EventType(kind)])
            for kind in notifications.WEBHOOK_TYPES
        ],
        entries=entries or {"event_types": []},
        registered=registered,
        errors=list(problems or []),
        error_count=len(problems or []),
        status=status,
    )


@blueprint.get(PAGE)
def webhooks() -> Page:
    return _list_page()


@blueprint.post(PAGE)
def webhooks_register() -> ResponseReturnValue:
    principal = signed_in(*PARTIES)
    entries: dict[str, object] = {
        "url": request.form.get("url", "").strip()[:2000],
        "description": request.form.get("description", "").strip()[:200],
        "event_types": [t for t in request.form.getlist("event_types") if t],
    }
    attempt = Attempt()
    if not entries["url"]:
        attempt.add("#url", "Enter the endpoint's URL, such as https://example.org/webhooks.")
    if not entries["event_types"]:
        attempt.add("#event-types", "Choose at least one kind of event to send to it.")
    endpoint = attempt.run(
        lambda db: notifications.register(
            db,
            principal,
            str(entries["url"]),
            list(entries["event_types"]),  # type: ignore[call-overload]
            str(entries["description"]),
            allow_loopback=_allow_loopback(),
        )
    )
    if endpoint is None:
        return _list_page(attempt.problems, entries, status=400)
    # Shown here, once: the page is not redirected to, so a reload does not show it again.
    return _list_page(registered=endpoint, status=201)


def _endpoint(endpoint_id: int) -> WebhookEndpoint:
    principal = signed_in(*PARTIES)
    return notifications.get_endpoint(get_session(), principal, endpoint_id)


@blueprint.get(f"{PAGE}/<int:endpoint_id>")
def webhook(endpoint_id: int) -> Page:
    return _endpoint_page(endpoint_id)


def _endpoint_page(endpoint_id: int, problems: Problems | None = None, status: int = 200) -> Page:
    endpoint = _endpoint(endpoint_id)
    page = request.args.get("page", "1")
    number = int(page) if page.isdigit() and 0 < int(page) < 100_000 else 1
    log, total = notifications.endpoint_deliveries(get_session(), endpoint, number, 50)
    return render(
        "webhook.html",
        title=endpoint.url,
        breadcrumbs=[("Home", "/"), ("Webhook endpoints", PAGE)],
        endpoint=endpoint,
        log=log,
        total=total,
        page=number,
        pages=max(1, -(-total // 50)),
        page_url=lambda n: f"{PAGE}/{endpoint.id}?page={n}",
        errors=list(problems or []),
        error_count=len(problems or []),
        status=status,
    )


@blueprint.post(f"{PAGE}/<int:endpoint_id>/enabled")
def webhook_switch(endpoint_id: int) -> ResponseReturnValue:
    principal = signed_in(*PARTIES)
    switch_on = request.form.get("enabled") == "true"

    def change(db: Session) -> WebhookEndpoint:
        endpoint = notifications.get_endpoint(db, principal, endpoint_id)
        check_version(endpoint)
        return notifications.update(
            db, principal, endpoint, enabled=switch_on, allow_loopback=_allow_loopback()
        )

    attempt = Attempt()
    if attempt.run(change) is None:
        return _endpoint_page(endpoint_id, attempt.problems, 409 if attempt.stale else 400)
    return see_other(f"{PAGE}/{endpoint_id}")


@blueprint.post(f"{PAGE}/<int:endpoint_id>/deliveries/<int:delivery_id>/replay")
def webhook_replay(endpoint_id: int, delivery_id: int) -> ResponseReturnValue:
    principal = signed_in(*PARTIES)
    attempt = Attempt()
    attempt.run(
        lambda db: notifications.replay(
            db, notifications.get_endpoint(db, principal, endpoint_id), delivery_id
        )
    )
    if attempt.problems:
        return _endpoint_page(endpoint_id, attempt.problems, 400)
    return see_other(f"{PAGE}/{endpoint_id}")
