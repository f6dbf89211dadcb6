"""The item page shows its supplier's roadmap: what is planned, by when, and which plans the
authority has since accredited; an item without a roadmap shows no such section."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from catalogue.models import Capability, RoadmapEntry, RoadmapStatus
from tests.factories import item


def test_the_roadmap_and_the_level_it_plans_show_on_the_system_page(web, db):
    synergy = item(db, "synergy")
    gp2gp = db.scalars(select(Capability).where(Capability.code == "gp2gp")).one()
    synergy.roadmap.append(
        RoadmapEntry(
            capability=gp2gp,
            target_date=date(2027, 9, 30),
            status=RoadmapStatus.IN_ACCREDITATION,
            note="With the authority for testing",
        )
    )
    db.flush()
    page = web.get(f"/systems/{synergy.id}").get_data(as_text=True)
    assert "Supplier&#39;s roadmap" in page or "Supplier's roadmap" in page
    assert "plans to reach Level 3 by 30 September 2027" in page
    assert "In accreditation, target 30 September 2027" in page
    assert "With the authority for testing" in page


def test_a_system_without_a_roadmap_has_no_roadmap_section(web, db):
    page = web.get(f"/systems/{item(db, 'emis-web').id}").get_data(as_text=True)
    assert "roadmap" not in page.lower()
