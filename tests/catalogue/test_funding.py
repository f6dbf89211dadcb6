"""Who pays: the funding rule over plain values and on the seeded catalogue."""

from __future__ import annotations

import pytest

from catalogue.funding import decide_funding, funding_for
from catalogue.infrastructure import class_of
from catalogue.models import (
    ChargeType,
    Framework,
    Funding,
    InfrastructureCategory,
    InfrastructureClass,
    ItemKind,
)
from tests import factories

REFUSED = "the price's own 'central' does not apply"


def decide(**overrides):
    values = {
        "kind": ItemKind.SYSTEM,
        "lot_number": 1,
        "lot_default": Funding.CENTRAL,
        "maturity_level": 2,
        "charge_type": ChargeType.LICENCE,
        "price_funding": None,
        "costs_nothing": False,
    }
    values.update(overrides)
    return decide_funding(**values)


def test_a_level_2_system_licence_on_lot_1_is_central():
    assert decide().funding is Funding.CENTRAL
    assert decide(maturity_level=3).funding is Funding.CENTRAL
    assert decide(kind=ItemKind.MODULE).funding is Funding.CENTRAL


def test_central_funding_requires_level_2():
    decision = decide(maturity_level=1)
    assert decision.funding is Funding.COMMISSIONER
    assert "Level 2" in decision.reason
    # Even a price that claims central funding cannot lift a Level 1 system.
    claimed = decide(maturity_level=1, price_funding=Funding.CENTRAL)
    assert claimed.funding is Funding.COMMISSIONER
    assert "Level 2" in claimed.reason and REFUSED in claimed.reason


def test_support_training_and_deployment_are_the_commissioners_on_lot_1():
    for charge in (
        ChargeType.SUPPORT_SERVICE,
        ChargeType.DEPLOYMENT_AND_MIGRATION,
        ChargeType.TRAINING,
        ChargeType.DATA_EXTRACT,
        ChargeType.HARDWARE,
        ChargeType.HARDWARE_MAINTENANCE,
        ChargeType.OTHER,
    ):
        assert decide(charge_type=charge).funding is Funding.COMMISSIONER, charge
        assert decide(kind=ItemKind.SERVICE, charge_type=charge).funding is Funding.COMMISSIONER


def test_the_clinical_system_softwares_maintenance_is_central_on_lot_1():
    decision = decide(charge_type=ChargeType.SOFTWARE_MAINTENANCE)
    assert decision.funding is Funding.CENTRAL
    assert "000_69db64e510a9e9e1.txt" in decision.reason
    assert "CfH will pay for the maintenance charges" in decision.reason
    # ...of a Level 2 system, on Lot 1 only, and not a service's.
    assert decide(charge_type=ChargeType.SOFTWARE_MAINTENANCE, maturity_level=1).funding is (
        Funding.COMMISSIONER
    )
    lot_2 = decide(
        charge_type=ChargeType.SOFTWARE_MAINTENANCE, lot_number=2, lot_default=Funding.COMMISSIONER
    )
    assert lot_2.funding is Funding.COMMISSIONER
    assert "001_853fdf65414417db.txt" in lot_2.reason
    service = decide(kind=ItemKind.SERVICE, charge_type=ChargeType.SOFTWARE_MAINTENANCE)
    assert service.funding is Funding.COMMISSIONER


def test_the_name_of_a_price_decides_nothing():
    """Before charge types, "support" in a name made a Lot 1 price the commissioner's and a
    maintenance charge named otherwise was central: the charge type decides now."""
    assert "price_name" not in decide_funding.__code__.co_varnames
    support = decide(charge_type=ChargeType.SUPPORT_SERVICE)
    assert support.funding is Funding.COMMISSIONER
    assert "004_a3ce13cb4dfb885b.txt" in support.reason and "support services" in support.reason
    assert decide(charge_type=ChargeType.TRAINING).funding is Funding.COMMISSIONER


def test_a_licence_named_support_is_central_and_support_named_licence_is_not(db):
    emis_web = factories.item(db, "emis-web")
    support = factories.price(db, "emis-web", "System support")
    licence = factories.price(db, "emis-web", "Annual practice licence")
    support.name, licence.name = "Support licence", "Annual support"
    support.funding = licence.funding = None
    assert funding_for(emis_web, support).funding is Funding.COMMISSIONER
    assert funding_for(emis_web, licence).funding is Funding.CENTRAL


def test_lot_2_and_lot_3_are_the_commissioners():
    for lot in (2, 3):
        decision = decide(lot_number=lot, lot_default=Funding.COMMISSIONER, kind=ItemKind.SERVICE)
        assert decision.funding is Funding.COMMISSIONER
        assert f"Lot {lot}" in decision.reason
        assert REFUSED not in decision.reason


