"""The selection process as GPSoC ran it, over HTTP: clear refusals of unlike candidates,
fractional scores and uneven group weights; exclusions with reasons; the practice's part."""

from __future__ import annotations

import io
from datetime import date

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from catalogue.models import AuditEvent, SelectionScore
from catalogue.principal import Role
from tests.factories import (
    FOREIGN_PRACTICE,
    OTHER_PRACTICE,
    PRACTICE,
    item_id,
    organisation_id,
    selection_body,
)
from tests.functional.actors import (  # noqa: F401 (fixtures)
    Caller,
    authority_caller,
    caller,
    commissioner_caller,
    practice_caller,
)

BASE = "/api/v1/selections"


def ok(response, status: int = 200) -> tuple[dict, str]:
    assert response.status_code == status, response.get_json()
    return response.get_json(), response.headers.get("ETag", "")


def start(commissioner: Caller, db, *slugs: str, **overrides) -> tuple[dict, str]:
    selection, etag = ok(commissioner.post(BASE, json=selection_body(**overrides)), 201)
    if slugs:
        ids = [item_id(db, slug) for slug in slugs]
        selection, etag = ok(
            commissioner.post(
                f"{BASE}/{selection['id']}/candidates", json={"item_ids": ids}, etag=etag
            )
        )
    return selection, etag


def add_should(commissioner: Caller, selection: dict, etag: str, name: str = "Training"):
    body = {"kind": "should", "name": name, "group": "features", "weight": 1}
    return ok(commissioner.post(f"{BASE}/{selection['id']}/criteria", json=body, etag=etag), 201)


# ------------------------------------------------------------------------ the four defects


NOBODY_SCORED = {"reason": "The evaluators met and agreed the scores together instead."}


@pytest.mark.parametrize("score", [4.9, "4", True, 0, 6])
def test_a_score_is_a_whole_number_from_1_to_5_never_truncated(commissioner, db, score):
    selection, etag = start(commissioner, db, "emis-web", "systmone")
    selection, etag = add_should(commissioner, selection, etag)
    entry = {
        "item_id": selection["candidates"][0]["item_id"],
        "criterion_id": selection["criteria"][0]["id"],
        "score": score,
        "justification": "Good",
    }
    response = commissioner.open(
        "PUT", f"{BASE}/{selection['id']}/scores", json={"scores": [entry]}, etag=etag
    )
    assert response.status_code == 422, response.get_json()
    assert "whole numbers 1 to 5" in str(response.get_json()["errors"])
    scores = select(SelectionScore).where(SelectionScore.selection_id == selection["id"])
    assert list(db.scalars(scores)) == []


def test_a_score_written_4_0_is_the_whole_number_4(commissioner, db):
    """JSON Schema, and so the document, counts 4.0 as an integer: every body reads it as one
    (api/common/json_numbers.py)."""
    selection, etag = start(commissioner, db, "emis-web", "systmone")
    selection, etag = add_should(commissioner, selection, etag)
    entry = {
        "item_id": selection["candidates"][0]["item_id"],
        "criterion_id": selection["criteria"][0]["id"],
        "score": 4.0,
        "justification": "Good",
    }
    response = commissioner.open(
        "PUT", f"{BASE}/{selection['id']}/scores", json={"scores": [entry]}, etag=etag
    )
    assert response.status_code == 200, response.get_json()
    scores = select(SelectionScore.score).where(SelectionScore.selection_id == selection["id"])
    assert list(db.scalars(scores)) == [4]


