"""Selections in the browser: who may use each page, the catalogue's refusals shown on the page
(in the error summary, beside the control), a stale page refused without losing the person's
entries, and a whole selection from the first form to the signed documents."""

from __future__ import annotations

import re
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from catalogue.models import (
    AuditEvent,
    CatalogueItem,
    ItemStatus,
    Selection,
    SelectionEvaluator,
    SelectionStatus,
)
from catalogue.principal import Role

from .conftest import csrf_token, sign_in

COMMISSIONER = "cara@newcastle.example.nhs.uk"
PRACTICE_ONE = "pat@riverside.example.nhs.uk"
PRACTICE_TWO = "paul@riverside.example.nhs.uk"
PRACTICE_LEAD = "lee@riverside.example.nhs.uk"
VERSION = re.compile(r'name="version" value="(\d+)"')
SELECTION_URL = re.compile(r"/selections/(\d+)$")


def version_on(client, url: str) -> str:
    match = VERSION.search(client.get(url).get_data(as_text=True))
    assert match, f"no version on {url}"
    return match.group(1)


def send(client, url: str, data: dict, page: str):
    """Post a form as a browser would from `page`: its CSRF token and, unless given, the
    version it was drawn at."""
    fields = {"csrf_token": csrf_token(client, page), **data}
    if "version" not in data:
        match = VERSION.search(client.get(page).get_data(as_text=True))
        if match:
            fields["version"] = match.group(1)
    return client.post(url, data=fields)


def text_of(response) -> str:
    return response.get_data(as_text=True)


def item_id(db, name: str) -> int:
    return db.scalar(
        select(CatalogueItem.id).where(
            CatalogueItem.name == name, CatalogueItem.status == ItemStatus.PUBLISHED
        )
    )


@pytest.fixture
def people(app, web, make_user):
    """A commissioner (13T) and three people of its practice A81001 (two to invite as
    evaluators, and its lead), each on a client of their own, signed in."""
    make_user(Role.COMMISSIONER, COMMISSIONER, ods="13T")
    make_user(Role.PRACTICE, PRACTICE_ONE, ods="A81001")
    make_user(Role.PRACTICE, PRACTICE_TWO, ods="A81001")
    make_user(Role.PRACTICE, PRACTICE_LEAD, ods="A81001")
    clients = {
        "commissioner": web,
        "one": app.test_client(),
        "two": app.test_client(),
        "lead": app.test_client(),
    }
    for key, email in (
        ("commissioner", COMMISSIONER),
        ("one", PRACTICE_ONE),
        ("two", PRACTICE_TWO),
        ("lead", PRACTICE_LEAD),
    ):
        assert sign_in(clients[key], email).status_code == 303
    return clients


def add_candidate(client, selection_id: int, item: int, name: str):
    """Add an item from the candidates page's search results, as a person would."""
    page = f"/selections/{selection_id}/candidates"
    return send(client, page, {"item_id": item}, f"{page}?q={name}")


def start_selection(client, name: str = "Replacement clinical system") -> int:
    response = send(
        client,
        "/selections/new",
        {"name": name, "practice": "A81001", "framework": "gpsoc-r", "moderation": "commissioner"},
        "/selections/new",
    )
    assert response.status_code == 303, text_of(response)
    return int(SELECTION_URL.search(response.headers["Location"]).group(1))


def test_selections_are_for_signed_in_commissioners_and_practices(web, make_user):
    anonymous = web.get("/selections")
    assert anonymous.status_code == 303
    assert anonymous.headers["Location"].startswith("/sign-in?next=")
    make_user(Role.SUPPLIER, "sam@supplier.example.com", supplier_id=1)
    sign_in(web, "sam@supplier.example.com")
    assert web.get("/selections").status_code == 403


def test_a_practice_reads_its_selections_but_does_not_start_or_change_them(people, db):
    selection_id = start_selection(people["commissioner"])
    practice = people["one"]
    listed = text_of(practice.get("/selections"))
    assert "Replacement clinical system" in listed
    assert "Start a selection" not in listed
    assert practice.get("/selections/new").status_code == 403
    assert practice.get(f"/selections/{selection_id}/settings").status_code == 403
    refused = send(
        practice,
        f"/selections/{selection_id}/candidates",
        {"item_id": item_id(db, "Vision 3")},
        f"/selections/{selection_id}/candidates",
    )
    assert refused.status_code == 403
    assert "Add to selection" not in text_of(practice.get(f"/selections/{selection_id}/candidates"))


