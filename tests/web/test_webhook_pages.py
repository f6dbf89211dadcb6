"""The journey in the pages: TPP's person registers an endpoint (its secret shown once), an
order is submitted, the endpoint receives `order.submitted` signed, TPP's person gets the email
and accepts the order from its link; then reads the delivery log and sends a delivery again."""

from __future__ import annotations

import json
import re

import pytest

from catalogue.principal import Role
from service.notify import Notifier, SmtpTransport
from tests.factories import migration_order_body, supplier_id
from tests.functional.orders import commissioner_caller, move, place
from tests.notifications.servers import smtp_server, webhook_receiver
from tests.web.conftest import csrf_token, sign_in
from tests.web.test_selection_pages import send

PAGE = "/account/webhooks"


@pytest.fixture
def allow_loopback(app):
    settings = app.config["GPSOC_SETTINGS"]
    app.config["GPSOC_SETTINGS"] = settings.replace(webhooks_allow_loopback=True)
    yield
    app.config["GPSOC_SETTINGS"] = settings


def test_tpp_registers_an_endpoint_gets_the_order_and_accepts_it_from_the_email(
    web, db, make_user, session_factory, allow_loopback
):
    make_user(Role.SUPPLIER, "ann@tpp.example", supplier_id=supplier_id(db, "tpp"))
    sign_in(web, "ann@tpp.example")
    with webhook_receiver() as receiver, smtp_server() as (inbox, port):
        form = {
            "url": receiver.url,
            "description": "Order management",
            "event_types": ["order.submitted", "order.cancelled"],
            "csrf_token": csrf_token(web, PAGE),
        }
        registered = web.post(PAGE, data=form)
        assert registered.status_code == 201
        page = registered.get_data(as_text=True)
        receiver.secret = re.search(r"<code data-secret>(whsec_[^<]+)</code>", page).group(1)
        assert "whsec_" not in web.get(PAGE).get_data(as_text=True)  # shown that once

        commissioner = commissioner_caller(web, db, "13T")
        order, etag = place(commissioner, migration_order_body(db))
        call_off_id = order["call_off_id"]
        assert move(commissioner, call_off_id, "submit", etag).status_code == 200
        notifier = Notifier(
            session_factory,
            SmtpTransport("127.0.0.1", port, starttls=False),
            "http://localhost",
            "GPSoC <noreply@example.org>",
            allow_loopback=True,
        )
        notifier.run_round()

        assert receiver.wait_for(lambda got: len(got) == 1)
        delivery = receiver.received[0]
        assert delivery.refusal == ""
        assert json.loads(delivery.body)["type"] == "order.submitted"
        (email,) = [m for m in inbox.wait_for(2) if "ann@tpp.example" in str(m["To"])]
        link = re.search(r"http://localhost(/\S+)", email.get_body(("plain",)).get_content())
        assert link is not None
        order_page = link.group(1)
        assert order_page == f"/supplier/orders/{call_off_id}"
        assert web.get(order_page).status_code == 200
        accepted = send(web, f"{order_page}/accept", {}, order_page)
        assert accepted.status_code == 303, accepted.get_data(as_text=True)[:2000]

        (endpoint_path,) = set(re.findall(r'href="(/account/webhooks/\d+)"', web.get(PAGE).text))
        log = web.get(endpoint_path).get_data(as_text=True)
        assert "order.submitted" in log and "204" in log and "sent" in log
        replay = re.search(r'action="(/account/webhooks/\d+/deliveries/\d+/replay)"', log)
        assert send(web, replay.group(1), {}, endpoint_path).status_code == 303
        notifier.run_round()
        assert receiver.wait_for(lambda got: len(got) == 2)

        off = send(web, f"{endpoint_path}/enabled", {"enabled": "false"}, endpoint_path)
        assert off.status_code == 303
        assert "Switch it back on" in web.get(endpoint_path).get_data(as_text=True)


def test_a_private_address_is_refused_in_the_page(web, db, make_user):
    make_user(Role.SUPPLIER, "al@tpp.example", supplier_id=supplier_id(db, "tpp"))
    sign_in(web, "al@tpp.example")
    form = {
        "url": "https://192.168.1.10/hooks",
        "event_types": ["order.submitted"],
        "csrf_token": csrf_token(web, PAGE),
    }
    refused = web.post(PAGE, data=form)
    assert refused.status_code == 400
    assert "Must be on a public address" in refused.get_data(as_text=True)
    nothing = web.post(PAGE, data={"url": "", "csrf_token": csrf_token(web, PAGE)})
    assert "Choose at least one kind of event" in nothing.get_data(as_text=True)


def test_the_authority_has_no_webhooks_page(web, db, make_user):
    make_user(Role.AUTHORITY, "root@nhs.example")
    sign_in(web, "root@nhs.example")
    assert web.get(PAGE).status_code == 403
