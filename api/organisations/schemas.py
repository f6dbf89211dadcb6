from marshmallow import Schema, fields, validate

from api.items.schemas import ItemRefSchema
from catalogue.models import OrganisationKind
from catalogue.reference import COMMISSIONER_TYPES
from catalogue.validation import NAME_MAX
from service.fields import Id, Integer
from service.pagination import PageArgsSchema


class OrganisationRefSchema(Schema):
    id = Integer(required=True)
    ods_code = fields.String(required=True)
    name = fields.String(required=True)


class OrganisationSchema(Schema):
    id = Integer(required=True)
    kind = fields.Enum(OrganisationKind, by_value=True, required=True)
    ods_code = fields.String(required=True)
    name = fields.String(required=True)
    commissioner_type = fields.String(allow_none=True)
    postcode = fields.String(allow_none=True)
    commissioner = fields.Nested(OrganisationRefSchema, allow_none=True)
    list_size = Integer(
        allow_none=True, metadata={"description": "Registered patients (practices only)."}
    )
    current_system = fields.Nested(ItemRefSchema, allow_none=True)
    current_level = Integer(
        allow_none=True,
        metadata={
            "description": "The level the practice runs its system at, where recorded below "
            "the system's (null: the system's own)."
        },
    )
    running_level = Integer(
        allow_none=True,
        metadata={
            "description": "The level it runs at: current_level, never above the system's "
            "accredited level; null without a current system. Upgrades in place raise it."
        },
    )


class OrganisationQueryArgsSchema(PageArgsSchema):
    kind = fields.Enum(OrganisationKind, by_value=True)
    commissioner = Id()
    ods_code = fields.String(validate=validate.Length(min=1, max=16))


class OrganisationCreateSchema(Schema):
    kind = fields.Enum(OrganisationKind, by_value=True, required=True)
    ods_code = fields.String(
        required=True,
        validate=validate.Regexp(r"^[A-Za-z0-9]{3,10}$"),
        metadata={"description": "The ODS code; fixed once made."},
    )
    name = fields.String(required=True, validate=validate.Length(min=1, max=NAME_MAX))
    commissioner_type = fields.String(
        allow_none=True,
        validate=validate.OneOf(COMMISSIONER_TYPES),
        metadata={"description": "Commissioners only."},
    )
    postcode = fields.String(allow_none=True, validate=validate.Length(max=10))
    commissioner_id = Id(allow_none=True, metadata={"description": "Practices only."})
    list_size = Integer(
        allow_none=True,
        strict=True,
        validate=validate.Range(min=0, max=10_000_000),
        metadata={"description": "Registered patients (practices only)."},
    )
    current_system_id = Id(allow_none=True, metadata={"description": "Practices only."})
    current_level = Integer(
        allow_none=True,
        strict=True,
        validate=validate.Range(min=1, max=100),
        metadata={
            "description": "Practices only: the level it runs its system at, when below the "
            "system's accredited level."
        },
    )


class OrganisationUpdateSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=NAME_MAX))
    commissioner_type = fields.String(allow_none=True, validate=validate.OneOf(COMMISSIONER_TYPES))
    postcode = fields.String(allow_none=True, validate=validate.Length(max=10))
    commissioner_id = Id(allow_none=True)
    list_size = Integer(
        allow_none=True, strict=True, validate=validate.Range(min=0, max=10_000_000)
    )
    current_system_id = Id(allow_none=True)
    current_level = Integer(allow_none=True, strict=True, validate=validate.Range(min=1, max=100))