def test_candidates_of_one_selection_share_framework_lot_and_kind(commissioner, db):
    selection, etag = start(commissioner, db)
    kiosk, emis_web = item_id(db, "arrivo-self-check-in-kiosk"), item_id(db, "emis-web")
    response = commissioner.post(
        f"{BASE}/{selection['id']}/candidates", json={"item_ids": [emis_web, kiosk]}, etag=etag
    )
    assert response.status_code == 422
    reasons = " ".join(response.get_json()["errors"]["item_ids"])
    assert "service on Lot 2" in reasons and "system on Lot 1" in reasons
    assert "same framework, lot and kind" in reasons

    # Added one at a time, the second unlike one is refused just the same.
    selection, etag = ok(
        commissioner.post(
            f"{BASE}/{selection['id']}/candidates", json={"item_ids": [emis_web]}, etag=etag
        )
    )
    module = item_id(db, "emis-patient-access")  # Lot 1, but a module
    response = commissioner.post(
        f"{BASE}/{selection['id']}/candidates", json={"item_ids": [module]}, etag=etag
    )
    assert response.status_code == 422
    assert "module on Lot 1" in " ".join(response.get_json()["errors"]["item_ids"])
    assert [
        c["item_id"] for c in commissioner.get(f"{BASE}/{selection['id']}").get_json()["candidates"]
    ] == [emis_web]


@pytest.mark.parametrize(
    "weights",
    [
        {"features": 33, "implementation": 33, "interoperability": 33, "service_levels": 1},
        {"features": 42, "implementation": 18, "interoperability": 40, "service_levels": 0},
    ],
)
def test_group_weights_go_in_steps_of_five(commissioner, weights):
    response = commissioner.post(BASE, json=selection_body(non_price_weights=weights))
    assert response.status_code == 422
    assert "steps of 5" in " ".join(response.get_json()["errors"]["non_price_weights"])


def test_group_weights_in_steps_of_five_are_taken(commissioner):
    weights = {"features": 35, "implementation": 15, "interoperability": 45, "service_levels": 5}
    selection, _ = ok(commissioner.post(BASE, json=selection_body(non_price_weights=weights)), 201)
    assert selection["non_price_weights"] == weights


def test_an_excluded_candidate_carries_its_reason_into_the_result(commissioner, db):
    selection, etag = start(commissioner, db, "emis-web", "systmone", "vision-3")
    path = f"{BASE}/{selection['id']}"
    vision = item_id(db, "vision-3")

    response = commissioner.open(
        "PUT", f"{path}/candidates/{vision}/exclusion", json={"reason": "  "}, etag=etag
    )
    assert response.status_code == 422
    selection, etag = ok(
        commissioner.open(
            "PUT",
            f"{path}/candidates/{vision}/exclusion",
            json={"reason": "The practice's site visit found no local support."},
            etag=etag,
        )
    )
    excluded = next(c for c in selection["candidates"] if c["item_id"] == vision)
    assert excluded["excluded_reason"] == "The practice's site visit found no local support."
    assert excluded["excluded_by"].startswith("commissioner:")

    result = commissioner.get(f"{path}/result").get_json()
    assert vision not in [c["item_id"] for c in result["ranked"]]
    (gone,) = result["eliminated"]
    assert gone["eliminated_because"] == [
        "Excluded by hand: The practice's site visit found no local support."
    ]
    report = commissioner.get(f"{path}/report.pdf")
    text = " ".join(
        " ".join((page.extract_text() or "").split())
        for page in PdfReader(io.BytesIO(report.data)).pages
    )
    assert "The practice's site visit found no local support." in text
    event = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "selection.candidate_excluded")
    ).one()
    assert event.after["reason"] == "The practice's site visit found no local support."

    # Reinstated, it is ranked again; the audit trail keeps the reason.
    ok(commissioner.delete(f"{path}/candidates/{vision}/exclusion", etag=etag))
    result = commissioner.get(f"{path}/result").get_json()
    assert vision in [c["item_id"] for c in result["ranked"]] and result["eliminated"] == []


def test_a_failed_must_eliminates_with_the_reason_in_the_result(commissioner, db):
    selection, etag = start(commissioner, db, "emis-web", "practice-manager-ii")
    body = {"kind": "must", "name": "GP2GP", "requirement": "min_maturity_level"}
    ok(
        commissioner.post(
            f"{BASE}/{selection['id']}/criteria",
            json={**body, "min_maturity_level": 3},
            etag=etag,
        ),
        201,
    )
    result = commissioner.get(f"{BASE}/{selection['id']}/result").get_json()
    (gone,) = result["eliminated"]
    assert gone["item_id"] == item_id(db, "practice-manager-ii")
    assert "Level 3 or above is required" in gone["eliminated_because"][0]


