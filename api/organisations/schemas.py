from marshmallow import Schema, fields, validate

from api.common.fields import Id
from api.common.pagination import PageArgsSchema
from api.items.schemas import ItemRefSchema
from catalogue.models import OrganisationKind


class OrganisationRefSchema(Schema):
    id = fields.Integer(required=True)
    ods_code = fields.String(required=True)
    name = fields.String(required=True)


class OrganisationSchema(Schema):
    id = fields.Integer(required=True)
    kind = fields.Enum(OrganisationKind, by_value=True, required=True)
    ods_code = fields.String(required=True)
    name = fields.String(required=True)
    commissioner_type = fields.String(allow_none=True)
    postcode = fields.String(allow_none=True)
    commissioner = fields.Nested(OrganisationRefSchema, allow_none=True)
    list_size = fields.Integer(
        allow_none=True, metadata={"description": "Registered patients (practices only)."}
    )
    current_system = fields.Nested(ItemRefSchema, allow_none=True)


class OrganisationQueryArgsSchema(PageArgsSchema):
    kind = fields.Enum(OrganisationKind, by_value=True)
    commissioner = Id()
    ods_code = fields.String(validate=validate.Length(min=1, max=16))
