"""The selection service on the seeded catalogue: ownership, versions, locking, snapshots."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from catalogue import selections
from catalogue.errors import Conflict, Forbidden, InvalidInput, NotFound
from catalogue.models import CatalogueItem, CriterionGroup, CriterionKind
from catalogue.principal import Principal, Role
from catalogue.selections import CriterionInput, ScoreEntry
from tests.factories import commissioner_principal, item_id, lock_by_signatures, organisation


@pytest.fixture
def owner(db) -> Principal:
    return commissioner_principal(db, "13T")


@pytest.fixture
def chosen(db, owner):
    selection = selections.create_selection(
        db, owner, name="test", practice="A81002", framework="gpsoc-r", price_weight=50
    )
    selections.add_candidates(
        db, owner, selection, [item_id(db, "emis-web"), item_id(db, "systmone")]
    )
    return selection


MANUAL = CriterionInput(
    CriterionKind.SHOULD, "Training offer", group=CriterionGroup.IMPLEMENTATION, weight=1
)


def test_every_change_moves_the_version(db, owner, chosen):
    versions = [chosen.version]
    criterion = selections.add_criterion(db, owner, chosen, MANUAL)
    versions.append(chosen.version)
    entry = ScoreEntry(item_id(db, "emis-web"), criterion.id, 3, "Adequate")
    selections.enter_scores(db, owner, chosen, [entry])
    versions.append(chosen.version)
    selections.update_criterion(db, owner, chosen, criterion.id, {"weight": 2})
    versions.append(chosen.version)
    assert versions == sorted(set(versions))


def test_removing_a_candidate_removes_its_scores(db, owner, chosen):
    criterion = selections.add_criterion(db, owner, chosen, MANUAL)
    emis = item_id(db, "emis-web")
    selections.enter_scores(db, owner, chosen, [ScoreEntry(emis, criterion.id, 4, "Good")])
    selections.remove_candidate(db, owner, chosen, emis)
    assert selections.entered_scores(db, chosen) == {}
    assert [c.item_id for c in chosen.candidates] == [item_id(db, "systmone")]


def test_criteria_are_checked_as_they_would_stand(db, owner, chosen):
    criterion = selections.add_criterion(db, owner, chosen, MANUAL)
    with pytest.raises(InvalidInput) as raised:
        selections.update_criterion(db, owner, chosen, criterion.id, {"weight": 0})
    assert "weight" in raised.value.errors
    with pytest.raises(InvalidInput) as raised:
        selections.add_criterion(
            db, owner, chosen, CriterionInput(CriterionKind.MUST, "No requirement")
        )
    assert "requirement" in raised.value.errors
    with pytest.raises(InvalidInput) as raised:
        selections.add_criterion(
            db,
            owner,
            chosen,
            CriterionInput(
                CriterionKind.SHOULD,
                "Unknown",
                group=CriterionGroup.FEATURES,
                weight=1,
                capabilities=("no-such-capability",),
            ),
        )
    assert "capabilities" in raised.value.errors


def test_strangers_and_suppliers_cannot_reach_a_selection(db, chosen):
    stranger = Principal(
        Role.COMMISSIONER, "5D7", token_id=2, organisation_id=organisation(db, "5D7").id
    )
    with pytest.raises(NotFound):
        selections.get_selection(db, stranger, chosen.id)
    with pytest.raises(NotFound):
        selections.update_selection(db, stranger, chosen, {"name": "mine now"})
    supplier = Principal(Role.SUPPLIER, "emis", token_id=3, supplier_id=1)
    with pytest.raises(Forbidden):
        selections.get_selection(db, supplier, chosen.id)


def test_a_locked_selection_is_read_only_and_keeps_its_snapshot(db, owner, chosen):
    criterion = selections.add_criterion(db, owner, chosen, MANUAL)
    entries = [ScoreEntry(c.item_id, criterion.id, 3, "Fine") for c in chosen.candidates]
    selections.enter_scores(db, owner, chosen, entries)
    groups = {group: 0 for group in CriterionGroup} | {CriterionGroup.IMPLEMENTATION: 100}
    selections.update_selection(db, owner, chosen, {"non_price_weights": groups})
    locked = lock_by_signatures(db, chosen)

    practice = organisation(db, "A81002")
    practice.list_size = 1  # a later change the locked result must not see
    db.flush()
    assert selections.result_of(db, chosen) == locked
    assert chosen.snapshot["list_size"] == 12750
    writes = [
        lambda: selections.update_selection(db, owner, chosen, {"name": "x"}),
        lambda: selections.add_candidates(db, owner, chosen, [item_id(db, "vision-3")]),
        lambda: selections.remove_candidate(db, owner, chosen, item_id(db, "emis-web")),
        lambda: selections.add_criterion(db, owner, chosen, MANUAL),
        lambda: selections.remove_criterion(db, owner, chosen, criterion.id),
        lambda: selections.enter_scores(db, owner, chosen, entries),
        lambda: selections.lock_selection(db, owner, chosen),
    ]
    for write in writes:
        with pytest.raises(Conflict):
            write()


def test_candidate_facts_read_as_rows_agree_with_the_listings(db):
    from sqlalchemy.orm import selectinload

    from catalogue.models import Price
    from catalogue.pricing import price_terms
    from catalogue.selections.facts import load_candidate_facts

    items = db.scalars(
        select(CatalogueItem).options(
            selectinload(CatalogueItem.prices).selectinload(Price.tiers),
            selectinload(CatalogueItem.capabilities),
        )
    ).all()
    facts = {f.item_id: f for f in load_candidate_facts(db, [item.id for item in items])}
    for item in items:
        assert facts[item.id].prices == tuple(price_terms(item)), item.slug
        assert facts[item.id].capabilities == item.capability_codes
        assert facts[item.id].version == item.version