# ------------------------------------------------------------------------ the practice role


def test_the_authority_issues_a_practice_token_bound_to_a_practice(authority, db):
    practice_id = organisation_id(db, PRACTICE)
    body = {"role": "practice", "name": "Riverside manager", "organisation_id": practice_id}
    issued, _ = ok(authority.post("/api/v1/tokens", json=body), 201)
    assert issued["role"] == "practice" and issued["organisation_id"] == practice_id

    commissioner_org = organisation_id(db, "13T")
    response = authority.post("/api/v1/tokens", json={**body, "organisation_id": commissioner_org})
    assert response.status_code == 422
    assert "practice organisation" in " ".join(response.get_json()["errors"]["organisation_id"])


def test_a_practice_reads_its_own_selections_only_and_cannot_change_them(
    commissioner, practice, client, db
):
    own, etag = start(commissioner, db, "emis-web", "systmone")
    other, _ = start(commissioner, db, "emis-web", practice=OTHER_PRACTICE)

    listed = practice.get(BASE).get_json()
    assert [s["id"] for s in listed["items"]] == [own["id"]]
    assert practice.get(f"{BASE}/{own['id']}").status_code == 200
    assert practice.get(f"{BASE}/{own['id']}/result").status_code == 200
    assert practice.get(f"{BASE}/{other['id']}").status_code == 404

    response = practice.patch(f"{BASE}/{own['id']}", json={"name": "Ours now"}, etag=etag)
    assert response.status_code == 403
    response = practice.post(BASE, json=selection_body())
    assert response.status_code == 403

    foreign = caller(
        client, db, Role.PRACTICE, organisation_id=organisation_id(db, FOREIGN_PRACTICE)
    )
    assert foreign.get(f"{BASE}/{own['id']}").status_code == 404


def test_a_practice_compares_with_its_own_costs(practice, db):
    ids = f"{item_id(db, 'emis-web')},{item_id(db, 'systmone')}"
    response = practice.get(f"/api/v1/compare?ids={ids}&practice={PRACTICE}")
    comparison, _ = ok(response)
    assert all(item["whole_life_cost"] is not None for item in comparison["items"])


# ------------------------------------------------- evaluators, moderation and sign-off


def issue(authority: Caller, client, role: str, organisation: int, name: str) -> tuple[Caller, int]:
    body = {"role": role, "name": name, "organisation_id": organisation}
    issued, _ = ok(authority.post("/api/v1/tokens", json=body), 201)
    return Caller(client, issued["token"], name), issued["id"]


def sheet_path(selection: dict, evaluator: dict) -> str:
    return f"{BASE}/{selection['id']}/evaluators/{evaluator['id']}/scores"


def score_as(evaluator_caller: Caller, path: str, entries: list[dict]) -> dict:
    etag = evaluator_caller.get(path).headers["ETag"]
    sheet, _ = ok(evaluator_caller.open("PUT", path, json={"scores": entries}, etag=etag))
    return sheet


@pytest.fixture
def process(authority, commissioner, client, db):
    """A selection of three Lot 1 systems for Riverside, one manual should, and three
    evaluators named: the commissioner's lead and the practice's manager and GP."""
    practice_org, ccg = organisation_id(db, PRACTICE), organisation_id(db, "13T")
    lead, lead_id = issue(authority, client, "commissioner", ccg, "CCG IT lead")
    manager, manager_id = issue(authority, client, "practice", practice_org, "Practice manager")
    gp, gp_id = issue(authority, client, "practice", practice_org, "Dr Patel")
    features_only = {"features": 100, "implementation": 0, "interoperability": 0}
    selection, etag = start(
        commissioner,
        db,
        "emis-web",
        "systmone",
        "vision-3",
        non_price_weights={**features_only, "service_levels": 0},
    )
    selection, etag = add_should(commissioner, selection, etag, "Ease of use in consultations")
    path = f"{BASE}/{selection['id']}"
    for token_id in (lead_id, manager_id, gp_id):
        selection, etag = ok(
            commissioner.post(f"{path}/evaluators", json={"token_id": token_id}, etag=etag), 201
        )
    return {
        "selection": selection,
        "etag": etag,
        "path": path,
        "evaluators": dict(zip(("lead", "manager", "gp"), selection["evaluators"], strict=True)),
        "callers": {"lead": lead, "manager": manager, "gp": gp},
        "criterion": selection["criteria"][0]["id"],
        "items": [c["item_id"] for c in selection["candidates"]],
    }


