"""A signed-in person chooses which emails they get, for the kinds that can concern them."""

from __future__ import annotations

from catalogue import notifications
from catalogue.principal import Role
from tests.factories import supplier_id
from tests.web.conftest import csrf_token, sign_in


def test_a_supplier_person_chooses_a_daily_summary_of_orders(web, db, make_user):
    user, _ = make_user(Role.SUPPLIER, "ann@tpp.example", supplier_id=supplier_id(db, "tpp"))
    sign_in(web, "ann@tpp.example")
    page = web.get("/account/notifications")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "An order is placed with your organisation" in text
    assert "A listing is submitted for review" not in text  # the authority's, not theirs

    form = {kind.value: "immediately" for kind in notifications.types_for(Role.SUPPLIER)} | {
        "order.submitted": "daily",
        "csrf_token": csrf_token(web, "/account/notifications"),
    }
    saved = web.post("/account/notifications", data=form)
    assert saved.status_code == 303
    assert notifications.preferences(db, user.id)["order.submitted"] == "daily"
    again = web.get("/account/notifications").get_data(as_text=True)
    assert 'value="daily" checked' in again


def test_a_choice_missing_is_named_and_nothing_is_saved(web, db, make_user):
    user, _ = make_user(Role.SUPPLIER, "al@tpp.example", supplier_id=supplier_id(db, "tpp"))
    sign_in(web, "al@tpp.example")
    form = {"order.submitted": "never", "csrf_token": csrf_token(web, "/account/notifications")}
    refused = web.post("/account/notifications", data=form)
    assert refused.status_code == 400
    assert "Choose how you hear that" in refused.get_data(as_text=True)
    assert notifications.preferences(db, user.id)["order.submitted"] == "immediately"


def test_signed_out_visitors_are_sent_to_sign_in(web):
    response = web.get("/account/notifications")
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/sign-in")