def test_another_commissioners_selection_does_not_exist_for_them(people, make_user, app):
    selection_id = start_selection(people["commissioner"])
    make_user(Role.COMMISSIONER, "other@telford.example.nhs.uk", ods="05X")
    other = app.test_client()
    sign_in(other, "other@telford.example.nhs.uk")
    assert other.get(f"/selections/{selection_id}").status_code == 404
    assert other.get(f"/selections/{selection_id}/report.pdf").status_code == 404


def test_starting_a_selection_explains_what_is_missing(people):
    response = send(people["commissioner"], "/selections/new", {"name": ""}, "/selections/new")
    assert response.status_code == 422
    page = text_of(response)
    assert "There is a problem" in page
    assert '<a href="#name">Give the selection a name' in page
    assert '<a href="#practice">Choose the practice' in page
    refused = send(
        people["commissioner"],
        "/selections/new",
        {"name": "Not mine", "practice": "A81005", "framework": "gpsoc"},
        "/selections/new",
    )
    # A practice of another commissioner: the catalogue's own reason, beside the control.
    assert refused.status_code == 422
    assert "not one of your practices" in text_of(refused)


def test_weights_are_checked_on_the_server_and_say_what_is_left(people):
    client = people["commissioner"]
    selection_id = start_selection(client)
    page = f"/selections/{selection_id}/settings"
    assert "nothing left to allocate" in text_of(client.get(page))
    entries = {
        "name": "Replacement clinical system",
        "term_months": "36",
        "moderation": "commissioner",
        "price_weight": "60",
        "weight-features": "40",
        "weight-implementation": "20",
        "weight-interoperability": "20",
        "weight-service_levels": "5",
    }
    refused = send(client, page, entries, page)
    assert refused.status_code == 422
    shown = text_of(refused)
    assert (
        '<a href="#weight-features">The group weights must add up to 100; they add up to 85.'
        in shown
    )
    assert 'id="weight-features-error"' in shown  # and beside the controls
    assert "15 left to allocate" in shown
    assert 'value="5" data-group-weight' in shown  # the person's entries are kept
    off_step = send(client, page, {**entries, "price_weight": "62"}, page)
    assert '<a href="#price-weight">The price weight is 30 to 90 % in steps of 5' in text_of(
        off_step
    )
    saved = send(client, page, {**entries, "weight-service_levels": "20"}, page)
    assert saved.status_code == 303
    assert "Price 60 %" in text_of(client.get(f"/selections/{selection_id}"))


def test_a_stale_settings_page_is_a_conflict_that_keeps_the_entries(people):
    client = people["commissioner"]
    selection_id = start_selection(client)
    page = f"/selections/{selection_id}/settings"
    stale_version = version_on(client, page)
    base = {
        "term_months": "36",
        "moderation": "commissioner",
        "price_weight": "50",
        **{f"weight-{g}": "25" for g in ("features", "implementation")},
        **{f"weight-{g}": "25" for g in ("interoperability", "service_levels")},
    }
    assert send(client, page, {**base, "name": "Renamed first"}, page).status_code == 303
    conflict = send(client, page, {**base, "name": "My own name", "version": stale_version}, page)
    assert conflict.status_code == 422
    shown = text_of(conflict)
    assert "Someone else changed this while you had the page open" in shown
    assert 'value="My own name"' in shown
    assert f'name="version" value="{int(stale_version) + 1}"' in shown
    again = send(client, page, {**base, "name": "My own name"}, page)
    assert again.status_code == 303


def compare(client, db, *names: str) -> list[int]:
    ids = [item_id(db, name) for name in names]
    for ident in ids:
        send(client, "/compare/add", {"item_id": ident, "next": "/compare"}, "/search")
    return ids


def add_compared(client, selection_id: int, ids: list[int]):
    page = f"/selections/{selection_id}/candidates"
    assert "Add the compared items" in text_of(client.get(page))
    fields = {"csrf_token": csrf_token(client, page), "version": version_on(client, page)}
    return client.post(page, data={**fields, "item_id": ids})