def entries(process, scores: list[int], why: str) -> list[dict]:
    return [
        {"item_id": item, "criterion_id": process["criterion"], "score": s, "justification": why}
        for item, s in zip(process["items"], scores, strict=True)
    ]


def test_a_commissioner_and_a_practice_run_a_selection_end_to_end(
    process, commissioner, practice, db
):
    path, selection = process["path"], process["selection"]
    callers, evaluators = process["callers"], process["evaluators"]
    assert [e["side"] for e in selection["evaluators"]] == ["commissioner", "practice", "practice"]

    # Each scores apart, unseen by the others.
    given = {"lead": [4, 3, 3], "manager": [5, 3, 2], "gp": [2, 4, 3]}
    for who, scores in given.items():
        score_as(
            callers[who],
            sheet_path(selection, evaluators[who]),
            entries(process, scores, f"{who} view"),
        )
    assert callers["gp"].get(sheet_path(selection, evaluators["manager"])).status_code == 403
    result = commissioner.get(f"{path}/result").get_json()
    assert result["scoring_closed"] is False
    assert all(line["evaluations"] == [] for c in result["ranked"] for line in c["breakdown"])

    # Moderating before scoring closes is refused.
    etag = commissioner.get(path).headers["ETag"]
    agreed = entries(process, [4, 3, 3], "Agreed at the evaluation meeting")
    response = commissioner.open("PUT", f"{path}/scores", json={"scores": agreed}, etag=etag)
    assert response.status_code == 409

    _, etag = ok(commissioner.post(f"{path}/close-scoring", etag=etag))
    # A late score is refused cleanly, and stores nothing.
    late_path = sheet_path(selection, evaluators["gp"])
    late_etag = callers["gp"].get(late_path).headers["ETag"]
    response = callers["gp"].open(
        "PUT", late_path, json={"scores": entries(process, [1, 1, 1], "late")}, etag=late_etag
    )
    assert response.status_code == 409 and "Scoring closed" in response.get_json()["message"]
    assert callers["gp"].get(late_path).get_json()["scores"][0]["score"] == 2
    # Now everyone who sees the selection sees every sheet.
    assert callers["gp"].get(sheet_path(selection, evaluators["manager"])).status_code == 200

    _, etag = ok(commissioner.open("PUT", f"{path}/scores", json={"scores": agreed}, etag=etag))
    result = commissioner.get(f"{path}/result").get_json()
    emis_web = next(c for c in result["ranked"] if c["item_id"] == process["items"][0])
    (cell,) = emis_web["breakdown"]
    assert cell["score"] == 4 and cell["justification"] == "Agreed at the evaluation meeting"
    assert [e["score"] for e in cell["evaluations"]] == [4, 5, 2]
    assert cell["spread"] == 3 and cell["flagged"] is True
    steady = next(c for c in result["ranked"] if c["item_id"] == process["items"][2])
    assert steady["breakdown"][0]["spread"] == 1 and steady["breakdown"][0]["flagged"] is False

    # Sign-off: the practice, then the commissioner; the second signature locks it.
    signed, etag = ok(practice.post(f"{path}/sign-off", etag=etag))
    assert signed["signatures"]["practice"]["signed_by"].startswith("practice")
    assert signed["status"] == "draft"
    response = commissioner.open("PUT", f"{path}/scores", json={"scores": agreed}, etag=etag)
    assert response.status_code == 409
    signed, etag = ok(commissioner.post(f"{path}/sign-off", etag=etag))
    assert signed["status"] == "locked" and signed["signatures"]["commissioner"] is not None
    actions = list(
        db.scalars(
            select(AuditEvent.action)
            .where(
                AuditEvent.object_type == "selection", AuditEvent.object_id == str(selection["id"])
            )
            .order_by(AuditEvent.id)
        )
    )
    for action in (
        "evaluator_named",
        "evaluation_entered",
        "scoring_closed",
        "signed_off",
        "locked",
    ):
        assert f"selection.{action}" in actions


