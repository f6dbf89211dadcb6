"""Starting a selection and changing its settings: the practice, the framework, the term and the
weights (price 30-90 % in steps of 5, so non-price 10-70 %; the four non-price groups, each in
steps of 5 too, sum to 100).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue import audit
from catalogue.errors import Forbidden
from catalogue.models import (
    CatalogueItem,
    CriterionGroup,
    Framework,
    FrameworkStatus,
    ItemStatus,
    Lot,
    Moderation,
    Organisation,
    OrganisationKind,
    Selection,
    SelectionStatus,
)
from catalogue.principal import Principal, Role
from catalogue.selections.access import check_role, ensure_writable, record_change, summary, touch
from catalogue.selections.scoring import (
    PRICE_WEIGHT_RANGE,
    WEIGHT_STEP,
)
from catalogue.validation import FieldErrors

DEFAULT_TERM_MONTHS = 36


def check_weights(
    errors: FieldErrors, price_weight: int, group_weights: Mapping[CriterionGroup, int]
) -> None:
    """Add to `errors` what is wrong with a selection's price and group weights."""
    low, high = PRICE_WEIGHT_RANGE
    if not low <= price_weight <= high or price_weight % WEIGHT_STEP:
        errors.add(
            "price_weight",
            f"The price weight is {low} to {high} % in steps of {WEIGHT_STEP} "
            f"(so the non-price weight is {100 - high} to {100 - low} %); got {price_weight}.",
        )
    if set(group_weights) != set(CriterionGroup):
        errors.add(
            "non_price_weights",
            "Give a weight for each group: " + ", ".join(g.value for g in CriterionGroup) + ".",
        )
    elif any(not 0 <= weight <= 100 for weight in group_weights.values()):
        errors.add("non_price_weights", "Each group weight is 0 to 100.")
    elif off_step := {g.value: w for g, w in group_weights.items() if w % WEIGHT_STEP}:
        listed = ", ".join(f"{group} {weight}" for group, weight in off_step.items())
        errors.add(
            "non_price_weights",
            f"Group weights go in steps of {WEIGHT_STEP}, as the price weight does; "
            f"not so: {listed}.",
        )
    elif sum(group_weights.values()) != 100:
        errors.add(
            "non_price_weights",
            f"The group weights must add up to 100; they add up to {sum(group_weights.values())}.",
        )


def _set_group_weights(selection: Selection, weights: Mapping[CriterionGroup, int]) -> None:
    selection.features_weight = weights[CriterionGroup.FEATURES]
    selection.implementation_weight = weights[CriterionGroup.IMPLEMENTATION]
    selection.interoperability_weight = weights[CriterionGroup.INTEROPERABILITY]
    selection.service_levels_weight = weights[CriterionGroup.SERVICE_LEVELS]


DEFAULT_GROUP_WEIGHTS = {group: 25 for group in CriterionGroup}


def _practice_by_ods(session: Session, ods_code: str) -> Organisation | None:
    return session.scalars(
        select(Organisation).where(
            Organisation.ods_code == ods_code, Organisation.kind == OrganisationKind.PRACTICE
        )
    ).first()


def _term_errors(term_months: int, framework: Framework | None) -> list[str]:
    maximum = framework.max_term_months if framework else None
    if term_months < 1:
        return ["The term is at least one month."]
    if maximum is not None and term_months > maximum:
        return [f"The framework allows call-off terms of at most {maximum} months."]
    return []


def _framework_errors(session: Session, framework: Framework) -> list[str]:
    """A selection chooses among a framework's published items, to call one off: an expired
    framework, or one with nothing published, has nothing to choose."""
    if framework.status is FrameworkStatus.EXPIRED:
        return [
            f"{framework.name} has expired: nothing can be called off it any more. Choose a "
            "framework that is open or live."
        ]
    published = session.scalar(
        select(CatalogueItem.id)
        .join(Lot, Lot.id == CatalogueItem.lot_id)
        .where(Lot.framework_id == framework.id, CatalogueItem.status == ItemStatus.PUBLISHED)
        .limit(1)
    )
    if published is None:
        return [f"{framework.name} has no published items to choose among."]
    return []


def create_selection(
    session: Session,
    actor: Principal,
    *,
    name: str,
    practice: str,
    framework: str,
    term_months: int | None = None,
    price_weight: int = 50,
    non_price_weights: Mapping[CriterionGroup, int] | None = None,
    moderation: Moderation = Moderation.COMMISSIONER,
) -> Selection:
    """Start a selection for a practice; it belongs to the practice's commissioner."""
    check_role(actor)
    if actor.role is Role.PRACTICE:
        raise Forbidden("The commissioner starts a selection with its practice.")
    errors = FieldErrors()
    found_practice = _practice_by_ods(session, practice)
    if found_practice is None:
        errors.add("practice", f"No practice has the ODS code {practice!r}.")
    elif (
        actor.role is Role.COMMISSIONER and found_practice.commissioner_id != actor.organisation_id
    ):
        errors.add("practice", f"Practice {practice} is not one of your practices.")
    found_framework = session.scalars(select(Framework).where(Framework.slug == framework)).first()
    if found_framework is None:
        errors.add("framework", f"No framework {framework!r}.")
    else:
        errors.extend("framework", _framework_errors(session, found_framework))
    if term_months is None:
        term_months = min(
            DEFAULT_TERM_MONTHS,
            found_framework.max_term_months if found_framework else DEFAULT_TERM_MONTHS,
        )
    errors.extend("term_months", _term_errors(term_months, found_framework))
    weights = dict(non_price_weights or DEFAULT_GROUP_WEIGHTS)
    check_weights(errors, price_weight, weights)
    errors.raise_if_any("The selection cannot be started as asked.")
    assert found_practice is not None and found_framework is not None
    selection = Selection(
        name=name,
        commissioner_id=found_practice.commissioner_id,
        practice=found_practice,
        framework=found_framework,
        term_months=term_months,
        price_weight=price_weight,
        moderation=moderation,
        created_by=actor.label,
        status=SelectionStatus.DRAFT,
    )
    _set_group_weights(selection, weights)
    session.add(selection)
    session.flush()
    record_change(session, actor, "created", selection, after=summary(selection))
    return selection


def update_selection(
    session: Session, actor: Principal, selection: Selection, changes: Mapping[str, Any]
) -> Selection:
    """Change the name, term or weights. Changed weights are checked as they would stand (a
    selection made before group weights went in steps of 5 can still be renamed)."""
    ensure_writable(actor, selection)
    before = summary(selection)
    price_weight = changes.get("price_weight", selection.price_weight)
    weights = dict(changes.get("non_price_weights") or selection.group_weights)
    errors = FieldErrors()
    if "price_weight" in changes or "non_price_weights" in changes:
        check_weights(errors, price_weight, weights)
    if "term_months" in changes:
        errors.extend("term_months", _term_errors(changes["term_months"], selection.framework))
    errors.raise_if_any("The selection cannot be changed as asked.")
    if "name" in changes:
        selection.name = changes["name"]
    if "term_months" in changes:
        selection.term_months = changes["term_months"]
    if "moderation" in changes:
        selection.moderation = changes["moderation"]
    selection.price_weight = price_weight
    _set_group_weights(selection, weights)
    changed_before, changed_after = audit.changes(before, summary(selection))
    if changed_after:
        touch(selection)
        session.flush()
        record_change(
            session, actor, "updated", selection, before=changed_before, after=changed_after
        )
    return selection
