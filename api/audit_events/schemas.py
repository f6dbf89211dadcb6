from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema


class AuditEventSchema(Schema):
    id = fields.Integer(required=True)
    occurred_at = fields.DateTime(required=True)
    actor = fields.String(required=True)
    actor_role = fields.String(required=True)
    actor_name = fields.String(required=True)
    action = fields.String(required=True)
    object_type = fields.String(required=True)
    object_id = fields.String(required=True)
    supplier_id = fields.Integer(allow_none=True)
    organisation_id = fields.Integer(allow_none=True)
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)
    previous_hash = fields.String(required=True)
    hash = fields.String(required=True)


class AuditEventPageSchema(Schema):
    items = fields.List(fields.Nested(AuditEventSchema), required=True)
    next_cursor = fields.String(
        allow_none=True, required=True, metadata={"description": "null on the last page."}
    )


class AuditEventQueryArgsSchema(Schema):
    object_type = fields.String(validate=validate.Length(max=64))
    object_id = fields.String(validate=validate.Length(max=64))
    actor = fields.String(validate=validate.Length(max=64))
    action = fields.String(validate=validate.Length(max=64))
    since = fields.AwareDateTime(metadata={"description": "Inclusive, ISO 8601 with zone."})
    until = fields.AwareDateTime(metadata={"description": "Exclusive, ISO 8601 with zone."})
    cursor = fields.String(validate=validate.Length(max=200))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class ChainReportSchema(Schema):
    intact = fields.Boolean(required=True)
    events_checked = fields.Integer(required=True)
    first_broken_event_id = fields.Integer(allow_none=True)
    reason = fields.String(allow_none=True)
    anchor_checked = fields.Boolean(
        required=True, metadata={"description": "Whether an anchor was checked too."}
    )


HASH = validate.Regexp(r"^[0-9a-fA-F]{64}$", error="64 hexadecimal digits.")


class ChainHeadSchema(Schema):
    sequence = fields.Integer(
        required=True, metadata={"description": "The newest event's id (0: no event yet)."}
    )
    head_hash = fields.String(required=True, metadata={"description": "The newest event's hash."})
    signature = fields.String(
        required=True,
        allow_none=True,
        metadata={
            "description": "HMAC-SHA256 (hex) of the sequence and head hash with the key in "
            "GPSOC_AUDIT_ANCHOR_KEY; null when the service has no key."
        },
    )
    algorithm = fields.String(required=True, metadata={"description": "HMAC-SHA256."})


class ChainVerifyArgsSchema(Schema):
    sequence = fields.Integer(
        validate=validate.Range(min=0, max=2**63 - 1),
        metadata={"description": "An anchor's sequence (from GET /audit-events/head)."},
    )
    head_hash = fields.String(validate=HASH, metadata={"description": "The anchor's head hash."})
    signature = fields.String(validate=HASH, metadata={"description": "The anchor's signature."})

    @validates_schema
    def _whole_anchor(self, data: dict[str, Any], **_kwargs: Any) -> None:
        given = {name for name in ("sequence", "head_hash", "signature") if name in data}
        if given and len(given) < 3:
            raise ValidationError(
                "An anchor is the sequence, head_hash and signature together.",
                field_name="signature",
            )