def test_nothing_is_central_on_a_framework_that_does_not_allow_it():
    decision = decide(framework_funding_types=["commissioner"])
    assert decision.funding is Funding.COMMISSIONER
    assert "framework" in decision.reason


def test_a_price_can_always_make_itself_the_commissioners():
    decision = decide(price_funding=Funding.COMMISSIONER)
    assert decision.funding is Funding.COMMISSIONER
    assert "commissioner pays" in decision.reason
    assert (
        decide(maturity_level=3, price_funding=Funding.COMMISSIONER).funding is Funding.COMMISSIONER
    )


def test_a_price_stating_central_where_the_rules_allow_it_is_central():
    decision = decide(price_funding=Funding.CENTRAL)
    assert decision.funding is Funding.CENTRAL
    assert "states" in decision.reason
    increment = decide(maturity_level=3, price_funding=Funding.CENTRAL)
    assert increment.funding is Funding.CENTRAL


@pytest.mark.parametrize(
    ("overrides", "why"),
    [
        pytest.param(
            {"lot_number": 2, "lot_default": Funding.COMMISSIONER, "kind": ItemKind.SERVICE},
            "Lot 2 is locally funded",
            id="lot-2-product",
        ),
        pytest.param(
            {"lot_number": 3, "lot_default": Funding.COMMISSIONER},
            "Lot 3 is locally funded",
            id="lot-3-product",
        ),
        pytest.param(
            {"charge_type": ChargeType.SUPPORT_SERVICE}, "Support services", id="system-support"
        ),
        pytest.param(
            {"kind": ItemKind.SERVICE, "charge_type": ChargeType.TRAINING},
            "Training",
            id="training",
        ),
        pytest.param({"charge_type": ChargeType.TRAINING}, "Training", id="training-on-a-system"),
        pytest.param(
            {"kind": ItemKind.SERVICE, "charge_type": ChargeType.DEPLOYMENT_AND_MIGRATION},
            "Deployment and migration",
            id="deployment",
        ),
        pytest.param(
            {"kind": ItemKind.SERVICE, "maturity_level": 0, "charge_type": ChargeType.LICENCE},
            "Services",
            id="service-of-no-level",
        ),
        pytest.param({"maturity_level": 1}, "Level 2", id="below-level-2"),
        pytest.param(
            {"kind": ItemKind.MODULE, "maturity_level": 1}, "Level 2", id="module-below-level-2"
        ),
        pytest.param(
            {"framework_funding_types": ["commissioner"]},
            "framework",
            id="framework-without-central",
        ),
    ],
)
def test_a_price_stating_central_cannot_override_the_rules(overrides, why):
    decision = decide(price_funding=Funding.CENTRAL, **overrides)
    assert decision.funding is Funding.COMMISSIONER
    assert why in decision.reason
    assert REFUSED in decision.reason


def test_the_lot_2_refusal_says_why():
    decision = decide(lot_number=2, lot_default=Funding.COMMISSIONER, price_funding=Funding.CENTRAL)
    assert decision.reason == (
        'Lot 2 is locally funded by the commissioner: such products are "procured and paid for '
        "locally by the CCG\" (seed 001_853fdf65414417db.txt); the price's own 'central' does not "
        "apply."
    )


def test_a_price_that_costs_nothing_is_funded_by_nobody():
    decision = decide(costs_nothing=True, price_funding=Funding.CENTRAL)
    assert decision.funding is None
    assert decision.reason


def test_seeded_prices_are_funded_as_connecting_for_health_said(db):
    emis_web = factories.item(db, "emis-web")
    funding = {price.name: funding_for(emis_web, price).funding for price in emis_web.prices}
    assert funding == {
        "Annual practice licence": Funding.CENTRAL,
        "Level 3 increment": Funding.CENTRAL,
        "System support": Funding.COMMISSIONER,
    }
    # A module takes its parent system's level: EMIS Patient Access rides on EMIS Web.
    module = factories.item(db, "emis-patient-access")
    assert {funding_for(module, price).funding for price in module.prices} == {Funding.CENTRAL}
    consultation = factories.item(db, "consultnow-online-consultation")  # Lot 2
    funded = {funding_for(consultation, price).funding for price in consultation.prices}
    assert funded == {Funding.COMMISSIONER}
    # Practice finance is a business application: additional IT, the practice's.
    finance = factories.item(db, "ledgerline-practice-finance")
    assert {funding_for(finance, price).funding for price in finance.prices} == {Funding.PRACTICE}


