from marshmallow import Schema, fields, validate


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
