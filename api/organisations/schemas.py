from typing import Any

from marshmallow import Schema, fields, validate

from api.items.schemas import ItemRefSchema
from catalogue.estate import Running, runs_now
from catalogue.models import CatalogueItem, EstateEvent, OrganisationKind
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
    current_system = fields.Function(
        lambda o: _item_ref(running.system) if (running := runs_now(o)) else None,
        metadata={
            "description": "The principal system the practice runs now, from its estate "
            "(`/organisations/{id}/estate`); null without one recorded.",
            "type": ["object", "null"],
        },
    )
    current_level = fields.Function(
        lambda o: running.recorded_level if (running := runs_now(o)) else None,
        metadata={
            "description": "The level the practice runs its system at, where recorded below "
            "the system's (null: the system's own).",
            "type": ["integer", "null"],
        },
    )
    running_level = fields.Function(
        lambda o: running.level if (running := runs_now(o)) else None,
        metadata={
            "description": "The level it runs at: current_level, never above the system's "
            "accredited level; null without a current system. An upgrade's go-live raises it.",
            "type": ["integer", "null"],
        },
    )
    estate = fields.Function(
        lambda o: _running(runs_now(o)),
        metadata={
            "description": "What the practice runs now (its estate): system, level, since "
            "(the go-live it dates from, null before the records) and the order that set it; "
            "null without a system recorded. The detail: `/organisations/{id}/estate`.",
            "type": ["object", "null"],
        },
    )


def _item_ref(item: CatalogueItem) -> dict[str, Any]:
    return dict(ItemRefSchema().dump(item))


def _running(running: Running | None) -> dict[str, Any] | None:
    if running is None:
        return None
    return {
        "system": _item_ref(running.system),
        "supplier": running.system.supplier.name,
        "level": running.level,
        "since": running.since.isoformat() if running.since else None,
        "call_off_id": running.call_off_id,
    }


class EstateLineSchema(Schema):
    system = fields.Nested(ItemRefSchema, attribute="line.system", allow_none=True)
    call_off_id = fields.String(
        attribute="line.call_off_id",
        allow_none=True,
        metadata={"description": "The order (null: the contract before the records)."},
    )
    description = fields.String(attribute="line.description", required=True)
    start_date = fields.Date(attribute="line.start_date", allow_none=True)
    end_date = fields.Date(
        attribute="line.end_date",
        allow_none=True,
        metadata={"description": "The end of the order's term, or when it ended earlier."},
    )
    ended_reason = fields.String(attribute="line.ended_reason", allow_none=True)
    live = fields.Boolean(required=True, metadata={"description": "Running today."})


class EstateSchema(Schema):
    organisation = fields.Nested(OrganisationRefSchema, attribute="practice", required=True)
    system = fields.Nested(ItemRefSchema, attribute="running.system", allow_none=True)
    system_level = Integer(attribute="running.system.maturity_level", allow_none=True)
    running_level = Integer(
        attribute="running.level",
        allow_none=True,
        metadata={"description": "The level the practice runs its system at."},
    )
    since = fields.Date(attribute="running.since", allow_none=True)
    call_off_id = fields.String(
        attribute="running.call_off_id",
        allow_none=True,
        metadata={"description": "The order whose go-live set the system or level."},
    )
    lines = fields.List(
        fields.Nested(EstateLineSchema),
        required=True,
        metadata={"description": "The call-off lines it runs (ran) under, newest first."},
    )


class EstateChangeSchema(Schema):
    id = Integer(required=True)
    event = fields.Enum(EstateEvent, by_value=True, required=True)
    effective_on = fields.Date(allow_none=True)
    system = fields.Nested(ItemRefSchema, allow_none=True)
    level = Integer(allow_none=True)
    previous_system = fields.Nested(ItemRefSchema, allow_none=True)
    previous_level = Integer(allow_none=True)
    call_off_id = fields.String(allow_none=True, metadata={"description": "The order."})
    detail = fields.String(required=True)
    recorded_by = fields.String(required=True)
    recorded_at = fields.DateTime(required=True)


class EstateHistorySchema(Schema):
    organisation = fields.Nested(OrganisationRefSchema, required=True)
    changes = fields.List(fields.Nested(EstateChangeSchema), required=True)


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
