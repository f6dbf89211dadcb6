from typing import Any

from marshmallow import Schema, fields, post_load, validate

from api.items.schemas import ItemQueryArgsSchema
from api.items.write_schemas import (
    INFRASTRUCTURE_CATEGORY_DESCRIPTION,
    RFA_MAX,
    ItemFieldsUpdateSchema,
    PriceCreateSchema,
)
from catalogue.models import Hosting, InfrastructureCategory, ItemKind, ServiceCategory
from catalogue.validation import DESCRIPTION_MAX, NAME_MAX, SUMMARY_MAX
from service.fields import BoundedList, Id, Integer


class ServiceQueryArgsSchema(ItemQueryArgsSchema):
    kind = fields.String(
        validate=validate.OneOf([ItemKind.SERVICE.value]),
        metadata={
            "description": "Always `service` here (systems and modules are under /systems); "
            "narrow services with `category`."
        },
    )
    category = fields.Enum(
        ServiceCategory,
        by_value=True,
        metadata={"description": "The kind of service: migration, training, hosting..."},
    )
    system = Id(metadata={"description": "Services of this system."})


class ServiceCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=NAME_MAX))
    summary = fields.String(validate=validate.Length(max=SUMMARY_MAX))
    description = fields.String(validate=validate.Length(max=DESCRIPTION_MAX))
    framework = fields.String(
        required=True, validate=validate.Length(min=1, max=64), metadata={"description": "Slug."}
    )
    lot = Integer(required=True, strict=True, validate=validate.Range(min=1, max=1000))
    category = fields.Enum(ServiceCategory, by_value=True, required=True)
    hosting = fields.Enum(Hosting, by_value=True, required=True)
    rfa_version = fields.String(allow_none=True, validate=validate.Length(max=RFA_MAX))
    infrastructure_category = fields.Enum(
        InfrastructureCategory,
        by_value=True,
        allow_none=True,
        metadata={"description": INFRASTRUCTURE_CATEGORY_DESCRIPTION},
    )
    parent_id = Id(
        allow_none=True, metadata={"description": "The system (one of yours) it is for, if any."}
    )
    prices = BoundedList(fields.Nested(PriceCreateSchema), validate=validate.Length(max=50))

    @post_load
    def _kind(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return {**data, "kind": ItemKind.SERVICE.value}


class ServiceUpdateSchema(ItemFieldsUpdateSchema):
    category = fields.Enum(ServiceCategory, by_value=True)
    hosting = fields.Enum(Hosting, by_value=True)
    parent_id = Id(allow_none=True, metadata={"description": "The system it is for, if any."})
