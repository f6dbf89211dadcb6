from marshmallow import fields, validate

from api.common.fields import Id
from api.items.schemas import ItemQueryArgsSchema
from catalogue.models import ItemKind, ServiceCategory


class ServiceQueryArgsSchema(ItemQueryArgsSchema):
    kind = fields.String(validate=validate.OneOf([ItemKind.SERVICE.value]))
    category = fields.Enum(ServiceCategory, by_value=True)
    system = Id(metadata={"description": "Services of this system."})
