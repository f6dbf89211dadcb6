"""Webhook endpoints: registered by a supplier or an organisation for its own events.

An endpoint's URL is HTTPS on a public address. Private, loopback, link-local and other
special addresses are refused, here for a literal address or a name such as `localhost`, and
again by the sender for the addresses a name resolves to when it connects (a name can be
pointed anywhere later): the service must not be made to call into its own network. A test
setting allows loopback (and plain HTTP to it), for a receiver on 127.0.0.1.
"""

from __future__ import annotations

import base64
import ipaddress
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import audit
from ..errors import Forbidden, InvalidInput, NotFound
from ..models import WebhookEndpoint, utcnow
from ..principal import Principal, Role
from .events import WEBHOOK_TYPES

OBJECT_TYPE = "webhook_endpoint"
SECRET_PREFIX = "whsec_"
MAX_ENDPOINTS = 20  # per owner
_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


@dataclass(frozen=True)
class Owner:
    supplier_id: int | None = None
    organisation_id: int | None = None


def owner_of(actor: Principal) -> Owner:
    """The party whose endpoints the actor manages: its supplier or its organisation."""
    if actor.role is Role.SUPPLIER and actor.supplier_id is not None:
        return Owner(supplier_id=actor.supplier_id)
    if actor.role in (Role.COMMISSIONER, Role.PRACTICE) and actor.organisation_id is not None:
        return Owner(organisation_id=actor.organisation_id)
    raise Forbidden("Webhook endpoints belong to a supplier or an organisation.")


def new_secret() -> str:
    """A signing secret as the Standard Webhooks specification spells one: whsec_ + base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def address_refusal(address: str, allow_loopback: bool) -> str | None:
    """Why the service must not call this IP address, or None when it may."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return None if allow_loopback else "a loopback address"
    if ip.is_private or ip.is_link_local or ip.is_multicast or ip.is_reserved:
        return "a private or special-purpose address"
    if ip.is_unspecified or not ip.is_global:
        return "not a public address"
    return None


def url_problem(url: str, allow_loopback: bool) -> str | None:
    """What is wrong with an endpoint URL, or None."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "Not a URL."
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        return "Give a full URL, such as https://example.org/webhooks."
    if parts.username or parts.password:
        return "Must not carry a user name or password."
    if port == 0:
        return "Not a usable port."
    loopback = host in _LOOPBACK_NAMES
    try:
        refusal = address_refusal(host.strip("[]"), allow_loopback)
        loopback = loopback or ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a name: its addresses are checked when the sender connects
        refusal = None if (allow_loopback or not loopback) else "a loopback address"
    if refusal is not None:
        return f"Must be on a public address, not {refusal}."
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback and allow_loopback):
        return "Must be an https:// URL."
    return None


def _check(url: str, event_types: Iterable[str], allow_loopback: bool) -> None:
    errors: dict[str, list[str]] = {}
    problem = url_problem(url, allow_loopback)
    if problem:
        errors["url"] = [problem]
    unknown = sorted(set(event_types) - set(WEBHOOK_TYPES))
    if unknown:
        errors["event_types"] = [
            f"Not event types: {', '.join(unknown)}; choose from {', '.join(WEBHOOK_TYPES)}."
        ]
    if not list(event_types):
        errors["event_types"] = ["Choose at least one event type."]
    if errors:
        raise InvalidInput("The endpoint cannot be registered so.", errors)


def _record(
    session: Session, actor: Principal, action: str, endpoint: WebhookEndpoint, **changes: object
) -> None:
    audit.record(
        session,
        actor,
        f"webhook_endpoint.{action}",
        OBJECT_TYPE,
        endpoint.id,
        supplier_id=endpoint.supplier_id,
        organisation_id=endpoint.organisation_id,
        **changes,  # type: ignore[arg-type]
    )


def _shown(endpoint: WebhookEndpoint) -> dict[str, object]:
    return {
        "url": endpoint.url,
        "event_types": list(endpoint.event_types),
        "description": endpoint.description,
        "enabled": endpoint.disabled_at is None,
    }


def register(
    session: Session,
    actor: Principal,
    url: str,
    event_types: list[str],
    description: str = "",
    allow_loopback: bool = False,
) -> WebhookEndpoint:
    """Register an endpoint of the actor's party; its secret is on the returned object (the
    caller shows it once)."""
    owner = owner_of(actor)
    _check(url, event_types, allow_loopback)
    if len(list_endpoints(session, actor)) >= MAX_ENDPOINTS:
        raise InvalidInput(
            f"At most {MAX_ENDPOINTS} endpoints; remove one first.", {"url": ["Too many."]}
        )
    endpoint = WebhookEndpoint(
        supplier_id=owner.supplier_id,
        organisation_id=owner.organisation_id,
        url=url,
        description=description,
        event_types=sorted(set(event_types)),
        secret=new_secret(),
        created_by=actor.label,
    )
    session.add(endpoint)
    session.flush()
    _record(session, actor, "register", endpoint, after=_shown(endpoint))
    return endpoint


def list_endpoints(session: Session, actor: Principal) -> list[WebhookEndpoint]:
    owner = owner_of(actor)
    query = select(WebhookEndpoint).order_by(WebhookEndpoint.id)
    if owner.supplier_id is not None:
        query = query.where(WebhookEndpoint.supplier_id == owner.supplier_id)
    else:
        query = query.where(WebhookEndpoint.organisation_id == owner.organisation_id)
    return list(session.scalars(query))


def get_endpoint(session: Session, actor: Principal, endpoint_id: int) -> WebhookEndpoint:
    """The actor's party's endpoint; another party's is as missing as one that is not."""
    owner = owner_of(actor)
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or (Owner(endpoint.supplier_id, endpoint.organisation_id) != owner):
        raise NotFound(f"No webhook endpoint {endpoint_id}.")
    return endpoint


def update(
    session: Session,
    actor: Principal,
    endpoint: WebhookEndpoint,
    *,
    url: str | None = None,
    event_types: list[str] | None = None,
    description: str | None = None,
    enabled: bool | None = None,
    allow_loopback: bool = False,
) -> WebhookEndpoint:
    """Change an endpoint; `enabled=True` switches one back on after failures."""
    before = _shown(endpoint)
    _check(
        url if url is not None else endpoint.url,
        event_types if event_types is not None else endpoint.event_types,
        allow_loopback,
    )
    if url is not None:
        endpoint.url = url
    if event_types is not None:
        endpoint.event_types = sorted(set(event_types))
    if description is not None:
        endpoint.description = description
    if enabled is True:
        endpoint.disabled_at = endpoint.disabled_reason = None
    elif enabled is False and endpoint.disabled_at is None:
        endpoint.disabled_at = utcnow()
        endpoint.disabled_reason = f"Switched off by {actor.label}."
    endpoint.updated_at = utcnow()
    session.flush()
    audit.record_change(
        session,
        actor,
        "webhook_endpoint.update",
        OBJECT_TYPE,
        endpoint.id,
        before,
        _shown(endpoint),
        supplier_id=endpoint.supplier_id,
        organisation_id=endpoint.organisation_id,
    )
    return endpoint


def remove(session: Session, actor: Principal, endpoint: WebhookEndpoint) -> None:
    _record(session, actor, "remove", endpoint, before=_shown(endpoint))
    session.delete(endpoint)
    session.flush()
