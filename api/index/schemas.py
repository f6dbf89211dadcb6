from marshmallow import Schema, fields


class ApiIndexSchema(Schema):
    title = fields.String(required=True)
    version = fields.String(required=True)
    openapi = fields.String(required=True, metadata={"description": "The OpenAPI document."})
    docs = fields.String(required=True, metadata={"description": "The interactive documentation."})
    collections = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        required=True,
        metadata={"description": "Each collection of the API by name, with its path."},
    )
