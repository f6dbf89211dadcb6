from marshmallow import fields, validate

from api.items.schemas import ItemQueryArgsSchema
from catalogue.models import ItemKind, ServiceCategory


class ServiceQueryArgsSchema(ItemQueryArgsSchema):
    kind = fields.Enum(
        ItemKind,
        by_value=True,
        validate=validate.OneOf([ItemKind.SERVICE]),
        metadata={"enum": ["service"]},
    )
    category = fields.Enum(ServiceCategory, by_value=True)
    system = fields.Integer(
        validate=validate.Range(min=1), metadata={"description": "Services of this system."}
    )
