from typing import Any

from marshmallow import Schema, fields, validate

from api.capabilities.schemas import CapabilityRefSchema
from catalogue.validation import DESCRIPTION_MAX, NAME_MAX
from service.fields import Integer


class MaturityLevelSchema(Schema):
    level = Integer(required=True)
    name = fields.String(required=True)
    description = fields.String(required=True)
    required_capabilities = fields.List(
        fields.Nested(CapabilityRefSchema),
        required=True,
        metadata={"description": "Capabilities this level adds; every lower level's also apply."},
    )


def _codes(**kwargs: Any) -> fields.List:
    return fields.List(
        fields.String(validate=validate.Length(min=1, max=64)),
        validate=validate.Length(max=100),
        metadata={"description": "Capability codes this level adds."},
        **kwargs,
    )


class MaturityLevelCreateSchema(Schema):
    level = Integer(required=True, strict=True, validate=validate.Range(min=1, max=100))
    name = fields.String(required=True, validate=validate.Length(min=1, max=NAME_MAX))
    description = fields.String(validate=validate.Length(max=DESCRIPTION_MAX))
    required_capabilities = _codes(required=True)


class MaturityLevelUpdateSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=NAME_MAX))
    description = fields.String(validate=validate.Length(max=DESCRIPTION_MAX))
    required_capabilities = _codes()


class MaturityLevelChangeSchema(MaturityLevelSchema):
    items_relevelled = Integer(
        required=True, metadata={"description": "Items whose derived level changed."}
    )
