from marshmallow import Schema, fields

from catalogue.models import FrameworkStatus, Funding


class LotSchema(Schema):
    number = fields.Integer(required=True)
    name = fields.String(required=True)
    description = fields.String(required=True)
    default_funding = fields.Enum(Funding, by_value=True, required=True)
    framework = fields.Function(lambda lot: lot.framework.slug, required=True)


class FrameworkSchema(Schema):
    slug = fields.String(required=True)
    name = fields.String(required=True)
    description = fields.String(required=True)
    status = fields.Enum(FrameworkStatus, by_value=True, required=True)
    start_date = fields.Date(required=True)
    end_date = fields.Date(required=True)
    continuity_end_date = fields.Date(allow_none=True)
    max_term_months = fields.Integer(required=True)
    funding_types = fields.List(fields.String(), required=True)
    lots = fields.List(fields.Nested(LotSchema), required=True)
