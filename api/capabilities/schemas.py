from marshmallow import Schema, fields, validate

from catalogue.reference import SLUG_PATTERN
from catalogue.validation import DESCRIPTION_MAX, NAME_MAX


class CapabilitySchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    description = fields.String(required=True)
    category = fields.String(required=True)


class CapabilityRefSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)


class CapabilityCreateSchema(Schema):
    code = fields.String(
        required=True,
        validate=[validate.Length(min=1, max=64), validate.Regexp(SLUG_PATTERN)],
        metadata={"description": "Lower-case letters, digits and hyphens; fixed once made."},
    )
    name = fields.String(required=True, validate=validate.Length(min=1, max=NAME_MAX))
    description = fields.String(validate=validate.Length(max=DESCRIPTION_MAX))
    category = fields.String(
        required=True,
        validate=validate.Length(min=1, max=64),
        metadata={"description": "e.g. interoperability, clinical, patient_online."},
    )


class CapabilityUpdateSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=NAME_MAX))
    description = fields.String(validate=validate.Length(max=DESCRIPTION_MAX))
    category = fields.String(validate=validate.Length(min=1, max=64))
