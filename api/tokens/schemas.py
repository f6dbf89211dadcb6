from marshmallow import Schema, fields, validate

from catalogue.accounts import MAX_EXPIRY_DAYS
from catalogue.principal import Role
from service.fields import Id


class TokenCreateSchema(Schema):
    role = fields.Enum(Role, by_value=True, required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    supplier_id = Id(allow_none=True)
    organisation_id = Id(allow_none=True)
    expires_in_days = fields.Integer(
        validate=validate.Range(min=1, max=MAX_EXPIRY_DAYS), allow_none=True
    )


class TokenSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    role = fields.Enum(Role, by_value=True, required=True)
    supplier_id = fields.Integer(allow_none=True)
    organisation_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime(required=True)
    created_by = fields.String(required=True)
    expires_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)


class IssuedTokenSchema(TokenSchema):
    token = fields.String(
        required=True, metadata={"description": "The secret. Shown this once; keep it safe."}
    )
