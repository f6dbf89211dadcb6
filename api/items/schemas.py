"""Schemas shared by systems (and modules) and services: both are catalogue items."""

from typing import Any

from marshmallow import Schema, fields, validate

from api.capabilities.schemas import CapabilityRefSchema
from api.items.write_schemas import CHARGE_TYPE_DESCRIPTION
from api.suppliers.schemas import SupplierRefSchema
from catalogue.listings import roadmaps
from catalogue.models import (
    CatalogueItem,
    ChargeType,
    Funding,
    Hosting,
    InfrastructureCategory,
    InfrastructureClass,
    ItemKind,
    ItemStatus,
    PricePeriod,
    PriceUnit,
    RoadmapStatus,
    ServiceCategory,
    TierCalculation,
)
from service.fields import CapabilityCode, Id, Money
from service.pagination import PageArgsSchema


class PriceTierSchema(Schema):
    lower_bound = fields.Integer(required=True)
    upper_bound = fields.Integer(allow_none=True, metadata={"description": "null: open-ended"})
    amount = Money(required=True)


class PriceSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    description = fields.String(required=True)
    currency = fields.String(required=True, metadata={"enum": ["GBP"]})
    unit = fields.Enum(PriceUnit, by_value=True, required=True)
    period = fields.Enum(PricePeriod, by_value=True, required=True)
    model = fields.Function(
        lambda price: "flat" if price.is_flat else "tiered",
        required=True,
        metadata={"enum": ["flat", "tiered"]},
    )
    amount = Money(
        attribute="flat_amount",
        allow_none=True,
        metadata={"description": "The amount of a flat price; null when tiered."},
    )
    tier_calculation = fields.Enum(TierCalculation, by_value=True, required=True)
    tiers = fields.List(fields.Nested(PriceTierSchema), required=True)
    charge_type = fields.Enum(
        ChargeType, by_value=True, required=True, metadata={"description": CHARGE_TYPE_DESCRIPTION}
    )
    funding = fields.Enum(
        Funding,
        by_value=True,
        allow_none=True,
        metadata={"description": "The payer the price states, if it states one; null: the rules."},
    )
    effective_from = fields.Date(required=True)
    effective_to = fields.Date(allow_none=True)
    illustrative = fields.Boolean(
        required=True, metadata={"description": "True where the figure is not from a source."}
    )
    source = fields.String(required=True)


class LotRefSchema(Schema):
    number = fields.Integer(required=True)
    name = fields.String(required=True)


class FrameworkRefSchema(Schema):
    slug = fields.String(required=True)
    name = fields.String(required=True)
    status = fields.String(required=True)


class ItemRefSchema(Schema):
    id = fields.Integer(required=True)
    kind = fields.Enum(ItemKind, by_value=True, required=True)
    name = fields.String(required=True)


class RoadmapEntrySchema(Schema):
    id = fields.Integer(required=True)
    capability = fields.Nested(CapabilityRefSchema, required=True)
    target_date = fields.Date(required=True)
    status = fields.Enum(
        RoadmapStatus,
        by_value=True,
        required=True,
        metadata={"description": "The supplier's word: planned, in_accreditation, delivered."},
    )
    note = fields.String(required=True)
    accredited_on = fields.Date(
        allow_none=True,
        metadata={"description": "When the authority granted the capability; null until then."},
    )


class PlannedLevelSchema(Schema):
    level = fields.Integer(required=True)
    by = fields.Date(
        required=True, metadata={"description": "The latest target date of what it still needs."}
    )


PLANNED_LEVEL_JSON = {
    "type": "object",
    "properties": {"level": {"type": "integer"}, "by": {"type": "string", "format": "date"}},
    "required": ["level", "by"],
}


def _planned_levels(item: CatalogueItem) -> list[dict[str, Any]]:
    return [{"level": level, "by": by} for level, by in roadmaps.planned_levels_of(item)]


class CatalogueItemSchema(Schema):
    id = fields.Integer(required=True)
    slug = fields.String(required=True)
    kind = fields.Enum(ItemKind, by_value=True, required=True)
    name = fields.String(required=True)
    summary = fields.String(required=True)
    description = fields.String(required=True)
    supplier = fields.Nested(SupplierRefSchema, required=True)
    framework = fields.Nested(FrameworkRefSchema, attribute="lot.framework", required=True)
    lot = fields.Nested(LotRefSchema, required=True)
    parent = fields.Nested(ItemRefSchema, allow_none=True)
    category = fields.Enum(ServiceCategory, by_value=True, allow_none=True)
    hosting = fields.Enum(Hosting, by_value=True, required=True)
    infrastructure_category = fields.Enum(
        InfrastructureCategory,
        by_value=True,
        required=True,
        allow_none=True,
        metadata={
            "description": "The item's heading in the GP practice IT infrastructure "
            "specification; null where the item is not practice IT infrastructure."
        },
    )
    infrastructure_class = fields.Enum(
        InfrastructureClass,
        by_value=True,
        required=True,
        allow_none=True,
        metadata={
            "description": "core: the commissioner funds it; additional: the practice pays "
            "unless the commissioner agrees to fund it (recorded on an order line); null: not "
            "practice IT infrastructure."
        },
    )
    rfa_version = fields.String(allow_none=True)
    status = fields.Enum(ItemStatus, by_value=True, required=True)
    rejection_reason = fields.String(
        allow_none=True,
        metadata={"description": "Why the authority last sent the item back to draft, if it did."},
    )
    maturity_level = fields.Function(
        lambda item: item.maturity_level or None,
        required=True,
        allow_none=True,
        metadata={
            "type": ["integer", "null"],
            "description": "Derived from the accredited capabilities; null below level 1.",
        },
    )
    capabilities = fields.List(fields.Nested(CapabilityRefSchema), required=True)
    prices = fields.List(fields.Nested(PriceSchema), required=True)
    roadmap = fields.List(
        fields.Nested(RoadmapEntrySchema),
        required=True,
        metadata={"description": "Capabilities the supplier plans, by target date."},
    )
    planned_levels = fields.Function(
        _planned_levels,
        required=True,
        metadata={
            "type": "array",
            "items": PLANNED_LEVEL_JSON,
            "description": (
                "Each level above the item's that its roadmap (entries not yet accredited) "
                "reaches, and by when."
            ),
        },
    )
    accredited_on = fields.Date(allow_none=True)
    version = fields.Integer(required=True)
    published_at = fields.DateTime(allow_none=True)
    updated_at = fields.DateTime(required=True)


class ItemQueryArgsSchema(PageArgsSchema):
    framework = fields.String(validate=validate.Length(max=64))
    lot = fields.Integer(validate=validate.Range(min=1, max=1000))
    supplier = Id()
    capability = fields.List(
        CapabilityCode(),
        validate=validate.Length(max=50),
        metadata={"description": "Capability code, in any case; repeat it to require several."},
    )
    maturity_level = fields.Integer(
        validate=validate.Range(min=0, max=100), metadata={"description": "The minimum level."}
    )
    hosting = fields.Enum(Hosting, by_value=True)
    status = fields.String(
        validate=validate.OneOf([status.value for status in ItemStatus]),
        metadata={"description": "Narrows to one status, among those you may see."},
    )
