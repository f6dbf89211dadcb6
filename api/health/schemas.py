from marshmallow import Schema, fields


class HealthSchema(Schema):
    status = fields.String(required=True)


class ReadinessSchema(Schema):
    status = fields.String(required=True, metadata={"enum": ["ready", "unavailable"]})
    checks = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