def test_only_named_evaluators_score_and_only_their_own_sheet(process, practice, commissioner):
    selection, evaluators = process["selection"], process["evaluators"]
    path = sheet_path(selection, evaluators["manager"])
    # The practice's other principal (not named) and the owning commissioner cannot write it.
    for outsider in (practice, commissioner):
        etag = process["callers"]["manager"].get(path).headers["ETag"]
        response = outsider.open(
            "PUT", path, json={"scores": entries(process, [3, 3, 3], "x")}, etag=etag
        )
        assert response.status_code == 403


def test_a_joint_moderation_lets_the_practice_agree_scores(process, commissioner, practice):
    path = process["path"]
    etag = commissioner.get(path).headers["ETag"]
    _, etag = ok(commissioner.patch(path, json={"moderation": "joint"}, etag=etag))
    _, etag = ok(commissioner.post(f"{path}/close-scoring", json=NOBODY_SCORED, etag=etag))
    agreed = entries(process, [3, 3, 3], "Agreed together")
    ok(practice.open("PUT", f"{path}/scores", json={"scores": agreed}, etag=etag))


def test_a_signature_can_be_withdrawn_before_the_lock(process, commissioner):
    path = process["path"]
    etag = commissioner.get(path).headers["ETag"]
    _, etag = ok(commissioner.post(f"{path}/close-scoring", json=NOBODY_SCORED, etag=etag))
    agreed = entries(process, [3, 4, 5], "Agreed")
    _, etag = ok(commissioner.open("PUT", f"{path}/scores", json={"scores": agreed}, etag=etag))
    signed, etag = ok(commissioner.post(f"{path}/sign-off", etag=etag))
    assert commissioner.post(f"{path}/sign-off", etag=etag).status_code == 409
    unsigned, etag = ok(commissioner.delete(f"{path}/sign-off", etag=etag))
    assert unsigned["signatures"]["commissioner"] is None
    ok(commissioner.open("PUT", f"{path}/scores", json={"scores": agreed}, etag=etag))


def test_an_incomplete_result_cannot_be_signed(commissioner, practice, db):
    selection, etag = start(commissioner, db, "emis-web", "systmone")
    selection, etag = add_should(commissioner, selection, etag)
    response = practice.post(f"{BASE}/{selection['id']}/sign-off", etag=etag)
    assert response.status_code == 409
    assert "still to be entered" in " ".join(response.get_json()["errors"]["selection"])


def test_the_signed_report_pdf_names_every_score_reason_and_signature(
    process, commissioner, practice, db
):
    path, selection = process["path"], process["selection"]
    callers, evaluators = process["callers"], process["evaluators"]
    given = {"lead": [4, 3, 3], "manager": [5, 3, 2], "gp": [2, 4, 3]}
    for who, scores in given.items():
        sheet = sheet_path(selection, evaluators[who])
        score_as(callers[who], sheet, entries(process, scores, f"Justified by the {who}"))
    etag = commissioner.get(path).headers["ETag"]
    _, etag = ok(commissioner.post(f"{path}/close-scoring", etag=etag))
    agreed = entries(process, [4, 3, 3], "Agreed at the moderation meeting")
    _, etag = ok(commissioner.open("PUT", f"{path}/scores", json={"scores": agreed}, etag=etag))
    _, etag = ok(practice.post(f"{path}/sign-off", etag=etag))
    locked, _ = ok(commissioner.post(f"{path}/sign-off", etag=etag))
    result = commissioner.get(f"{path}/result").get_json()

    for reader in (commissioner, practice):
        response = reader.get(f"{path}/report.pdf")
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        pdf = PdfReader(io.BytesIO(response.data))
        text = " ".join(" ".join((page.extract_text() or "").split()) for page in pdf.pages)
        assert "Riverside Medical Practice" in text and "A81001" in text
        for who in ("lead", "manager", "gp"):
            assert f"Justified by the {who}" in text
        assert "CCG IT lead" in text and "Dr Patel" in text and "Practice manager" in text
        assert text.count("Agreed at the moderation meeting") >= 3
        assert "FLAGGED" in text  # EMIS Web's spread of 3
        assert "SHOULD" in text and "Ease of use in consultations" in text
        for candidate in result["ranked"]:
            assert candidate["name"] in text
            assert candidate["whole_life_cost"]["total"] in text.replace(",", "")
            assert str(candidate["total_score"]) in text
        assert result["sensitivity"]["explanation"].split(":")[0] in text
        for party in ("commissioner", "practice"):
            assert locked["signatures"][party]["signed_by"] in text
        assert "frozen in the snapshot" in text and "Catalogue versions scored" in text


