from marshmallow import Schema, fields


class SupplierSchema(Schema):
    id = fields.Integer(required=True)
    slug = fields.String(required=True)
    name = fields.String(required=True)
    legal_name = fields.String(required=True)
    company_number = fields.String(allow_none=True)
    contact_email = fields.String(allow_none=True)
    website = fields.String(allow_none=True)
    active = fields.Boolean(required=True)


class SupplierRefSchema(Schema):
    id = fields.Integer(required=True)
    slug = fields.String(required=True)
    name = fields.String(required=True)
