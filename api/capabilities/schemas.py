from marshmallow import Schema, fields


class CapabilitySchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    description = fields.String(required=True)
    category = fields.String(required=True)


class CapabilityRefSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
