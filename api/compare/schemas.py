from marshmallow import Schema, fields, validate
from webargs.fields import DelimitedList

from api.items.schemas import (
    FrameworkRefSchema,
    ItemRefSchema,
    LotRefSchema,
    PlannedLevelSchema,
    RoadmapEntrySchema,
)
from api.orders.schemas import SignedPennies
from api.organisations.schemas import OrganisationRefSchema
from api.suppliers.schemas import SupplierRefSchema
from catalogue.estate import runs_now
from catalogue.models import Funding, Hosting, ItemKind, PricePeriod, PriceUnit, ServiceCategory
from catalogue.selections.compare import MAX_COMPARED
from service.fields import Id, Money


class CompareArgsSchema(Schema):
    ids = DelimitedList(
        Id(),
        required=True,
        validate=validate.Length(min=1, max=MAX_COMPARED),
        metadata={"description": f"Item ids, comma-separated (1 to {MAX_COMPARED})."},
    )
    practice = fields.String(
        validate=validate.Length(min=1, max=16),
        metadata={"description": "ODS code of a practice: adds each item's whole-life cost."},
    )
    term_months = fields.Integer(
        load_default=36,
        validate=validate.Range(min=1, max=120),
        metadata={"description": "The term the whole-life cost covers."},
    )


class WholeLifeCostLineSchema(Schema):
    price_id = fields.Integer(required=True)
    price_name = fields.String(required=True)
    unit = fields.String(required=True, metadata={"enum": [u.value for u in PriceUnit]})
    period = fields.String(required=True, metadata={"enum": [p.value for p in PricePeriod]})
    quantity = fields.Integer(required=True)
    funding = fields.String(
        allow_none=True, required=True, metadata={"enum": [f.value for f in Funding] + [None]}
    )
    funding_reason = fields.String(required=True)
    one_off = Money(required=True)
    recurring_per_year = Money(required=True)
    recurring_total = Money(required=True)
    total = Money(required=True)


class WholeLifeCostSchema(Schema):
    term_months = fields.Integer(required=True)
    one_off = Money(required=True)
    recurring_per_year = Money(required=True)
    recurring = Money(required=True, metadata={"description": "Recurring charges over the term."})
    total = Money(required=True)
    central = Money(required=True, metadata={"description": "Centrally funded part."})
    commissioner = Money(required=True, metadata={"description": "Part the commissioner pays."})
    practice = Money(
        required=True,
        metadata={
            "description": "Part the practice pays: additional IT (the GP practice IT "
            "infrastructure specification), unless the commissioner agrees to fund it."
        },
    )
    local = Money(
        required=True,
        metadata={
            "description": "Deprecated: commissioner + practice, the one 'local' figure before "
            "the three payers; read commissioner and practice.",
            "deprecated": True,
        },
    )
    lines = fields.List(fields.Nested(WholeLifeCostLineSchema), required=True)


class ComparedServiceSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    category = fields.Enum(ServiceCategory, by_value=True, allow_none=True, required=True)


class ComparedCapabilitySchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    category = fields.String(required=True)


class ComparedItemSchema(Schema):
    id = fields.Integer(attribute="item.id", required=True)
    slug = fields.String(attribute="item.slug", required=True)
    kind = fields.Enum(ItemKind, by_value=True, attribute="item.kind", required=True)
    name = fields.String(attribute="item.name", required=True)
    supplier = fields.Nested(SupplierRefSchema, attribute="item.supplier", required=True)
    framework = fields.Nested(FrameworkRefSchema, attribute="item.lot.framework", required=True)
    lot = fields.Nested(LotRefSchema, attribute="item.lot", required=True)
    maturity_level = fields.Integer(
        attribute="item.maturity_level",
        required=True,
        metadata={"description": "Derived from the accredited capabilities (0: below level 1)."},
    )
    hosting = fields.Enum(Hosting, by_value=True, attribute="item.hosting", required=True)
    rfa_version = fields.String(attribute="item.rfa_version", allow_none=True, required=True)
    capability_matrix = fields.Dict(
        keys=fields.String(),
        values=fields.Boolean(),
        required=True,
        metadata={"description": "For each capability in `capabilities`: held or not."},
    )
    migration_services = fields.List(fields.Nested(ComparedServiceSchema), required=True)
    audit_trail_services = fields.List(fields.Nested(ComparedServiceSchema), required=True)
    whole_life_cost = fields.Nested(
        WholeLifeCostSchema,
        allow_none=True,
        required=True,
        metadata={"description": "For the practice over the term; null without a practice."},
    )
    against_staying = SignedPennies(
        allow_none=True,
        required=True,
        metadata={
            "description": "Moving to the item less staying as the practice is (current_system"
            ".staying), over the term; negative when moving costs less. Null without a "
            "practice or its current system."
        },
    )
    roadmap = fields.List(
        fields.Nested(RoadmapEntrySchema), attribute="item.roadmap", required=True
    )
    planned_levels = fields.List(
        fields.Nested(PlannedLevelSchema),
        required=True,
        metadata={"description": "Levels above the item's that its supplier's roadmap reaches."},
    )


class ComparedPracticeSchema(OrganisationRefSchema):
    list_size = fields.Integer(required=True)
    running_level = fields.Function(
        lambda practice: running.level if (running := runs_now(practice)) else None,
        metadata={
            "description": "The level it runs its system at (its estate).",
            "type": ["integer", "null"],
        },
    )


class UpgradeOptionSchema(Schema):
    to_level = fields.Integer(required=True)
    increments = fields.List(
        fields.String(), required=True, metadata={"description": "Increment prices bought."}
    )
    whole_life_cost = fields.Nested(
        WholeLifeCostSchema,
        attribute="cost",
        required=True,
        metadata={"description": "Staying plus the increments, over the term."},
    )


class StayOrUpgradeSchema(Schema):
    system = fields.Nested(ItemRefSchema, required=True, metadata={"description": "Kept."})
    supplier = fields.Nested(SupplierRefSchema, attribute="system.supplier", required=True)
    system_level = fields.Integer(
        attribute="system.maturity_level",
        required=True,
        metadata={"description": "The level the system is accredited to."},
    )
    running_level = fields.Integer(required=True, metadata={"description": "The practice's."})
    staying = fields.Nested(
        WholeLifeCostSchema,
        required=True,
        metadata={"description": "Its recurring prices up to the level it runs, over the term."},
    )
    upgrades = fields.List(
        fields.Nested(UpgradeOptionSchema),
        required=True,
        metadata={"description": "Each level it can move up to on the same system, no migration."},
    )
    roadmap = fields.List(
        fields.Nested(RoadmapEntrySchema), attribute="system.roadmap", required=True
    )
    planned_levels = fields.List(
        fields.Nested(PlannedLevelSchema),
        required=True,
        metadata={"description": "Levels above the system's its supplier's roadmap reaches."},
    )


class ComparisonSchema(Schema):
    practice = fields.Nested(ComparedPracticeSchema, allow_none=True, required=True)
    term_months = fields.Integer(required=True)
    priced_on = fields.Date(required=True)
    capabilities = fields.List(fields.Nested(ComparedCapabilitySchema), required=True)
    items = fields.List(fields.Nested(ComparedItemSchema), attribute="rows", required=True)
    current_system = fields.Nested(
        StayOrUpgradeSchema,
        allow_none=True,
        required=True,
        metadata={
            "description": "With a practice: staying on its current system and upgrading it in "
            "place, against moving to each item (null without a practice or a recorded system)."
        },
    )
