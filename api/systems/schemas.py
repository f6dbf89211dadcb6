from marshmallow import fields, validate

from api.items.schemas import ItemQueryArgsSchema
from catalogue.models import ItemKind


class SystemQueryArgsSchema(ItemQueryArgsSchema):
    kind = fields.String(validate=validate.OneOf([ItemKind.SYSTEM.value, ItemKind.MODULE.value]))