def test_candidates_like_for_like_refusal_is_explained(people, db):
    client = people["commissioner"]
    selection_id = start_selection(client)
    ids = compare(client, db, "Vision 3", "EMIS Patient Access")
    refused = add_compared(client, selection_id, ids)
    assert refused.status_code == 422
    shown = text_of(refused)
    assert "alternatives for one need, of the same framework, lot and kind" in shown
    assert '<a href="#q">' in shown
    found = text_of(client.get(f"/selections/{selection_id}/candidates?q=SystmOne"))
    assert "Add to selection<span" in found and "SystmOne" in found
    assert (
        add_candidate(client, selection_id, item_id(db, "SystmOne"), "SystmOne").status_code == 303
    )


def test_compared_items_are_added_in_one_go(people, db):
    client = people["commissioner"]
    selection_id = start_selection(client)
    ids = compare(client, db, "Vision 3", "SystmOne")
    assert add_compared(client, selection_id, ids).status_code == 303
    chosen = db.get(Selection, selection_id)
    db.refresh(chosen)
    assert sorted(c.item_id for c in chosen.candidates) == sorted(ids)
    assert "Add the compared items" not in text_of(
        client.get(f"/selections/{selection_id}/candidates")
    )


def add_requirement(client, selection_id: int, **fields) -> None:
    page = f"/selections/{selection_id}/requirements"
    response = send(client, page, fields, page)
    assert response.status_code == 303, text_of(response)


def set_up_competition(client, db) -> tuple[int, dict[str, int]]:
    selection_id = start_selection(client)
    items = {name: item_id(db, name) for name in ("Vision 3", "SystmOne", "EMIS Web")}
    for ident in items.values():
        assert add_candidate(client, selection_id, ident, "system").status_code == 303
    for group in ("features", "implementation", "interoperability", "service_levels"):
        add_requirement(
            client,
            selection_id,
            kind="should",
            name=f"Good {group.replace('_', ' ')}",
            group=group,
            weight="10",
            scoring="manual",
        )
    return selection_id, items


def evaluators_of(db, selection_id: int) -> list[SelectionEvaluator]:
    return list(
        db.scalars(
            select(SelectionEvaluator).where(SelectionEvaluator.selection_id == selection_id)
        )
    )


def test_requirement_form_shows_the_catalogues_reasons(people):
    client = people["commissioner"]
    selection_id = start_selection(client)
    page = f"/selections/{selection_id}/requirements"
    refused = send(client, page, {"kind": "should", "name": "Fast", "weight": "10"}, page)
    assert refused.status_code == 422
    assert '<a href="#group">A should requirement belongs to a group.' in text_of(refused)
    must = send(client, page, {"kind": "must", "name": "Level", "requirement": "capability"}, page)
    assert '<a href="#capabilities">Name the required capability.' in text_of(must)