def test_a_practice_reads_the_orders_it_receives_and_changes_none(commissioner, practice, db):
    from tests.factories import migration_order_body

    created, etag = ok(commissioner.post("/api/v1/orders", json=migration_order_body(db)), 201)
    # Another practice's order: Jesmond Road leaves EMIS Web for SystmOne.
    elsewhere = migration_order_body(db, recipients=[OTHER_PRACTICE])
    del elsewhere["migration"]["previous_system_id"]  # its own, EMIS Web
    other, _ = ok(commissioner.post("/api/v1/orders", json=elsewhere), 201)

    listed = practice.get("/api/v1/orders").get_json()
    assert [o["call_off_id"] for o in listed["items"]] == [created["call_off_id"]]
    assert practice.get(f"/api/v1/orders/{created['call_off_id']}").status_code == 200
    assert practice.get(f"/api/v1/orders/{other['call_off_id']}").status_code == 404
    path = f"/api/v1/orders/{created['call_off_id']}"
    assert practice.patch(path, json={"description": "Ours"}, etag=etag).status_code == 403
    response = practice.post(f"{path}/transitions/submit", etag=etag)
    assert response.status_code in {403, 404}


def test_removing_a_candidate_takes_its_scores_off_every_sheet(process, commissioner):
    selection, evaluators, callers = (
        process["selection"],
        process["evaluators"],
        process["callers"],
    )
    sheet = sheet_path(selection, evaluators["gp"])
    score_as(callers["gp"], sheet, entries(process, [2, 4, 3], "GP view"))
    gone = process["items"][1]
    etag = commissioner.get(process["path"]).headers["ETag"]
    ok(commissioner.delete(f"{process['path']}/candidates/{gone}", etag=etag))
    left = callers["gp"].get(sheet).get_json()["scores"]
    assert sorted(s["item_id"] for s in left) == sorted(i for i in process["items"] if i != gone)


# ----------------------------------------------- evaluators score and nothing else (issue 20)


def test_an_evaluator_of_the_commissioner_closes_moderates_and_signs_nothing(
    process, commissioner, practice, db
):
    """The CCG's IT lead is an evaluator with a commissioner token: it scores, but closing
    scoring, agreeing the scores (even under joint moderation) and signing off as the
    commissioner are the owner's and the practice lead's."""
    path, lead = process["path"], process["callers"]["lead"]
    for who, scores in {"lead": [4, 3, 3], "manager": [5, 3, 2], "gp": [2, 4, 3]}.items():
        sheet = sheet_path(process["selection"], process["evaluators"][who])
        score_as(process["callers"][who], sheet, entries(process, scores, f"{who} view"))
    etag = commissioner.get(path).headers["ETag"]
    _, etag = ok(commissioner.patch(path, json={"moderation": "joint"}, etag=etag))

    refused = lead.post(f"{path}/close-scoring", etag=etag)
    assert refused.status_code == 403, refused.get_json()
    assert "Evaluators score and nothing else" in refused.get_json()["message"]
    assert commissioner.get(path).get_json()["scoring_closed_at"] is None
    _, etag = ok(commissioner.post(f"{path}/close-scoring", etag=etag))

    agreed = entries(process, [4, 3, 3], "Agreed")
    response = lead.open("PUT", f"{path}/scores", json={"scores": agreed}, etag=etag)
    assert response.status_code == 403
    # The practice's evaluators are no practice lead either.
    manager = process["callers"]["manager"]
    response = manager.open("PUT", f"{path}/scores", json={"scores": agreed}, etag=etag)
    assert response.status_code == 403
    _, etag = ok(practice.open("PUT", f"{path}/scores", json={"scores": agreed}, etag=etag))

    assert lead.post(f"{path}/sign-off", etag=etag).status_code == 403
    assert manager.post(f"{path}/sign-off", etag=etag).status_code == 403
    assert commissioner.get(path).get_json()["signatures"] == {
        "commissioner": None,
        "practice": None,
    }
    _, etag = ok(commissioner.post(f"{path}/sign-off", etag=etag))
    locked, _ = ok(practice.post(f"{path}/sign-off", etag=etag))
    assert locked["status"] == "locked"


