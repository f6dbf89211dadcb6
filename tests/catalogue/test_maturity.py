"""Maturity levels are derived from accredited capabilities (Hansard, 2 June 2009)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from catalogue.listings.accreditation import grant, remove
from catalogue.maturity import (
    BITMAP_IDS,
    capability_bits,
    derive_level,
    load_requirements,
    refresh_derived_fields,
)
from catalogue.models import Capability, CatalogueItem
from catalogue.principal import CONSOLE
from catalogue.seeding import seed_synthetic

L1 = frozenset({"choose-and-book", "spine-connection", "pds"})
L2 = L1 | {"eps"}
L3 = L2 | {"gp2gp"}
# Listed cumulatively, as capabilities.yaml does.
GPSOC = {1: L1, 2: L2, 3: L3}
# The same ladder listed by what each level adds: derive_level must not care.
INCREMENTS = {1: L1, 2: frozenset({"eps"}), 3: frozenset({"gp2gp"})}


@pytest.mark.parametrize("requirements", [GPSOC, INCREMENTS], ids=["cumulative", "increments"])
@pytest.mark.parametrize(
    ("held", "level"),
    [
        (set(), 0),
        ({"choose-and-book", "spine-connection"}, 0),
        (L1, 1),
        (L2, 2),
        (L3, 3),
        (L3 | {"scr", "dispensing", "hosted-deployment"}, 3),
        # A gap stops the climb: GP2GP without EPS is still Level 1.
        (L1 | {"gp2gp"}, 1),
        # Level 2 and 3 capabilities without PDS reach nothing.
        ((L3 - {"pds"}), 0),
        ({"eps", "gp2gp"}, 0),
        (L2 | {"scr"}, 2),
    ],
)
def test_derive_level(requirements, held, level):
    assert derive_level(held, requirements) == level


def test_derive_level_accepts_any_iterable_and_duplicates():
    assert derive_level(["pds", "pds", "choose-and-book", "spine-connection"], GPSOC) == 1
    assert derive_level(iter(sorted(L3)), GPSOC) == 3


def test_derive_level_without_a_ladder_is_zero():
    assert derive_level(L3, {}) == 0


def test_derive_level_with_a_level_without_requirements():
    assert derive_level(set(), {1: frozenset()}) == 1
    assert derive_level(set(), {1: frozenset(), 2: frozenset({"eps"})}) == 1


def test_seeded_ladder_matches_hansard(session_factory):
    with session_factory() as session:
        assert load_requirements(session) == GPSOC


def test_refresh_recomputes_stored_levels(session_factory):
    with session_factory.begin() as session:
        item = session.scalars(
            select(CatalogueItem)
            .where(CatalogueItem.slug == "emis-web")
            .options(selectinload(CatalogueItem.capabilities))
        ).one()
        assert item.maturity_level == 3
        item.capabilities = [c for c in item.capabilities if c.code != "eps"]
        refresh_derived_fields(session, [item])
        assert item.maturity_level == 1
    with session_factory.begin() as session:
        # Refreshing everything puts EPS back in the picture once it is held again.
        item = session.scalars(select(CatalogueItem).where(CatalogueItem.slug == "emis-web")).one()
        assert item.maturity_level == 1
        item.capabilities.append(
            session.scalars(select(Capability).where(Capability.code == "eps")).one()
        )
        refresh_derived_fields(session)
        assert item.maturity_level == 3


def test_stored_capability_bits_match_the_accreditations_of_every_item(session_factory):
    """Seeded, synthetic and re-accredited items alike: the bits say exactly what
    item_capability says (for capability ids the bitmap covers)."""
    # On the seeded database: its capabilities keep their first ids, which an empty database
    # seeded again would not give them on PostgreSQL (sequences do not roll back).
    with session_factory() as session:
        seed_synthetic(session, 60, random_seed=5)
        session.flush()
        item = session.scalars(select(CatalogueItem).where(CatalogueItem.slug == "emis-pcs")).one()
        gp2gp = session.scalars(select(Capability).where(Capability.code == "gp2gp")).one()
        grant(session, CONSOLE, item, gp2gp.code)
        remove(session, CONSOLE, item, "eps")
        session.flush()
        session.expire_all()

        items = session.scalars(select(CatalogueItem)).all()
        assert len(items) > 90
        for each in items:
            ids = [c.id for c in each.capabilities]
            assert all(i < BITMAP_IDS for i in ids)
            assert each.capability_bits == capability_bits(ids), each.slug
        assert item.capability_bits & (1 << gp2gp.id)