def test_a_whole_selection_through_the_pages(people, db):
    commissioner, one, two = people["commissioner"], people["one"], people["two"]
    selection_id, items = set_up_competition(commissioner, db)
    evaluators_page = f"/selections/{selection_id}/evaluators"
    listed = text_of(commissioner.get(evaluators_page))
    assert "Pat (practice" in listed and "Paul (practice" in listed
    for name in ("Pat", "Paul"):
        user_id = re.search(rf'<option value="(\d+)">{name} \(practice', listed).group(1)
        response = send(commissioner, evaluators_page, {"user_id": user_id}, evaluators_page)
        assert response.status_code == 303
        listed = text_of(commissioner.get(evaluators_page))
    evaluators = evaluators_of(db, selection_id)
    assert [e.name for e in evaluators] == ["Pat", "Paul"]
    assert all(e.user_id and e.token_id is None for e in evaluators)

    # The commissioner is no evaluator: no score sheet of theirs.
    assert commissioner.get(f"/selections/{selection_id}/scoring").status_code == 403
    scoring = f"/selections/{selection_id}/scoring"
    criteria = [c.id for c in db.get(Selection, selection_id).criteria]
    cells = [(c, i) for c in criteria for i in items.values()]

    # A score without its justification is refused on that cell; nothing is stored.
    first = f"{cells[0][0]}-{cells[0][1]}"
    missing = send(one, scoring, {f"score-{first}": "4"}, scoring)
    assert missing.status_code == 422
    assert f'<a href="#justification-{first}">Justify the score' in text_of(missing)

    # Saved as a draft; a second save from a stale page is a conflict keeping the entries.
    stale = version_on(one, scoring)
    draft = send(one, scoring, {f"score-{first}": "4", f"justification-{first}": "Good"}, scoring)
    assert draft.status_code == 303
    conflict = send(
        one,
        scoring,
        {f"score-{first}": "2", f"justification-{first}": "Second thoughts", "version": stale},
        scoring,
    )
    assert conflict.status_code == 422
    assert "Second thoughts" in text_of(conflict)
    assert "Someone else changed this" in text_of(conflict)

    # Evaluators score apart: the other evaluator's sheet is their own.
    assert "Good</textarea>" not in text_of(two.get(scoring))
    for client, low, high in ((one, "2", "4"), (two, "4", "5")):
        fields = {}
        for index, (criterion, item) in enumerate(cells):
            fields[f"score-{criterion}-{item}"] = low if index % 2 else high
            fields[f"justification-{criterion}-{item}"] = f"Seen in the demonstration {index}"
        assert send(client, scoring, fields, scoring).status_code == 303

    # Moderation waits for scoring to close.
    moderation = f"/selections/{selection_id}/moderation"
    assert "still scoring apart" in text_of(commissioner.get(moderation))
    closed = send(commissioner, f"/selections/{selection_id}/close-scoring", {}, evaluators_page)
    assert closed.status_code == 303
    side_by_side = text_of(commissioner.get(moderation))
    assert "Seen in the demonstration 1" in side_by_side
    assert "Spread of 2: discuss" in side_by_side
    # Evaluators can no longer change their sheets.
    late = send(one, scoring, {f"score-{first}": "1", f"justification-{first}": "Late"}, scoring)
    assert late.status_code == 422 and "Scoring closed" in text_of(late)

    agreed = {}
    for index, (criterion, item) in enumerate(cells):
        agreed[f"score-{criterion}-{item}"] = str(3 + (item == items["Vision 3"]))
        agreed[f"justification-{criterion}-{item}"] = f"Agreed after discussion {index}"
    assert send(commissioner, moderation, agreed, moderation).status_code == 303

    result_page = f"/selections/{selection_id}/result"
    result = text_of(commissioner.get(result_page))
    assert "Ranking" in result and "Vision 3" in result
    assert "Weighted score of each candidate" in result
    assert re.search(r"price weight (to|at every)", result)
    assert "The result is not complete yet" not in result

    # Sign-off: the practice and the commissioner; the selection then locks.
    # Evaluators score and nothing else: Pat may not sign off for the practice; its lead does.
    assert "evaluators score and nothing else" in text_of(one.get(result_page))
    refused = send(one, f"/selections/{selection_id}/sign-off", {}, result_page)
    assert refused.status_code in (403, 422)
    assert db.get(Selection, selection_id).practice_signed_at is None
    lead = people["lead"]
    assert send(lead, f"/selections/{selection_id}/sign-off", {}, result_page).status_code == 303
    twice = send(lead, f"/selections/{selection_id}/sign-off", {}, result_page)
    assert twice.status_code in (303, 422)
    signed = send(commissioner, f"/selections/{selection_id}/sign-off", {}, result_page)
    assert signed.status_code == 303
    chosen = db.get(Selection, selection_id)
    db.refresh(chosen)
    assert chosen.status is SelectionStatus.LOCKED
    assert "the selection is locked" in text_of(commissioner.get(result_page))

    pdf = one.get(f"/selections/{selection_id}/report.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert "attachment" in pdf.headers["Content-Disposition"]
    csv_text = text_of(commissioner.get(f"/selections/{selection_id}/export.csv"))
    assert "Vision 3" in csv_text
    workbook = load_workbook(
        BytesIO(commissioner.get(f"/selections/{selection_id}/export.xlsx").data)
    )
    assert "Ranking" in workbook.sheetnames

    # Every step is in the audit trail under the person who took it.
    actions = {
        (event.action, event.actor)
        for event in db.scalars(
            select(AuditEvent).where(
                AuditEvent.object_type == "selection", AuditEvent.object_id == str(selection_id)
            )
        )
    }
    names = {action for action, _ in actions}
    assert {
        "selection.created",
        "selection.candidates_added",
        "selection.criterion_added",
        "selection.evaluator_named",
        "selection.evaluation_entered",
        "selection.scoring_closed",
        "selection.scores_entered",
        "selection.signed_off",
    } <= names
    assert all(actor.startswith(("commissioner:user:", "practice:user:")) for _, actor in actions)


def test_signed_off_selection_refuses_changes_on_the_page(people, db):
    client = people["commissioner"]
    selection_id = start_selection(client)
    page = f"/selections/{selection_id}/candidates"
    assert (
        add_candidate(client, selection_id, item_id(db, "Vision 3"), "Vision 3").status_code == 303
    )
    result = f"/selections/{selection_id}/result"
    assert send(client, f"/selections/{selection_id}/sign-off", {}, result).status_code == 303
    refused = send(client, page, {"item_id": item_id(db, "SystmOne")}, result)
    assert refused.status_code == 422
    assert "being signed off" in text_of(refused)
    # Withdrawn, the signature is gone and the selection changes again.
    withdrawn = send(client, f"/selections/{selection_id}/sign-off/withdraw", {}, result)
    assert withdrawn.status_code == 303
    assert "Sign off the result" in text_of(client.get(result))
    added = add_candidate(client, selection_id, item_id(db, "SystmOne"), "SystmOne")
    assert added.status_code == 303


def test_compared_items_go_to_a_selection_from_the_compare_page(people, db):
    client = people["commissioner"]
    selection_id = start_selection(client)
    ids = compare(client, db, "Vision 3", "SystmOne")
    assert 'id="add-to-selection"' in text_of(client.get("/compare"))
    page = "/selections/add-compared"
    chooser = text_of(client.get(page))
    assert "Vision 3" in chooser and "Add to Replacement clinical system" in chooser
    response = send(client, f"/selections/{selection_id}/candidates", {"item_id": ids}, page)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/selections/{selection_id}/candidates"
    # A practice compares too, but has no selection to add to.
    assert 'id="add-to-selection"' not in text_of(people["one"].get("/compare"))
    assert people["one"].get(page).status_code == 403


def test_only_the_commissioners_and_the_practices_people_are_invited(people, db, make_user):
    client = people["commissioner"]
    selection_id = start_selection(client)
    outsider, _ = make_user(Role.PRACTICE, "olga@elsewhere.example.nhs.uk", ods="A81002")
    page = f"/selections/{selection_id}/evaluators"
    assert "Olga" not in text_of(client.get(page))
    refused = send(client, page, {"user_id": str(outsider.id)}, page)
    assert refused.status_code == 422
    assert '<a href="#user-id">An evaluator is one of the commissioner' in text_of(refused)
    missing = send(client, page, {}, page)
    assert '<a href="#user-id">Choose the person to invite.' in text_of(missing)
    # An invited person can be taken off again while scoring is open.
    pat = re.search(r'<option value="(\d+)">Pat \(practice', text_of(client.get(page))).group(1)
    assert send(client, page, {"user_id": pat}, page).status_code == 303
    (evaluator,) = evaluators_of(db, selection_id)
    removed = send(client, f"{page}/{evaluator.id}/remove", {}, page)
    assert removed.status_code == 303
    assert evaluators_of(db, selection_id) == []
    # Closing scoring before anyone is invited is refused with the reason.
    early = send(client, f"/selections/{selection_id}/close-scoring", {}, page)
    assert early.status_code == 422 and "Name the evaluators first" in text_of(early)


def test_scoring_closes_with_an_empty_sheet_only_with_a_reason(people, db):
    client = people["commissioner"]
    selection_id = start_selection(client)
    page = f"/selections/{selection_id}/evaluators"
    pat = re.search(r'<option value="(\d+)">Pat \(practice', text_of(client.get(page))).group(1)
    assert send(client, page, {"user_id": pat}, page).status_code == 303
    shown = text_of(client.get(page))
    assert "Why scoring closes without Pat" in shown
    close = f"/selections/{selection_id}/close-scoring"
    refused = send(client, close, {"reason": ""}, page)
    assert refused.status_code == 422
    assert '<a href="#close-reason">' in text_of(refused)
    why = "Pat is away; the commissioner and the practice agreed the scores together."
    assert send(client, close, {"reason": why}, page).status_code == 303
    chosen = db.get(Selection, selection_id)
    db.refresh(chosen)
    assert chosen.scoring_closed_reason == why
    assert why in text_of(client.get(page))
    # Pat, an evaluator, never sees the close form.
    assert "Close scoring</button>" not in text_of(people["one"].get(page))


def test_without_evaluators_the_commissioner_scores_directly(people, db):
    client = people["commissioner"]
    selection_id, items = set_up_competition(client, db)
    page = f"/selections/{selection_id}/moderation"
    shown = text_of(client.get(page))
    assert "No evaluators were invited" in shown
    assert "Save the agreed scores" in shown
    criterion = db.get(Selection, selection_id).criteria[0].id
    key = f"{criterion}-{items['Vision 3']}"
    refused = send(client, page, {f"score-{key}": "7", f"justification-{key}": "x"}, page)
    assert refused.status_code == 422
    assert f'<a href="#score-{key}">Choose a score from 1 to 5' in text_of(refused)
    saved = send(client, page, {f"score-{key}": "4", f"justification-{key}": "Demo"}, page)
    assert saved.status_code == 303
    result = text_of(client.get(f"/selections/{selection_id}/result"))
    assert "score(s) are still to be entered" in result  # the other cells wait
    # The practice reads the agreed scores; the commissioner moderates this selection.
    practice = people["one"]
    read_only = text_of(practice.get(page))
    assert "Save the agreed scores" not in read_only
    refused = send(practice, page, {f"score-{key}": "1", f"justification-{key}": "No"}, page)
    assert refused.status_code == 422
    assert "The commissioner moderates this selection." in text_of(refused)


def test_the_sensitivity_is_said_in_words():
    from web.selection_scoring_pages import sensitivity_in_words

    ranked = [{"item_id": 1, "name": "EMIS Web"}, {"item_id": 2, "name": "Vision 3"}]
    report = {
        "ranked": ranked,
        "sensitivity": {
            "leader_item_id": 1,
            "price_weight": 50,
            "at_price_weight": 75,
            "new_leader_item_ids": [2],
            "outcome": "overtaken",
            "break_even_price_weight": "72.50",
            "break_even_item_id": 2,
        },
    }
    assert sensitivity_in_words(report) == (
        "Raising the price weight to 75 % would make Vision 3 the leader instead of EMIS Web. "
        "EMIS Web and Vision 3 draw level at a price weight of 72.50 %."
    )
    report["sensitivity"] |= {"at_price_weight": None, "new_leader_item_ids": []}
    assert "leads at every price weight from 30 % to 90 %" in sensitivity_in_words(report)


PAGES = {
    "": (200, 200),
    "/settings": (200, 403),
    "/candidates": (200, 200),
    "/requirements": (200, 200),
    "/evaluators": (200, 200),
    "/moderation": (200, 200),
    "/result": (200, 200),
    "/scoring": (403, 403),  # neither is an evaluator of it
}


def test_every_page_of_a_new_selection_opens_for_those_taking_part(people):
    selection_id = start_selection(people["commissioner"])
    for path, statuses in PAGES.items():
        for who, status in zip(("commissioner", "one"), statuses, strict=True):
            response = people[who].get(f"/selections/{selection_id}{path}")
            assert response.status_code == status, (who, path)
            if status == 200:
                assert "Replacement clinical system" in text_of(response)


def test_a_form_with_a_control_character_is_refused_and_nothing_is_stored(people, db):
    """The API's text rule for web forms too (a NUL was stored on SQLite, a 500 on PostgreSQL)."""
    before = db.scalar(select(func.count(Selection.id)))
    for name in ("Nul\x00here", "Bell\x07", "Escape\x1b[0m"):
        response = send(
            people["commissioner"],
            "/selections/new",
            {"name": name, "practice": "A81001", "framework": "gpsoc-r"},
            "/selections/new",
        )
        assert response.status_code == 422, name
        assert "control characters" in text_of(response)
    db.expire_all()
    assert db.scalar(select(func.count(Selection.id))) == before
