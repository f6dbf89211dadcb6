from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from catalogue.models import AuditTrailOption, Funding, OrderStatus
from catalogue.orders import Transition
from catalogue.pricing import to_pennies
from catalogue.validation import REASON_MAX
from service.fields import BoundedDict, BoundedList, Integer, Money
from service.pagination import PageArgsSchema

ID = validate.Range(min=1, max=2**31 - 1)
ODS_CODE = validate.Regexp(r"^[A-Za-z0-9]{3,8}$", error="Not an ODS code.")
MAX_RECIPIENTS = 1000
MAX_ITEMS = 200


class Pennies(Money):
    """An exact amount shown rounded to the penny (the estimate is exact until presented)."""

    def _serialize(
        self, value: Decimal | None, attr: str | None, obj: Any, **kwargs: Any
    ) -> str | None:
        return None if value is None else super()._serialize(to_pennies(value), attr, obj)


def signed_pennies(amount: Decimal) -> Decimal:
    """To the penny, with no negative zero."""
    rounded = to_pennies(amount)
    return abs(rounded) if rounded == 0 else rounded


class SignedPennies(Money):
    """A change of cost, to the penny: negative when the order costs less than the baseline."""

    def __init__(self, **kwargs: Any) -> None:
        metadata = kwargs.pop("metadata", {})
        metadata.setdefault("pattern", r"^-?\d{1,12}\.\d{2}$")
        metadata.setdefault("examples", ["-1250.00"])
        super().__init__(metadata=metadata, **kwargs)

    def _serialize(
        self, value: Decimal | None, attr: str | None, obj: Any, **kwargs: Any
    ) -> str | None:
        return None if value is None else super()._serialize(signed_pennies(value), attr, obj)


# ------------------------------------------------------------------------------------ input


class OrderItemInputSchema(Schema):
    catalogue_item_id = Integer(required=True, validate=ID)
    price_id = Integer(required=True, validate=ID)
    quantities = BoundedDict(
        max_entries=MAX_RECIPIENTS,
        keys=fields.String(validate=ODS_CODE),
        values=Integer(
            strict=True, validate=validate.Range(min=0, max=10_000_000, error="0 or more.")
        ),
        load_default=dict,
        metadata={
            "description": "Units per recipient by ODS code; omitted recipients get the default "
            "(the list size for per-patient prices, otherwise 1)."
        },
    )


class MigrationInputSchema(Schema):
    previous_system_id = Integer(
        allow_none=True,
        validate=ID,
        metadata={
            "description": "The system the practice runs now; left out, the one its "
            "organisation records. Any other is refused: a practice's previous system is the "
            "one it runs, and never the system ordered."
        },
    )
    planned_go_live = fields.Date(allow_none=True)
    audit_trail_option = fields.Enum(AuditTrailOption, by_value=True, allow_none=True)
    audit_trail_quantity = Integer(
        allow_none=True,
        validate=validate.Range(min=1, max=1000),
        metadata={"description": "Users kept (single-user retention) or retrieval requests."},
    )
    notice_given_on = fields.Date(
        allow_none=True,
        metadata={
            "description": "The day notice is given to the previous supplier (default: "
            "business go-live). The previous service ends no earlier than 3 months after it."
        },
    )


class RecipientMigrationInputSchema(MigrationInputSchema):
    ods_code = fields.String(
        required=True, validate=ODS_CODE, metadata={"description": "A recipient of the order."}
    )


class UpgradeInputSchema(Schema):
    ods_code = fields.String(
        required=True, validate=ODS_CODE, metadata={"description": "A recipient of the order."}
    )
    to_level = Integer(
        required=True,
        validate=validate.Range(min=1, max=100),
        metadata={"description": "The maturity level the practice moves up to."},
    )


