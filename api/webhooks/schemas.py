from marshmallow import Schema, fields, validate

from catalogue.notifications import WEBHOOK_TYPES


def _types(required: bool = False) -> fields.List:
    return fields.List(
        fields.String(validate=validate.OneOf(WEBHOOK_TYPES)),
        validate=validate.Length(min=1, max=len(WEBHOOK_TYPES)),
        metadata={"description": "The event types it receives."},
        required=required,
    )


def _url(required: bool = False) -> fields.String:
    return fields.String(
        validate=validate.Length(min=1, max=2000),
        metadata={
            "description": "HTTPS, on a public address (private and loopback addresses are "
            "refused)."
        },
        required=required,
    )


class EndpointCreateSchema(Schema):
    url = _url(required=True)
    event_types = _types(required=True)
    description = fields.String(validate=validate.Length(max=200), load_default="")


class EndpointUpdateSchema(Schema):
    url = _url()
    event_types = _types()
    description = fields.String(validate=validate.Length(max=200))
    enabled = fields.Boolean(
        metadata={"description": "false switches it off; true switches it back on."}
    )


class EndpointSchema(Schema):
    id = fields.Integer(required=True)
    url = fields.String(required=True)
    description = fields.String(required=True)
    event_types = fields.List(fields.String(), required=True)
    supplier_id = fields.Integer(allow_none=True)
    organisation_id = fields.Integer(allow_none=True)
    enabled = fields.Boolean(required=True)
    disabled_at = fields.DateTime(allow_none=True)
    disabled_reason = fields.String(allow_none=True)
    created_at = fields.DateTime(required=True)
    created_by = fields.String(required=True)


class RegisteredEndpointSchema(EndpointSchema):
    secret = fields.String(
        required=True,
        metadata={"description": "The signing secret (whsec_...). Shown this once; keep it safe."},
    )


class DeliverySchema(Schema):
    id = fields.Integer(required=True)
    event_id = fields.Integer(required=True)
    event_type = fields.String(required=True)
    webhook_id = fields.String(required=True)
    status = fields.String(
        required=True, validate=validate.OneOf(["pending", "sending", "sent", "failed"])
    )
    attempts = fields.Integer(required=True)
    next_attempt_at = fields.DateTime(allow_none=True)
    sent_at = fields.DateTime(allow_none=True)
    last_attempted_at = fields.DateTime(allow_none=True)
    last_status_code = fields.Integer(allow_none=True)
    last_latency_ms = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
