"""Orders in the browser, with the Flask test client: who may use which page, a migration order
placed through the forms to submit, refusals explained on the page, a stale page a conflict that
keeps the person's entries, and the practice's read-only view with its dates."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from catalogue import orders, selections
from catalogue.models import AuditEvent, CallOffOrder, OrderStatus
from catalogue.orders.dates import months_after
from catalogue.principal import Role
from tests.factories import (
    COMMISSIONER_ODS,
    FOREIGN_PRACTICE,
    OTHER_PRACTICE,
    PRACTICE,
    commencement,
    commissioner_principal,
    item,
    item_id,
    lock_by_signatures,
    migration_go_live,
    migration_order_body,
    order_lines,
    price_ids,
    supplier_id,
)
from web.order_pages import payer_totals, payers

from .conftest import post_form, sign_in

COMMISSIONER = "cara@newcastle-gateshead.example.nhs.uk"
PRACTICE_EMAIL = "priya@riverside.example.nhs.uk"
VERSION = re.compile(r'name="version" value="(\d+)"')


@pytest.fixture
def commissioner(web, make_user):
    make_user(Role.COMMISSIONER, COMMISSIONER, ods=COMMISSIONER_ODS)
    sign_in(web, COMMISSIONER)
    return web


def _version(client, url: str) -> str:
    match = VERSION.search(client.get(url).get_data(as_text=True))
    assert match, f"no version on {url}"
    return match.group(1)


def _placed(db, **overrides) -> CallOffOrder:
    """The seeded migration order (Riverside, EMIS LV to SystmOne), placed as the API would."""
    body = migration_order_body(db, **overrides)
    body["commencement_date"] = date.fromisoformat(body["commencement_date"])
    migration = body.get("migration") or {}
    if migration.get("planned_go_live"):
        migration["planned_go_live"] = date.fromisoformat(migration["planned_go_live"])
    placed = orders.create_order(db, commissioner_principal(db), body)
    db.commit()
    return placed.order


def _text(response) -> str:
    return response.get_data(as_text=True)


def _day(value: date) -> str:
    return f"{value.day}/{value.month}/{value.year}"


def test_orders_are_for_commissioners_and_practices_only(web, make_user):
    anonymous = web.get("/orders")
    assert anonymous.status_code == 303
    assert anonymous.headers["Location"].startswith("/sign-in?next=")

    make_user(Role.SUPPLIER, "sam@tpp.example.com", supplier_id=1)
    sign_in(web, "sam@tpp.example.com")
    refused = web.get("/orders")
    assert refused.status_code == 403
    assert "Your account cannot use this page." in _text(refused)
    assert web.get("/orders/new").status_code == 403


def test_a_commissioner_places_a_migration_order_through_the_forms(db, commissioner):
    tpp = supplier_id(db, "tpp")
    started = post_form(
        commissioner,
        "/orders/new",
        {"start": "hand", "framework": "gpsoc-r", "supplier_id": tpp, "key": "k1"},
        page="/orders/new",
    )
    assert started.status_code == 303
    url = started.headers["Location"]
    call_off_id = url.rsplit("/", 1)[1]
    page = _text(commissioner.get(url))
    assert "Not started" in page and "nhsuk-task-list" in page

    start = commencement()
    details = post_form(
        commissioner,
        f"{url}/details",
        {
            "description": "Riverside to SystmOne",
            "commencement_date": _day(start),
            "term_months": "36",
            "version": _version(commissioner, f"{url}/details"),
        },
        page=url,
    )
    assert details.status_code == 303

    # Practices are found by name or ODS code, only the commissioner's own.
    found = _text(commissioner.get(f"{url}/recipients?q=riverside"))
    assert PRACTICE in found and OTHER_PRACTICE not in found
    assert FOREIGN_PRACTICE not in _text(commissioner.get(f"{url}/recipients?q=M82"))
    recipients = post_form(
        commissioner,
        f"{url}/recipients",
        {"recipients": [PRACTICE], "version": _version(commissioner, f"{url}/recipients")},
        page=url,
    )
    assert recipients.status_code == 303

    for slug in ("systmone", "systmone-deployment-migration"):
        for price in price_ids(db, slug).values():
            added = post_form(
                commissioner,
                f"{url}/items",
                {
                    **_quantities(commissioner, f"{url}/items"),
                    "add": f"{item_id(db, slug)}:{price}",
                    "version": _version(commissioner, f"{url}/items"),
                },
                page=url,
            )
            assert added.status_code == 303, _text(added)
    items_page = _text(commissioner.get(f"{url}/items"))
    assert 'value="1"' in items_page and "Funding:" in items_page

    order_page = _text(commissioner.get(url))
    assert f"/orders/{call_off_id}/migrations/{PRACTICE}" in order_page
    step = _text(commissioner.get(f"{url}/migrations/{PRACTICE}"))
    assert "EMIS LV" in step  # the previous system
    options = re.findall(r'name="audit_trail_option" type="radio" value="(\w+)"', step)
    assert sorted(options) == sorted(
        ["full_support", "single_user_retention", "audit_trail_retrieval"]
    )

    go_live = migration_go_live(start)
    worked_out = post_form(
        commissioner,
        f"{url}/migrations/{PRACTICE}",
        {
            "planned_go_live": _day(go_live),
            "audit_trail_option": "",
            "action": "dates",
            "version": _version(commissioner, f"{url}/migrations/{PRACTICE}"),
        },
        page=url,
    )
    shown = _text(worked_out)
    bedding_in_end = months_after(go_live, 3)
    assert bedding_in_end.strftime("%-d %B %Y") in shown
    # Priced for the practice, dearest first: the costs shown fall.
    costs = [
        float(amount.replace(",", "")) for amount in re.findall(r"£([\d,]+\.\d\d) from", shown)
    ]
    assert len(costs) >= 2 and costs == sorted(costs, reverse=True), re.findall(
        r"radios__hint[^<]*", shown
    )
    assert (
        db.scalar(select(CallOffOrder).where(CallOffOrder.call_off_id == call_off_id)).migrations
        == []
    )  # working the dates out saves nothing

    saved = post_form(
        commissioner,
        f"{url}/migrations/{PRACTICE}",
        {
            "planned_go_live": _day(go_live),
            "audit_trail_option": "audit_trail_retrieval",
            "action": "save",
            "version": _version(commissioner, f"{url}/migrations/{PRACTICE}"),
        },
        page=url,
    )
    assert saved.status_code == 303, _text(saved)

    ready = _text(commissioner.get(url))
    assert "The order is complete." in ready
    assert bedding_in_end.strftime("%-d %B %Y") in ready

    case = commissioner.get(f"{url}/business-case")
    assert case.status_code == 200
    assert "Baseline" in _text(case) and "<svg" in _text(case)
    workbook = commissioner.get(f"{url}/business-case.xlsx")
    assert workbook.status_code == 200
    assert "attachment" in workbook.headers["Content-Disposition"]
    assert load_workbook(io.BytesIO(workbook.data)).sheetnames
    csv = commissioner.get(f"{url}/business-case.csv")
    assert call_off_id in csv.get_data(as_text=True)

    submitted = post_form(
        commissioner, f"{url}/submit", {"version": _version(commissioner, url)}, page=url
    )
    assert submitted.status_code == 303
    db.expire_all()
    order = db.scalar(select(CallOffOrder).where(CallOffOrder.call_off_id == call_off_id))
    assert order.status is OrderStatus.SUBMITTED
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.object_id == call_off_id)).all()
    assert "order.submit" in actions and "order.create" in actions
    history = _text(commissioner.get(url))
    assert "Order submitted" in history and "Submit the order" not in history


def _quantities(client, url: str) -> dict[str, str]:
    """The quantity fields of the items form as the page fills them in."""
    page = _text(client.get(url))
    return dict(
        re.findall(
            r'name="(items-\d+-quantity-\w+)" type="text" inputmode="numeric" '
            r'value="(\d*)"',
            page,
        )
    )


def test_per_patient_quantities_are_filled_from_list_sizes(db, commissioner):
    placed = orders.create_order(
        db,
        commissioner_principal(db),
        {
            "framework": "gpsoc-r",
            "supplier_id": supplier_id(db, "scanwise"),
            "recipients": [PRACTICE, OTHER_PRACTICE],
        },
    )
    db.commit()
    url = f"/orders/{placed.order.call_off_id}/items"
    per_patient = next(
        price.id for price in item(db, "scanwise-docflow").prices if price.unit.value == "patient"
    )
    added = post_form(
        commissioner,
        url,
        {
            "add": f"{item_id(db, 'scanwise-docflow')}:{per_patient}",
            "version": _version(commissioner, url),
        },
        page=url,
    )
    assert added.status_code == 303, _text(added)
    page = _text(commissioner.get(url))
    # Riverside has 8,432 patients, Jesmond Road 12,750.
    assert 'value="8432"' in page and 'value="12750"' in page


def test_a_stale_page_is_a_conflict_that_keeps_the_entries(db, commissioner):
    order = _placed(db)
    url = f"/orders/{order.call_off_id}"
    stale = _version(commissioner, f"{url}/details")
    # Someone else changes the order meanwhile.
    current = orders.get_order(db, commissioner_principal(db), order.call_off_id)
    orders.update_order(db, commissioner_principal(db), current, {"description": "Theirs"})
    db.commit()

    response = post_form(
        commissioner,
        f"{url}/details",
        {
            "description": "Mine, typed on the old page",
            "commencement_date": _day(order.commencement_date),
            "term_months": "24",
            "version": stale,
        },
        page=url,
    )
    assert response.status_code == 409
    page = _text(response)
    assert "Someone else changed this" in page
    assert 'value="Mine, typed on the old page"' in page and 'value="24"' in page
    db.expire_all()
    assert db.get(CallOffOrder, order.id).description == "Theirs"
    assert db.get(CallOffOrder, order.id).term_months == 36
    # The page now carries the current version: sending it again saves.
    fresh = VERSION.search(page).group(1)
    again = post_form(
        commissioner,
        f"{url}/details",
        {
            "description": "Mine",
            "commencement_date": _day(order.commencement_date),
            "term_months": "24",
            "version": fresh,
        },
        page=url,
    )
    assert again.status_code == 303


def test_refusals_are_explained_on_the_page(db, commissioner):
    order = _placed(db)
    url = f"/orders/{order.call_off_id}"
    long_ago = date(2000, 1, 1)
    refused = post_form(
        commissioner,
        f"{url}/details",
        {
            "description": "",
            "commencement_date": _day(long_ago),
            "term_months": "36",
            "version": _version(commissioner, url),
        },
        page=url,
    )
    page = _text(refused)
    assert refused.status_code == 409
    assert "nhsuk-error-summary" in page
    assert 'href="#commencement-date"' in page and 'id="commencement-date-error"' in page
    assert "months in the past" in page

    bad_date = post_form(
        commissioner,
        f"{url}/details",
        {
            "commencement_date": "31/2/2027",
            "term_months": "x",
            "version": _version(commissioner, url),
        },
        page=url,
    )
    assert "must be a real date" in _text(bad_date)
    assert "must be a whole number" in _text(bad_date)

    # Another commissioner's practice, posted by hand: the catalogue's reason is shown.
    foreign = post_form(
        commissioner,
        f"{url}/recipients",
        {"recipients": [FOREIGN_PRACTICE], "version": _version(commissioner, url)},
        page=url,
    )
    assert foreign.status_code == 409
    assert "belongs to another commissioner" in _text(foreign)

    # Submitting an incomplete order says what is missing, linked to its task.
    incomplete = _placed(db, migration={"previous_system_id": None})
    missing = post_form(
        commissioner,
        f"/orders/{incomplete.call_off_id}/submit",
        {"version": _version(commissioner, f"/orders/{incomplete.call_off_id}")},
        page=url,
    )
    assert missing.status_code == 409
    assert f'href="#task-migration-{PRACTICE}"' in _text(missing)
    assert "Give the planned business go-live date." in _text(missing)


def test_a_practice_sees_its_orders_read_only_with_its_dates(db, web, make_user):
    order = _placed(db)
    orders.transition(db, commissioner_principal(db), order, orders.Transition.SUBMIT)
    db.commit()
    make_user(Role.PRACTICE, PRACTICE_EMAIL, ods=PRACTICE)
    sign_in(web, PRACTICE_EMAIL)
    go_live = migration_go_live(order.commencement_date)
    bedding_in_end = months_after(go_live, 3).strftime("%-d %B %Y")

    listed = _text(web.get("/orders"))
    assert order.call_off_id in listed
    assert bedding_in_end in listed and "Start an order" not in listed

    url = f"/orders/{order.call_off_id}"
    page = _text(web.get(url))
    assert "Dates for your practice" in page
    assert go_live.strftime("%-d %B %Y") in page and bedding_in_end in page
    assert "Submit the order" not in page and f"{url}/details" not in page

    assert web.get(f"{url}/details").status_code == 403
    assert post_form(web, f"{url}/submit", {"version": "1"}, page=url).status_code == 403

    # Not a recipient: the order does not exist for another practice.
    make_user(Role.PRACTICE, "olu@jesmond.example.nhs.uk", ods=OTHER_PRACTICE)
    sign_in(web, "olu@jesmond.example.nhs.uk")
    assert web.get(url).status_code == 404
    assert order.call_off_id not in _text(web.get("/orders"))


def test_the_order_list_filters_by_status(db, commissioner):
    draft = _placed(db)
    submitted = _placed(db)
    orders.transition(db, commissioner_principal(db), submitted, orders.Transition.SUBMIT)
    db.commit()
    only_submitted = _text(commissioner.get("/orders?status=submitted"))
    assert submitted.call_off_id in only_submitted and draft.call_off_id not in only_submitted
    everything = _text(commissioner.get("/orders"))
    assert submitted.call_off_id in everything and draft.call_off_id in everything


def test_an_order_starts_from_a_locked_selection(db, commissioner):
    actor = commissioner_principal(db)
    chosen = selections.create_selection(
        db,
        actor,
        name="Riverside system change",
        practice=PRACTICE,
        framework="gpsoc-r",
        term_months=36,
    )
    selections.add_candidates(db, actor, chosen, [item_id(db, "systmone")])
    lock_by_signatures(db, chosen)
    db.commit()

    # A selection's page links to the form with the selection chosen.
    form = _text(commissioner.get(f"/orders/new?selection={chosen.id}"))
    assert f'<option value="{chosen.id}" selected>Riverside system change (Riverside' in form
    assert re.search(r'value="selection"\s+checked', form)
    started = post_form(
        commissioner,
        "/orders/new",
        {"start": "selection", "selection_id": chosen.id, "key": "from-selection"},
        page="/orders/new",
    )
    assert started.status_code == 303
    page = _text(commissioner.get(started.headers["Location"]))
    # The winner, its supplier and the practice, and the practice's change of system.
    assert "SystmOne" in page and "TPP" in page and "Riverside Medical Practice" in page
    assert f"Migration: Riverside Medical Practice ({PRACTICE})" in page

    # The same form sent twice places one order.
    again = post_form(
        commissioner,
        "/orders/new",
        {"start": "selection", "selection_id": chosen.id, "key": "from-selection"},
        page="/orders/new",
    )
    assert again.headers["Location"] == started.headers["Location"]


def test_a_stale_migration_step_keeps_the_dates_and_the_option_chosen(db, commissioner):
    order = _placed(db, migration={"previous_system_id": None})
    url = f"/orders/{order.call_off_id}/migrations/{PRACTICE}"
    stale = _version(commissioner, url)
    current = orders.get_order(db, commissioner_principal(db), order.call_off_id)
    orders.update_order(db, commissioner_principal(db), current, {"term_months": 24})
    db.commit()
    go_live = migration_go_live(order.commencement_date)
    response = post_form(
        commissioner,
        url,
        {
            "planned_go_live": _day(go_live),
            "audit_trail_option": "single_user_retention",
            "action": "save",
            "version": stale,
        },
        page=url,
    )
    assert response.status_code == 409
    page = _text(response)
    assert "Someone else changed this" in page
    assert f'value="{_day(go_live)}"' in page
    assert re.search(r'value="single_user_retention"\s+checked', page)
    db.expire_all()
    assert db.get(CallOffOrder, order.id).migrations[0].planned_go_live is None


def test_a_submitted_order_offers_no_forms_and_says_why(db, commissioner):
    order = _placed(db)
    orders.transition(db, commissioner_principal(db), order, orders.Transition.SUBMIT)
    db.commit()
    url = f"/orders/{order.call_off_id}"
    page = _text(commissioner.get(url))
    assert "Submit the order" not in page and f"{url}/details" not in page
    refused = commissioner.get(f"{url}/details")
    assert refused.status_code == 409
    assert "only a draft can be changed" in _text(refused)
    posted = post_form(
        commissioner,
        f"{url}/submit",
        {"version": str(db.get(CallOffOrder, order.id).version)},
        page=url,
    )
    assert posted.status_code == 409
    assert "Allowed from submitted: " in _text(posted)


def test_odd_form_values_are_explained_never_a_server_error(db, commissioner):
    huge = "9" * 40
    started = post_form(
        commissioner,
        "/orders/new",
        {"start": "hand", "framework": "gpsoc-r", "supplier_id": huge, "key": "odd"},
        page="/orders/new",
    )
    assert started.status_code == 400
    assert "Choose the supplier to order from." in _text(started)
    order = _placed(db)
    url = f"/orders/{order.call_off_id}/items"
    added = post_form(
        commissioner,
        url,
        {"add": f"{huge}:1", "version": _version(commissioner, url)},
        page=url,
    )
    assert added.status_code == 409
    assert "Choose an item from the list." in _text(added)
    assert commissioner.get(f"/orders/{order.call_off_id}/migrations/Z99999").status_code == 404


def test_the_business_case_shows_the_payers_the_estimate_has():
    """Payers are the estimate's own (two today, three once the practice pays its share), in
    its order; the page never names them itself."""

    @dataclass
    class ThreeWay:
        central: Decimal
        commissioner: Decimal
        practice: Decimal

        @property
        def total(self) -> Decimal:
            return self.central + self.commissioner + self.practice

    split = ThreeWay(Decimal("1.00"), Decimal("2.00"), Decimal("3.00"))
    assert payers(split) == [
        ("central", Decimal("1.00")),
        ("commissioner", Decimal("2.00")),
        ("practice", Decimal("3.00")),
    ]
    assert payers({"central": Decimal(1), "local": Decimal(2), "total": Decimal(3)}) == [
        ("central", Decimal(1)),
        ("local", Decimal(2)),
    ]
    assert payer_totals(split, split) == [
        ("central", Decimal("2.00")),
        ("commissioner", Decimal("4.00")),
        ("practice", Decimal("6.00")),
    ]


def _scanner_order(db) -> CallOffOrder:
    """A draft order of a desktop scanner (additional IT) for Riverside."""
    body = {
        "framework": "gpsoc-r",
        "supplier_id": supplier_id(db, "scanwise"),
        "commencement_date": commencement(),
        "term_months": 36,
        "recipients": [PRACTICE],
        "items": order_lines(db, "scanwise-desktop-scanner"),
    }
    placed = orders.create_order(db, commissioner_principal(db), body)
    db.commit()
    return placed.order


def test_the_commissioner_and_the_practice_agree_to_fund_additional_it_on_the_order_page(
    db, app, commissioner, make_user
):
    order = _scanner_order(db)
    url = f"/orders/{order.call_off_id}"
    line = order.items[0]
    page = _text(commissioner.get(url))
    assert "Practice</strong>" in page and "Agree to fund" in page

    # Without a reason: refused, explained beside this line's box, nothing recorded.
    refused = post_form(
        commissioner,
        f"{url}/items/{line.id}/funding-agreement",
        {"reason": "  ", "version": _version(commissioner, url)},
        page=url,
    )
    assert refused.status_code == 422
    assert f'href="#agreement-{line.id}"' in _text(refused)
    assert f'id="agreement-{line.id}-error"' in _text(refused)

    # A stale page: refused as a conflict, the reason typed kept in its box.
    stale = post_form(
        commissioner,
        f"{url}/items/{line.id}/funding-agreement",
        {"reason": "Agreed at the practice meeting", "version": "0"},
        page=url,
    )
    assert stale.status_code == 409
    assert "Agreed at the practice meeting</textarea>" in _text(stale)

    agreed = post_form(
        commissioner,
        f"{url}/items/{line.id}/funding-agreement",
        {"reason": "Agreed at the practice meeting", "version": _version(commissioner, url)},
        page=url,
    )
    assert agreed.status_code == 303
    page = _text(commissioner.get(url))
    # The commissioner alone does not move the line: the practice must agree too.
    assert "Practice</strong>" in page and "Agreed at the practice meeting" in page
    assert "The practice has not agreed" in page
    assert "Withdraw the agreement" in page
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "order.funding_agreed")).one()
    assert event.actor.startswith("commissioner:user:")

    # The practice agrees on its own order page: now the commissioner pays.
    practice = app.test_client()
    make_user(Role.PRACTICE, PRACTICE_EMAIL, ods=PRACTICE)
    sign_in(practice, PRACTICE_EMAIL)
    page = _text(practice.get(url))
    assert "Agree that the commissioner funds it" in page
    refused = post_form(
        practice,
        f"{url}/items/{line.id}/funding-agreement",
        {"reason": "", "version": _version(practice, url)},
        page=url,
    )
    assert refused.status_code == 422
    assert "Say why the practice agrees" in _text(refused)
    agreed = post_form(
        practice,
        f"{url}/items/{line.id}/funding-agreement",
        {"reason": "We asked for the scanner", "version": _version(practice, url)},
        page=url,
    )
    assert agreed.status_code == 303
    page = _text(practice.get(url))
    assert "Commissioner</strong>" in page and "We asked for the scanner" in page
    assert "Commissioner</strong>" in _text(commissioner.get(url))
    event = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "order.funding_agreed_by_practice")
    ).one()
    assert event.actor.startswith("practice:user:")

    withdrawn = post_form(
        commissioner,
        f"{url}/items/{line.id}/funding-agreement/withdraw",
        {"version": _version(commissioner, url)},
        page=url,
    )
    assert withdrawn.status_code == 303
    assert "Practice</strong>" in _text(commissioner.get(url))