class _OrderFields(Schema):
    description = fields.String(validate=validate.Length(max=500))
    commencement_date = fields.Date(allow_none=True)
    term_months = Integer(
        allow_none=True,
        validate=validate.Range(min=1, max=1200),
        metadata={"description": "At most the framework's maximum call-off term."},
    )
    recipients = BoundedList(
        fields.String(validate=ODS_CODE),
        validate=validate.Length(max=MAX_RECIPIENTS),
        metadata={"description": "ODS codes of the commissioner's practices."},
    )
    items = BoundedList(
        fields.Nested(OrderItemInputSchema), validate=validate.Length(max=MAX_ITEMS)
    )
    migration = fields.Nested(
        MigrationInputSchema,
        allow_none=True,
        metadata={
            "description": "One migration for every recipient not already on the ordered "
            "system, each from the system it runs (a `previous_system_id` given must be that "
            "of each of them). Null: no practice changes system. Use `migrations` when "
            "practices need different dates or options."
        },
    )
    migrations = fields.List(
        fields.Nested(RecipientMigrationInputSchema),
        allow_none=True,
        validate=validate.Length(max=MAX_RECIPIENTS),
        metadata={
            "description": "One migration per recipient that changes system (replaces the "
            "whole list). Not with `migration`."
        },
    )
    upgrades = fields.List(
        fields.Nested(UpgradeInputSchema),
        allow_none=True,
        validate=validate.Length(max=MAX_RECIPIENTS),
        metadata={
            "description": "Recipients keeping their system and moving up the maturity ladder "
            "(replaces the whole list; null: none). Each must run a principal system on the "
            "order, accredited to `to_level`, at a lower level; the order then carries the "
            "system's increment of each level climbed, and needs no migration for them."
        },
    )


