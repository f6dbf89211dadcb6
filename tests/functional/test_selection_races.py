"""Races in the selection process, on a database whose commits are real: evaluators scoring at
once lose nothing; a score arriving as the commissioner closes scoring either lands before the
close or is refused cleanly (409), never half-stored; moderation racing a late score wins and
the late score is refused."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from catalogue import accounts, selections
from catalogue.models import AuditEvent, CriterionGroup, CriterionKind, SelectionEvaluation
from catalogue.principal import CONSOLE, Principal, Role
from tests.factories import item_id, organisation_id
from tests.functional.races import committed_session, race

pytestmark = pytest.mark.committed
BASE = "/api/v1/selections"


def _arrange(app: Flask, evaluators: int) -> dict:
    """A selection of three Lot 1 systems with one should and `evaluators` practice
    evaluators, committed; returns ids, bearer headers and the evaluators' sheet ids."""
    with committed_session(app) as session:
        ccg, practice = organisation_id(session, "13T"), organisation_id(session, "A81001")
        owner_token = accounts.issue_token(
            session, CONSOLE, Role.COMMISSIONER, "CCG", organisation_id=ccg
        )
        owner = Principal(
            Role.COMMISSIONER, "CCG", token_id=owner_token.token.id, organisation_id=ccg
        )
        chosen = selections.create_selection(
            session, owner, name="Race", practice="A81001", framework="gpsoc-r"
        )
        items = [item_id(session, slug) for slug in ("emis-web", "systmone", "vision-3")]
        selections.add_candidates(session, owner, chosen, items)
        criterion = selections.add_criterion(
            session,
            owner,
            chosen,
            selections.CriterionInput(
                CriterionKind.SHOULD, "Ease of use", group=CriterionGroup.FEATURES, weight=1
            ),
        )
        people = []
        for index in range(evaluators):
            issued = accounts.issue_token(
                session, CONSOLE, Role.PRACTICE, f"GP {index}", organisation_id=practice
            )
            sheet = selections.name_evaluator(session, owner, chosen, issued.token.id)
            people.append(({"Authorization": f"Bearer {issued.secret}"}, sheet.id))
        session.commit()
        return {
            "id": chosen.id,
            "owner": {"Authorization": f"Bearer {owner_token.secret}"},
            "people": people,
            "items": items,
            "criterion": criterion.id,
        }


def _entries(arranged: dict, score: int, why: str) -> dict:
    return {
        "scores": [
            {
                "item_id": i,
                "criterion_id": arranged["criterion"],
                "score": score,
                "justification": why,
            }
            for i in arranged["items"]
        ]
    }


def _sheet(arranged: dict, index: int) -> str:
    return f"{BASE}/{arranged['id']}/evaluators/{arranged['people'][index][1]}/scores"


def test_evaluators_scoring_at_once_lose_nothing(committed_app):
    arranged = _arrange(committed_app, evaluators=4)
    client = committed_app.test_client()
    etags = [
        client.get(_sheet(arranged, i), headers=headers).headers["ETag"]
        for i, (headers, _) in enumerate(arranged["people"])
    ]

    def score(client, index):
        headers = {**arranged["people"][index][0], "If-Match": etags[index]}
        body = _entries(arranged, index + 1, f"Evaluator {index}")
        return client.put(_sheet(arranged, index), json=body, headers=headers)

    responses = race(committed_app, len(etags), score)
    assert [r.status_code for r in responses] == [200] * len(etags), [
        r.get_json() for r in responses
    ]
    with committed_session(committed_app) as session:
        stored = session.execute(
            select(SelectionEvaluation.evaluator_id, SelectionEvaluation.score).where(
                SelectionEvaluation.selection_id == arranged["id"]
            )
        ).all()
        entered = session.scalar(
            select(func.count(AuditEvent.id)).where(
                AuditEvent.action == "selection.evaluation_entered"
            )
        )
    by_sheet = {sheet: index + 1 for index, (_, sheet) in enumerate(arranged["people"])}
    assert sorted(stored) == sorted((sheet, s) for sheet, s in by_sheet.items() for _ in range(3))
    assert entered == len(etags)


def test_a_late_score_racing_the_close_lands_before_it_or_is_refused_cleanly(committed_app):
    arranged = _arrange(committed_app, evaluators=1)
    client = committed_app.test_client()
    headers, _ = arranged["people"][0]
    sheet_etag = client.get(_sheet(arranged, 0), headers=headers).headers["ETag"]
    etag = client.get(f"{BASE}/{arranged['id']}", headers=arranged["owner"]).headers["ETag"]

    def late_score_or_close(client, index):
        if index == 0:
            body = _entries(arranged, 2, "Late")
            return client.put(
                _sheet(arranged, 0), json=body, headers={**headers, "If-Match": sheet_etag}
            )
        # The late evaluator's sheet may still be empty: the owner says why it closes anyway.
        return client.post(
            f"{BASE}/{arranged['id']}/close-scoring",
            json={"reason": "The deadline has passed."},
            headers={**arranged["owner"], "If-Match": etag},
        )

    late, close = race(committed_app, 2, late_score_or_close)
    assert close.status_code == 200, close.get_json()
    assert late.status_code in {200, 409}, late.get_json()
    with committed_session(committed_app) as session:
        stored = session.scalar(
            select(func.count(SelectionEvaluation.id)).where(
                SelectionEvaluation.selection_id == arranged["id"]
            )
        )
    assert stored == (3 if late.status_code == 200 else 0)

    # Moderation now; a late score at the same moment is refused, and the moderation stands.
    etag = close.headers["ETag"]
    sheet_etag = client.get(_sheet(arranged, 0), headers=headers).headers["ETag"]

    def late_score_or_moderate(client, index):
        if index == 0:
            body = _entries(arranged, 1, "Too late")
            return client.put(
                _sheet(arranged, 0), json=body, headers={**headers, "If-Match": sheet_etag}
            )
        body = _entries(arranged, 4, "Agreed")
        return client.put(
            f"{BASE}/{arranged['id']}/scores",
            json=body,
            headers={**arranged["owner"], "If-Match": etag},
        )

    late, moderated = race(committed_app, 2, late_score_or_moderate)
    assert moderated.status_code == 200, moderated.get_json()
    assert late.status_code == 409 and "Scoring closed" in late.get_json()["message"]
    result = client.get(f"{BASE}/{arranged['id']}/result", headers=arranged["owner"]).get_json()
    assert {line["score"] for c in result["ranked"] for line in c["breakdown"]} == {4}
