from marshmallow import Schema, fields

from api.capabilities.schemas import CapabilityRefSchema


class MaturityLevelSchema(Schema):
    level = fields.Integer(required=True)
    name = fields.String(required=True)
    description = fields.String(required=True)
    required_capabilities = fields.List(
        fields.Nested(CapabilityRefSchema),
        required=True,
        metadata={"description": "Capabilities this level adds; every lower level's also apply."},
    )