class OrderCreateSchema(_OrderFields):
    framework = fields.String(validate=validate.Length(min=1, max=64))
    supplier_id = Integer(validate=ID)
    selection_id = Integer(
        validate=ID,
        metadata={
            "description": "A locked selection: prefills the supplier, the winning system and "
            "its prices, and the practice."
        },
    )

    @validates_schema
    def _needs_supplier(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "selection_id" in data:
            return
        errors = {
            name: ["Required unless the order is made from a selection."]
            for name in ("framework", "supplier_id")
            if name not in data
        }
        if errors:
            raise ValidationError(errors)


class OrderUpdateSchema(_OrderFields):
    """Fields present replace the draft's; recipients and items replace the whole list."""


class OrderTransitionSchema(Schema):
    reason = fields.String(
        validate=validate.Length(max=1000),
        allow_none=True,
        metadata={"description": "Required to cancel or terminate."},
    )
    go_live_date = fields.Date(
        allow_none=True, metadata={"description": "Business go-live; required for go-live."}
    )


class NoticeExtensionSchema(Schema):
    service_end = fields.Date(
        required=True,
        metadata={"description": "The new last day of the previous service (later than now)."},
    )
    reason = fields.String(
        required=True,
        validate=validate.Length(min=1, max=1000),
        metadata={"description": "Why: e.g. problems with the new system."},
    )


class OrderQueryArgsSchema(PageArgsSchema):
    status = fields.Enum(OrderStatus, by_value=True)


# ----------------------------------------------------------------------------------- output


class OrderPartySchema(Schema):
    id = Integer(required=True)
    name = fields.String(required=True)


class OrderCommissionerSchema(OrderPartySchema):
    ods_code = fields.String(required=True)


class OrderFrameworkSchema(Schema):
    slug = fields.String(required=True)
    name = fields.String(required=True)
    status = fields.String(required=True)
    max_term_months = Integer(required=True)


class OrderRecipientSchema(Schema):
    ods_code = fields.String(required=True)
    name = fields.String(required=True)
    list_size = Integer(required=True)


class OrderQuantitySchema(Schema):
    ods_code = fields.String(required=True)
    quantity = Integer(required=True)


class FundingAgreementSchema(Schema):
    agreed_by = fields.String(required=True, metadata={"description": "Who agreed."})
    agreed_at = fields.DateTime(required=True)
    reason = fields.String(required=True, metadata={"description": "Why, in their words."})


class PracticeFundingAgreementSchema(FundingAgreementSchema):
    ods_code = fields.String(required=True, metadata={"description": "The practice that agreed."})


class FundingAgreementInputSchema(Schema):
    reason = fields.String(
        required=True,
        validate=validate.Length(min=1, max=REASON_MAX),
        metadata={
            "description": "Why the caller's side (the commissioner, or the practice) agrees "
            "that the commissioner funds the line, in words."
        },
    )


class OrderItemSchema(Schema):
    id = Integer(required=True)
    catalogue_item_id = Integer(required=True)
    item_name = fields.String(required=True)
    kind = fields.String(required=True)
    lot = Integer(required=True)
    price_id = Integer(
        required=True,
        allow_none=True,
        metadata={"description": "The catalogue price; null once the supplier deleted it."},
    )
    price_name = fields.String(
        required=True, metadata={"description": "As ordered: the terms are kept on the order."}
    )
    unit = fields.String(required=True)
    period = fields.String(required=True)
    funding = fields.String(
        required=True,
        allow_none=True,
        metadata={
            "enum": [payer.value for payer in Funding] + [None],
            "description": "Who pays: central, commissioner or practice; null: nobody (it costs "
            "nothing). The commissioner where it agreed to fund additional IT. Before the three "
            "payers this read 'local' where it now reads 'commissioner'.",
        },
    )
    funding_reason = fields.String(
        required=True,
        metadata={"description": "Why, in words (with the commissioner's agreement, if any)."},
    )
    infrastructure_class = fields.String(
        required=True,
        allow_none=True,
        metadata={
            "enum": ["core", "additional", None],
            "description": "The item's class in the GP practice IT infrastructure specification.",
        },
    )
    funding_agreement_possible = fields.Boolean(
        required=True,
        metadata={
            "description": "True where the practice pays only because the item is additional "
            "IT: the ordering commissioner and the practice may agree that the commissioner "
            "funds it (PUT .../funding-agreement, each side for itself)."
        },
    )
    funding_agreement = fields.Nested(
        FundingAgreementSchema,
        required=True,
        allow_none=True,
        metadata={"description": "The commissioner's agreement to fund the line; null: none."},
    )
    practice_funding_agreements = fields.List(
        fields.Nested(PracticeFundingAgreementSchema),
        required=True,
        metadata={
            "description": "The practices that agreed that the commissioner funds the line. "
            "For a practice the commissioner pays the line only when it and the commissioner "
            "have both agreed; `funding` says the commissioner only when every practice the "
            "line is for has (the cost estimate splits it per practice)."
        },
    )
    quantities = fields.List(fields.Nested(OrderQuantitySchema), required=True)


class AuditTrailPriceSchema(Schema):
    price_id = Integer(required=True)
    name = fields.String(required=True)
    unit = fields.String(required=True)
    period = fields.String(required=True)
    amount = Money(allow_none=True, metadata={"description": "The flat amount, if flat."})


class AuditTrailOptionSchema(Schema):
    option = fields.String(required=True)
    description = fields.String(required=True)
    available = fields.Boolean(required=True)
    chosen = fields.Boolean(required=True)
    catalogue_item_id = Integer(allow_none=True)
    item_name = fields.String(allow_none=True)
    prices = fields.List(fields.Nested(AuditTrailPriceSchema), required=True)
    cost = Money(
        allow_none=True,
        metadata={"description": "Priced for this practice over cost_from to cost_to."},
    )
    cost_from = fields.Date(allow_none=True)
    cost_to = fields.Date(allow_none=True)


class LinkedLineSchema(Schema):
    supplier = fields.Nested(OrderPartySchema, required=True)
    catalogue_item_id = fields.Integer(required=True)
    item_name = fields.String(required=True)
    quantity = fields.Integer(required=True)
    prices = fields.List(fields.Nested(AuditTrailPriceSchema), required=True)


class _MigrationDatesSchema(Schema):
    bedding_in_end = fields.Date(
        allow_none=True,
        metadata={
            "description": "The last day of bedding-in: 3 months after go-live (1 February to "
            "30 April for a go-live on 31 January); the previous system stays at its usual "
            "funding."
        },
    )
    notice_to_be_given_by = fields.Date(allow_none=True)
    notice_given_on = fields.Date(allow_none=True)
    earliest_notice_end = fields.Date(
        allow_none=True,
        metadata={"description": "Notice is at least 3 months, and runs from go-live."},
    )
    service_end = fields.Date(
        allow_none=True,
        metadata={
            "description": "The last day of the previous service: the end of the notice, or "
            "later when the commissioner extended it."
        },
    )
    service_end_extended = fields.Boolean(required=True)
    service_end_reason = fields.String(allow_none=True)
    acknowledged = fields.Boolean(
        required=True,
        metadata={"description": "The previous supplier acknowledged the notice as it stands."},
    )
    acknowledged_at = fields.DateTime(allow_none=True)
    acknowledged_by = fields.String(allow_none=True)
    go_live_agreed = fields.Boolean(
        required=True,
        metadata={
            "description": "The practice agreed the planned go-live as it stands (POST "
            ".../migrations/{ods_code}/go-live-agreement, by the practice)."
        },
    )
    go_live_agreed_on = fields.Date(
        allow_none=True, metadata={"description": "The planned date the practice agreed."}
    )
    go_live_agreed_by = fields.String(allow_none=True)
    go_live_agreed_at = fields.DateTime(allow_none=True)
    linked_line = fields.Nested(
        LinkedLineSchema,
        allow_none=True,
        metadata={
            "description": "The chosen audit-trail service, bought from the previous supplier "
            "(null for full support, which keeps the previous system itself)."
        },
    )


class OrderMigrationSchema(_MigrationDatesSchema):
    ods_code = fields.String(required=True)
    practice_name = fields.String(required=True)
    previous_system = fields.Nested(OrderPartySchema, required=True)
    previous_supplier = fields.Nested(OrderPartySchema, required=True)
    planned_go_live = fields.Date(allow_none=True)
    go_live_date = fields.Date(allow_none=True)
    audit_trail_option = fields.String(allow_none=True)
    audit_trail_quantity = Integer(allow_none=True)
    audit_trail_options = fields.List(fields.Nested(AuditTrailOptionSchema), required=True)
    audit_trail_options_order = fields.String(
        required=True, metadata={"description": "How the options are ordered, in words."}
    )


class MigrationNoticeSchema(_MigrationDatesSchema):
    """What the previous supplier sees of an order: one departing practice's migration."""

    call_off_id = fields.String(required=True)
    order_status = fields.String(required=True)
    commissioner = fields.Nested(OrderCommissionerSchema, required=True)
    ods_code = fields.String(required=True)
    practice_name = fields.String(required=True)
    previous_system = fields.Nested(OrderPartySchema, required=True)
    go_live = fields.Date(allow_none=True)
    go_live_is_actual = fields.Boolean(required=True)
    audit_trail_option = fields.String(allow_none=True)
    audit_trail_quantity = fields.Integer(allow_none=True)


class OrderSummarySchema(Schema):
    call_off_id = fields.String(required=True, metadata={"examples": ["C000014-01"]})
    number = Integer(required=True)
    revision = Integer(required=True)
    status = fields.Enum(OrderStatus, by_value=True, required=True)
    commissioner = fields.Nested(OrderCommissionerSchema, required=True)
    supplier = fields.Nested(OrderPartySchema, required=True)
    framework = fields.Nested(OrderFrameworkSchema, required=True)
    description = fields.String(required=True)
    commencement_date = fields.Date(allow_none=True)
    term_months = Integer(allow_none=True)
    go_live_date = fields.Date(allow_none=True)
    status_reason = fields.String(allow_none=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    submitted_at = fields.DateTime(allow_none=True)
    accepted_at = fields.DateTime(allow_none=True)


class OrderUpgradeSchema(Schema):
    ods_code = fields.String(required=True)
    practice_name = fields.String(required=True)
    system = fields.Nested(OrderPartySchema, required=True, metadata={"description": "Kept."})
    from_level = Integer(required=True, metadata={"description": "The level it runs at now."})
    to_level = Integer(required=True)


class OrderSchema(OrderSummarySchema):
    selection_id = Integer(allow_none=True)
    amends = fields.String(allow_none=True, metadata={"description": "The revision amended."})
    revisions = fields.List(fields.String(), required=True)
    allowed_transitions = fields.List(fields.Enum(Transition, by_value=True), required=True)
    recipients = fields.List(fields.Nested(OrderRecipientSchema), required=True)
    items = fields.List(fields.Nested(OrderItemSchema), required=True)
    migrations = fields.List(
        fields.Nested(OrderMigrationSchema),
        required=True,
        metadata={"description": "One per recipient that changes system."},
    )
    migration = fields.Nested(
        OrderMigrationSchema,
        allow_none=True,
        metadata={"description": "The migration when the order has exactly one (else null)."},
    )
    upgrades = fields.List(
        fields.Nested(OrderUpgradeSchema),
        required=True,
        metadata={"description": "Recipients upgraded in place (no migration)."},
    )
    warnings = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "E.g. a principal system on the order dropped below Level 2."},
    )


class OrderMissingSchema(Schema):
    field = fields.String(required=True)
    message = fields.String(required=True)


class OrderCompletenessSchema(Schema):
    complete = fields.Boolean(required=True)
    missing = fields.List(fields.Nested(OrderMissingSchema), required=True)
    prompts = fields.List(
        fields.Nested(OrderMissingSchema),
        required=True,
        metadata={
            "description": "Advice that does not stop submission: for a migration, the new "
            "supplier's deployment and data extract services when the order has none."
        },
    )
