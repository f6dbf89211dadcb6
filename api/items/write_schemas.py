"""Input and output schemas for writing catalogue items (systems, modules and services alike):
prices, transitions, accreditations and pending revisions."""

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from catalogue.listings.roadmaps import NOTE_MAX
from catalogue.models import (
    ChargeType,
    InfrastructureCategory,
    PricePeriod,
    PriceUnit,
    RevisionStatus,
    RoadmapStatus,
    TierCalculation,
)
from catalogue.validation import DESCRIPTION_MAX, NAME_MAX, REASON_MAX, SUMMARY_MAX
from service.fields import MAX_ID, BoundedList, CapabilityCode, Integer, Money, Payer

RFA_MAX = 32
INFRASTRUCTURE_CATEGORY_DESCRIPTION = (
    "The item's heading in the GP practice IT infrastructure specification (null: not practice "
    "IT infrastructure); it sets the item's infrastructure_class: core (the commissioner funds "
    "it) or additional (the practice pays unless the commissioner agrees to fund it)."
)
BOUND = validate.Range(min=1, max=MAX_ID)
CHARGE_TYPE_DESCRIPTION = (
    "What the price charges for, stated by the supplier and checked by the authority's review: "
    "with the lot and the item's infrastructure class it decides who pays (never the words of "
    "the price's name)."
)


class PriceTierInputSchema(Schema):
    lower_bound = Integer(required=True, strict=True, validate=BOUND)
    upper_bound = Integer(
        required=True,
        strict=True,
        allow_none=True,
        validate=BOUND,
        metadata={"description": "null: open-ended (the last tier only)."},
    )
    amount = Money(required=True)


class _PriceFieldsSchema(Schema):
    description = fields.String(validate=validate.Length(max=DESCRIPTION_MAX))
    currency = fields.String(
        validate=validate.OneOf(["GBP"]), metadata={"description": "GBP only (the default)."}
    )
    tier_calculation = fields.Enum(TierCalculation, by_value=True)
    funding = Payer(
        allow_none=True,
        metadata={
            "description": "Who pays: central, commissioner or practice; null: the rules "
            "decide (the lot's default, the item's infrastructure class...). The retired "
            "'local' is refused with a message saying what it became."
        },
    )
    effective_to = fields.Date(allow_none=True)
    amount = Money(allow_none=True, metadata={"description": "A flat price; or give tiers."})
    tiers = BoundedList(
        fields.Nested(PriceTierInputSchema),
        allow_none=True,
        validate=validate.Length(min=1, max=50),
        metadata={"description": "Start at 1, contiguous, the last open-ended."},
    )

    @validates_schema
    def _one_of_amount_or_tiers(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("amount") is not None and data.get("tiers") is not None:
            raise ValidationError("Give amount or tiers, not both.", "tiers")


class PriceCreateSchema(_PriceFieldsSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=NAME_MAX))
    charge_type = fields.Enum(
        ChargeType, by_value=True, required=True, metadata={"description": CHARGE_TYPE_DESCRIPTION}
    )
    unit = fields.Enum(PriceUnit, by_value=True, required=True)
    period = fields.Enum(PricePeriod, by_value=True, required=True)
    effective_from = fields.Date(required=True)

    @validates_schema
    def _amount_or_tiers(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("amount") is None and data.get("tiers") is None:
            raise ValidationError("Give amount (a flat price) or tiers.", "amount")


class PriceUpdateSchema(_PriceFieldsSchema):
    name = fields.String(validate=validate.Length(min=1, max=NAME_MAX))
    charge_type = fields.Enum(
        ChargeType, by_value=True, metadata={"description": CHARGE_TYPE_DESCRIPTION}
    )
    unit = fields.Enum(PriceUnit, by_value=True)
    period = fields.Enum(PricePeriod, by_value=True)
    effective_from = fields.Date()


class ItemFieldsUpdateSchema(Schema):
    """Fields every kind of item shares, all optional (a PATCH)."""

    name = fields.String(validate=validate.Length(min=1, max=NAME_MAX))
    summary = fields.String(validate=validate.Length(max=SUMMARY_MAX))
    description = fields.String(validate=validate.Length(max=DESCRIPTION_MAX))
    rfa_version = fields.String(allow_none=True, validate=validate.Length(max=RFA_MAX))
    infrastructure_category = fields.Enum(
        InfrastructureCategory,
        by_value=True,
        allow_none=True,
        metadata={"description": INFRASTRUCTURE_CATEGORY_DESCRIPTION},
    )


class ReasonSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=REASON_MAX))


