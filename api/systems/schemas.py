from marshmallow import fields, validate

from api.items.schemas import ItemQueryArgsSchema
from catalogue.models import ItemKind


class SystemQueryArgsSchema(ItemQueryArgsSchema):
    kind = fields.Enum(
        ItemKind,
        by_value=True,
        validate=validate.OneOf([ItemKind.SYSTEM, ItemKind.MODULE]),
        metadata={"enum": ["system", "module"]},
    )