def test_rows_stating_central_are_held_to_the_rules(db):
    """funding_for on rows: the lot, the level, the price name and the framework all count."""
    finance = factories.item(db, "consultnow-online-consultation")  # Lot 2
    training = factories.item(db, "emis-training")  # a Lot 1 service
    emis_web = factories.item(db, "emis-web")
    support = next(price for price in emis_web.prices if price.name == "System support")
    licence = next(price for price in emis_web.prices if price.name.endswith("licence"))
    for price in [*finance.prices, *training.prices, support]:
        price.funding = Funding.CENTRAL
    for item, price in [
        *((finance, price) for price in finance.prices),
        *((training, price) for price in training.prices),
        (emis_web, support),
    ]:
        decision = funding_for(item, price)
        assert decision.funding is Funding.COMMISSIONER, price.name
        assert REFUSED in decision.reason
    assert funding_for(emis_web, licence).funding is Funding.CENTRAL
    framework: Framework = emis_web.lot.framework
    framework.funding_types = ["commissioner"]
    decision = funding_for(emis_web, licence)
    assert decision.funding is Funding.COMMISSIONER
    assert "framework" in decision.reason and REFUSED in decision.reason


# ------------------------------------------------------------ the three payers (issue 15)

SCANNING = InfrastructureCategory.SCANNING_DOCUMENT_MANAGEMENT
LOT_2_SERVICE = {"lot_number": 2, "lot_default": Funding.COMMISSIONER, "kind": ItemKind.SERVICE}


def test_every_heading_of_the_specification_has_a_class():
    classes = {category: class_of(category) for category in InfrastructureCategory}
    assert classes[SCANNING] is InfrastructureClass.ADDITIONAL
    assert classes[InfrastructureCategory.BUSINESS_APPLICATIONS] is InfrastructureClass.ADDITIONAL
    assert classes[InfrastructureCategory.SERVERS] is InfrastructureClass.CORE
    assert classes[InfrastructureCategory.N3_CONNECTION] is InfrastructureClass.CORE
    assert set(classes.values()) == set(InfrastructureClass)


def test_additional_it_is_paid_by_the_practice_whatever_the_lot_or_price_states():
    for stated in (None, Funding.COMMISSIONER, Funding.CENTRAL):
        decision = decide(**LOT_2_SERVICE, price_funding=stated, infrastructure_category=SCANNING)
        assert decision.funding is Funding.PRACTICE, stated
        assert decision.agreement_possible
        assert decision.reason == (
            "Scanning and document management: additional IT in the GP practice IT "
            "infrastructure specification, which the practice pays unless the commissioner and "
            "the practice agree that the commissioner funds it (seed 003_ad154007f6923b3d.txt: "
            '"subject to agreement between the PCT and practice").'
        )


def test_core_it_is_funded_by_the_commissioner_with_the_specification_as_the_reason():
    decision = decide(**LOT_2_SERVICE, infrastructure_category=InfrastructureCategory.SERVERS)
    assert decision.funding is Funding.COMMISSIONER
    assert not decision.agreement_possible
    assert decision.reason == (
        "Servers: core IT in the GP practice IT infrastructure specification, which the "
        'commissioner funds, always (seed 003_ad154007f6923b3d.txt: core is what "GPs are '
        'entitled to expect PCTs to support").'
    )


@pytest.mark.parametrize("stated", [Funding.PRACTICE, Funding.CENTRAL, None])
def test_core_it_is_the_commissioners_whatever_the_price_states(stated):
    decision = decide(
        **LOT_2_SERVICE,
        price_funding=stated,
        infrastructure_category=InfrastructureCategory.SWITCHES,
    )
    assert decision.funding is Funding.COMMISSIONER
    assert not decision.agreement_possible
    if stated is not None:
        assert f"the price's own '{stated.value}' does not apply" in decision.reason


def test_a_price_may_state_that_the_practice_pays():
    decision = decide(**LOT_2_SERVICE, price_funding=Funding.PRACTICE)
    assert decision.funding is Funding.PRACTICE
    assert not decision.agreement_possible  # the supplier's terms, not the specification's


def test_a_free_price_of_additional_it_is_still_funded_by_nobody():
    decision = decide(**LOT_2_SERVICE, costs_nothing=True, infrastructure_category=SCANNING)
    assert decision.funding is None


def test_seeded_scanner_is_additional_it_the_practice_pays_for(db):
    scanner = factories.item(db, "scanwise-desktop-scanner")
    assert scanner.infrastructure_category is SCANNING
    assert scanner.infrastructure_class is InfrastructureClass.ADDITIONAL
    assert {funding_for(scanner, price).funding for price in scanner.prices} == {Funding.PRACTICE}