def test_scoring_closes_with_an_empty_sheet_only_with_the_owners_reason(process, commissioner, db):
    path = process["path"]
    sheet = sheet_path(process["selection"], process["evaluators"]["gp"])
    score_as(process["callers"]["gp"], sheet, entries(process, [2, 4, 3], "GP view"))
    etag = commissioner.get(path).headers["ETag"]
    refused = commissioner.post(f"{path}/close-scoring", etag=etag)
    assert refused.status_code == 422
    body = refused.get_json()
    assert "CCG IT lead and Practice manager have entered no scores yet" in body["message"]
    assert "reason" in body["errors"]
    blank = commissioner.post(f"{path}/close-scoring", json={"reason": "  "}, etag=etag)
    assert blank.status_code == 422
    assert commissioner.get(path).get_json()["scoring_closed_at"] is None

    why = "The IT lead and the manager are on leave until after the deadline."
    closed, _ = ok(commissioner.post(f"{path}/close-scoring", json={"reason": why}, etag=etag))
    assert closed["scoring_closed_reason"] == why
    event = db.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "selection.scoring_closed")
        .order_by(AuditEvent.id.desc())
    ).first()
    assert event.after["reason"] == why


def test_nobody_locks_a_selection_by_hand_and_no_order_comes_of_it(process, commissioner, db):
    """Before: POST .../lock by the commissioner locked it with no signature, and an order
    could be placed from it."""
    path = process["path"]
    etag = commissioner.get(path).headers["ETag"]
    _, etag = ok(commissioner.post(f"{path}/close-scoring", json=NOBODY_SCORED, etag=etag))
    agreed = entries(process, [4, 3, 3], "Agreed")
    _, etag = ok(commissioner.open("PUT", f"{path}/scores", json={"scores": agreed}, etag=etag))
    refused = commissioner.post(f"{path}/lock", etag=etag)
    assert refused.status_code == 403
    assert "signed the result off" in refused.get_json()["message"]
    assert commissioner.get(path).get_json()["status"] == "draft"
    order = commissioner.post(
        "/api/v1/orders",
        json={
            "selection_id": process["selection"]["id"],
            "commencement_date": date.today().replace(day=1).isoformat(),
            "term_months": 36,
        },
    )
    assert order.status_code in (409, 422), order.get_json()


def test_a_selection_is_not_started_on_an_expired_framework(commissioner, db):
    """GPSoC (2007 to 2014) has expired and lists no items: nothing to choose among."""
    response = commissioner.post(BASE, json=selection_body(framework="gpsoc"))
    assert response.status_code == 422, response.get_json()
    (reason,) = response.get_json()["errors"]["framework"]
    assert "has expired" in reason
    assert commissioner.get(BASE).get_json()["total"] == 0
    # Were it live, it would still have nothing published to choose among.
    from catalogue.models import Framework, FrameworkStatus

    gpsoc = db.scalars(select(Framework).where(Framework.slug == "gpsoc")).one()
    gpsoc.status = FrameworkStatus.LIVE
    db.flush()
    response = commissioner.post(BASE, json=selection_body(framework="gpsoc"))
    assert response.status_code == 422
    assert "no published items" in response.get_json()["errors"]["framework"][0]
