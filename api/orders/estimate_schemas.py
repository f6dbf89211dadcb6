"""The cost estimate (the business case) as the API shows it."""

from typing import Any

from marshmallow import Schema, fields

from .schemas import Integer, Pennies, SignedPennies

PAYERS_NOTE = (
    "Who pays: central (the framework authority), commissioner, practice (additional IT the "
    "commissioner has not agreed to fund); total is their exact sum (each shown rounded)."
)
LOCAL_NOTE = (
    "Deprecated: commissioner + practice, the one 'local' figure before the three payers; "
    "read commissioner and practice."
)


def _payer_fields(money: type[fields.Field], **total: Any) -> dict[str, fields.Field]:
    """The three payers' parts, the deprecated local, and the total."""
    return {
        "central": money(required=True),
        "commissioner": money(required=True),
        "practice": money(required=True),
        "local": money(required=True, metadata={"description": LOCAL_NOTE, "deprecated": True}),
        "total": money(required=True, **total),
    }


CostSplitSchema = Schema.from_dict(
    _payer_fields(Pennies, metadata={"description": PAYERS_NOTE}), name="CostSplitSchema"
)
CostChangeSplitSchema = Schema.from_dict(
    _payer_fields(SignedPennies, metadata={"description": PAYERS_NOTE}),
    name="CostChangeSplitSchema",
)


class CostYearSchema(Schema):
    year = Integer(required=True)
    start = fields.Date(required=True)
    end = fields.Date(required=True)
    months = Integer(required=True)


CostYearSummarySchema = Schema.from_dict(
    {
        "year": Integer(required=True),
        "one_off": fields.Nested(CostSplitSchema, required=True),
        "recurring": fields.Nested(CostSplitSchema, required=True),
        # One-off and recurring together, per payer.
        **_payer_fields(Pennies, metadata={"description": "One-off and recurring."}),
    },
    name="CostYearSummarySchema",
)

CostSummarySchema = Schema.from_dict(
    {
        "one_off": fields.Nested(CostSplitSchema, required=True),
        "recurring": fields.Nested(
            CostSplitSchema, required=True, metadata={"description": "Whole term."}
        ),
        "years": fields.List(fields.Nested(CostYearSummarySchema), required=True),
        **_payer_fields(Pennies, metadata={"description": "One-off and recurring, whole term."}),
    },
    name="CostSummarySchema",
)

CostYearChangeSchema = Schema.from_dict(
    {
        "year": fields.Integer(required=True),
        "one_off": fields.Nested(CostChangeSplitSchema, required=True),
        "recurring": fields.Nested(CostChangeSplitSchema, required=True),
        **_payer_fields(SignedPennies),
    },
    name="CostYearChangeSchema",
)

CostChangeSchema = Schema.from_dict(
    {
        "one_off": fields.Nested(CostChangeSplitSchema, required=True),
        "recurring": fields.Nested(CostChangeSplitSchema, required=True),
        "years": fields.List(fields.Nested(CostYearChangeSchema), required=True),
        **_payer_fields(SignedPennies),
    },
    name="CostChangeSchema",
)


LINE_KINDS = ["item", "previous_system", "bedding_in", "notice", "audit_trail", "baseline"]


class CostLineSchema(Schema):
    kind = fields.String(required=True, metadata={"enum": LINE_KINDS})
    catalogue_item_id = Integer(required=True)
    item_name = fields.String(required=True)
    supplier_name = fields.String(required=True)
    price_id = Integer(required=True, allow_none=True)
    price_name = fields.String(required=True)
    unit = fields.String(required=True)
    period = fields.String(required=True)
    quantity = Integer(required=True)
    funding = fields.String(required=True, allow_none=True)
    funding_reason = fields.String(required=True)
    first_day = fields.Date(required=True, metadata={"description": "Charged from (inclusive)."})
    last_day = fields.Date(required=True, metadata={"description": "Charged to (inclusive)."})
    one_off = Pennies(required=True)
    recurring_per_year = Pennies(required=True)
    per_year = fields.List(Pennies(), required=True)
    total = Pennies(required=True)


class RecipientEstimateSchema(Schema):
    ods_code = fields.String(required=True)
    name = fields.String(required=True)
    list_size = Integer(required=True)
    lines = fields.List(fields.Nested(CostLineSchema), required=True)
    summary = fields.Nested(CostSummarySchema, required=True)
    current_system = fields.String(
        required=True, allow_none=True, metadata={"description": "What the baseline keeps."}
    )
    baseline_lines = fields.List(fields.Nested(CostLineSchema), required=True)
    baseline = fields.Nested(CostSummarySchema, required=True)
    change = fields.Nested(
        CostChangeSchema,
        required=True,
        metadata={"description": "The order less the baseline, per year and per payer."},
    )


BASELINE_NOTE = (
    "The baseline is what the order replaces: a migrating practice's previous system (or the "
    "system the order renews) over the same term, at the level it runs (the increments of "
    "higher levels are not bought), at its current catalogue prices and funding; nothing for "
    "an upgrade in place or an add-on. The change is the order less the baseline (negative: "
    "the order costs less). A submitted order's business case is frozen with it."
)


class CostEstimateSchema(Schema):
    call_off_id = fields.String(required=True)
    commencement_date = fields.Date(required=True)
    term_months = Integer(required=True)
    years = fields.List(fields.Nested(CostYearSchema), required=True)
    recipients = fields.List(fields.Nested(RecipientEstimateSchema), required=True)
    totals = fields.Nested(CostSummarySchema, required=True)
    baseline = fields.Nested(CostSummarySchema, required=True)
    change = fields.Nested(CostChangeSchema, required=True)
    baseline_note = fields.String(required=True, dump_default=BASELINE_NOTE)
