"""Who pays: the funding rule over plain values and on the seeded catalogue."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.funding import decide_funding, funding_for
from catalogue.models import CatalogueItem, Funding, ItemKind


def decide(**overrides):
    values = {
        "kind": ItemKind.SYSTEM,
        "lot_number": 1,
        "lot_default": Funding.CENTRAL,
        "maturity_level": 2,
        "price_name": "Annual practice licence",
        "price_funding": None,
        "costs_nothing": False,
    }
    values.update(overrides)
    return decide_funding(**values)


def test_a_level_2_system_licence_on_lot_1_is_central():
    assert decide().funding is Funding.CENTRAL
    assert decide(maturity_level=3, price_name="Level 3 increment").funding is Funding.CENTRAL


def test_central_funding_requires_level_2():
    decision = decide(maturity_level=1)
    assert decision.funding is Funding.LOCAL
    assert "Level 2" in decision.reason
    # Even a price that claims central funding cannot lift a Level 1 system.
    assert decide(maturity_level=1, price_funding=Funding.CENTRAL).funding is Funding.LOCAL


def test_support_training_and_deployment_are_local_on_lot_1():
    assert decide(price_name="System support").funding is Funding.LOCAL
    assert decide(price_name="Deployment and data migration").funding is Funding.LOCAL
    assert decide(kind=ItemKind.SERVICE, price_name="Training day").funding is Funding.LOCAL


def test_lot_2_and_lot_3_are_local():
    for lot in (2, 3):
        decision = decide(lot_number=lot, lot_default=Funding.LOCAL, kind=ItemKind.SERVICE)
        assert decision.funding is Funding.LOCAL
        assert f"Lot {lot}" in decision.reason


def test_the_price_own_funding_overrides_the_lot_default():
    assert decide(price_funding=Funding.LOCAL).funding is Funding.LOCAL
    central_lot_2 = decide(lot_default=Funding.LOCAL, lot_number=2, price_funding=Funding.CENTRAL)
    assert central_lot_2.funding is Funding.CENTRAL
    retention = decide(kind=ItemKind.SERVICE, maturity_level=0, price_funding=Funding.CENTRAL)
    assert retention.funding is Funding.CENTRAL


def test_a_price_that_costs_nothing_is_funded_by_nobody():
    decision = decide(costs_nothing=True, price_funding=Funding.CENTRAL)
    assert decision.funding is None
    assert decision.reason


def _item(db: Session, slug: str) -> CatalogueItem:
    return db.scalars(select(CatalogueItem).where(CatalogueItem.slug == slug)).one()


def test_seeded_prices_are_funded_as_connecting_for_health_said(db):
    emis_web = _item(db, "emis-web")
    funding = {price.name: funding_for(emis_web, price).funding for price in emis_web.prices}
    assert funding == {
        "Annual practice licence": Funding.CENTRAL,
        "Level 3 increment": Funding.CENTRAL,
        "System support": Funding.LOCAL,
    }
    # A module takes its parent system's level: EMIS Patient Access rides on EMIS Web.
    module = _item(db, "emis-patient-access")
    assert {funding_for(module, price).funding for price in module.prices} == {Funding.CENTRAL}
    finance = _item(db, "ledgerline-practice-finance")
    assert {funding_for(finance, price).funding for price in finance.prices} == {Funding.LOCAL}