class OptionalReasonSchema(Schema):
    reason = fields.String(validate=validate.Length(min=1, max=REASON_MAX))


class AccreditationSchema(Schema):
    code = fields.String(
        required=True,
        validate=validate.Length(min=1, max=64),
        metadata={"description": "The capability code, e.g. eps."},
    )


class ProposedTierSchema(Schema):
    lower_bound = Integer(required=True)
    upper_bound = Integer(allow_none=True, required=True)
    amount = fields.String(required=True, metadata={"description": "A decimal string."})


class ProposedPriceSchema(Schema):
    id = Integer(allow_none=True, required=True, metadata={"description": "null: a new price."})
    name = fields.String(required=True)
    description = fields.String(required=True)
    unit = fields.String(required=True)
    period = fields.String(required=True)
    tier_calculation = fields.String(required=True)
    charge_type = fields.String(required=True, metadata={"enum": [c.value for c in ChargeType]})
    funding = fields.String(allow_none=True, required=True)
    effective_from = fields.String(required=True)
    effective_to = fields.String(allow_none=True, required=True)
    tiers = fields.List(fields.Nested(ProposedTierSchema), required=True)


class RoadmapEntryCreateSchema(Schema):
    capability = CapabilityCode(
        required=True, metadata={"description": "The capability planned, by code (e.g. eps)."}
    )
    target_date = fields.Date(required=True, metadata={"description": "When it is planned."})
    status = fields.Enum(
        RoadmapStatus,
        by_value=True,
        load_default=RoadmapStatus.PLANNED,
        metadata={"description": "planned (the default), in_accreditation or delivered."},
    )
    note = fields.String(validate=validate.Length(max=NOTE_MAX))


class RoadmapEntryUpdateSchema(Schema):
    target_date = fields.Date()
    status = fields.Enum(RoadmapStatus, by_value=True)
    note = fields.String(validate=validate.Length(max=NOTE_MAX))


class ProposedRoadmapEntrySchema(Schema):
    id = Integer(allow_none=True, required=True, metadata={"description": "null: a new entry."})
    capability = fields.String(required=True)
    target_date = fields.String(required=True)
    status = fields.String(required=True)
    note = fields.String(required=True)
    accredited_on = fields.String(allow_none=True, required=True)


class ProposalSchema(Schema):
    fields_ = fields.Dict(
        data_key="fields", attribute="fields", required=True, metadata={"description": "Fields."}
    )
    prices = fields.List(fields.Nested(ProposedPriceSchema), required=True)
    roadmap = fields.List(
        fields.Nested(ProposedRoadmapEntrySchema),
        metadata={"description": "Absent from revisions proposed before roadmaps existed."},
    )


class RevisionDiffSchema(Schema):
    fields_ = fields.Dict(
        data_key="fields",
        attribute="fields",
        required=True,
        metadata={"description": 'Changed fields: {"name": {"from": ..., "to": ...}}.'},
    )
    prices = fields.Dict(
        required=True, metadata={"description": "Prices added, removed and changed."}
    )
    roadmap = fields.Dict(
        required=True, metadata={"description": "Roadmap entries added, removed and changed."}
    )


class RevisionSchema(Schema):
    id = Integer(required=True)
    item_id = Integer(required=True)
    status = fields.Enum(RevisionStatus, by_value=True, required=True)
    base_version = Integer(
        required=True, metadata={"description": "The item version the revision started from."}
    )
    proposed = fields.Nested(ProposalSchema, required=True)
    diff = fields.Nested(
        RevisionDiffSchema,
        allow_none=True,
        metadata={"description": "Against the published item; null once decided."},
    )
    created_at = fields.DateTime(required=True)
    created_by = fields.String(required=True)
    updated_at = fields.DateTime(required=True)
    decided_at = fields.DateTime(allow_none=True)
    decided_by = fields.String(allow_none=True)
    rejection_reason = fields.String(allow_none=True)
