from marshmallow import Schema, fields, validate

from api.items.schemas import ItemQueryArgsSchema
from api.items.write_schemas import (
    INFRASTRUCTURE_CATEGORY_DESCRIPTION,
    RFA_MAX,
    ItemFieldsUpdateSchema,
    PriceCreateSchema,
)
from catalogue.models import Hosting, InfrastructureCategory, ItemKind
from catalogue.validation import DESCRIPTION_MAX, NAME_MAX, SUMMARY_MAX
from service.fields import BoundedList, Id, Integer

SYSTEM_KIND_VALUES = [ItemKind.SYSTEM.value, ItemKind.MODULE.value]


class SystemQueryArgsSchema(ItemQueryArgsSchema):
    kind = fields.String(validate=validate.OneOf([ItemKind.SYSTEM.value, ItemKind.MODULE.value]))


class SystemCreateSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(SYSTEM_KIND_VALUES))
    name = fields.String(required=True, validate=validate.Length(min=1, max=NAME_MAX))
    summary = fields.String(validate=validate.Length(max=SUMMARY_MAX))
    description = fields.String(validate=validate.Length(max=DESCRIPTION_MAX))
    framework = fields.String(
        required=True, validate=validate.Length(min=1, max=64), metadata={"description": "Slug."}
    )
    lot = Integer(required=True, strict=True, validate=validate.Range(min=1, max=1000))
    hosting = fields.Enum(Hosting, by_value=True, required=True)
    rfa_version = fields.String(allow_none=True, validate=validate.Length(max=RFA_MAX))
    infrastructure_category = fields.Enum(
        InfrastructureCategory,
        by_value=True,
        allow_none=True,
        metadata={"description": INFRASTRUCTURE_CATEGORY_DESCRIPTION},
    )
    parent_id = Id(
        allow_none=True,
        metadata={"description": "A module's principal system (one of yours); null for one."},
    )
    prices = BoundedList(fields.Nested(PriceCreateSchema), validate=validate.Length(max=50))


class SystemUpdateSchema(ItemFieldsUpdateSchema):
    hosting = fields.Enum(Hosting, by_value=True)
    parent_id = Id(allow_none=True, metadata={"description": "A module's principal system."})
