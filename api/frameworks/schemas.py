from typing import Any

from marshmallow import Schema, fields, validate

from catalogue.funding import LOT_DEFAULT_PAYERS
from catalogue.models import FrameworkStatus, Funding
from catalogue.reference import MAX_TERM_MONTHS, SLUG_PATTERN
from catalogue.validation import DESCRIPTION_MAX, NAME_MAX
from service.fields import Integer, Payer


class LotSchema(Schema):
    number = Integer(required=True)
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
    max_term_months = Integer(required=True)
    funding_types = fields.List(fields.String(), required=True)
    lots = fields.List(fields.Nested(LotSchema), required=True)


def _funding_types(**kwargs: Any) -> fields.List:
    return fields.List(Payer(), validate=validate.Length(min=1, max=len(Funding)), **kwargs)


class FrameworkCreateSchema(Schema):
    slug = fields.String(
        required=True,
        validate=[validate.Length(min=1, max=64), validate.Regexp(SLUG_PATTERN)],
        metadata={"description": "Lower-case letters, digits and hyphens; fixed once made."},
    )
    name = fields.String(required=True, validate=validate.Length(min=1, max=NAME_MAX))
    description = fields.String(validate=validate.Length(max=DESCRIPTION_MAX))
    start_date = fields.Date(required=True)
    end_date = fields.Date(required=True)
    continuity_end_date = fields.Date(allow_none=True)
    max_term_months = Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=MAX_TERM_MONTHS)
    )
    funding_types = _funding_types(required=True)


class FrameworkUpdateSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=NAME_MAX))
    description = fields.String(validate=validate.Length(max=DESCRIPTION_MAX))
    start_date = fields.Date()
    end_date = fields.Date()
    continuity_end_date = fields.Date(allow_none=True)
    max_term_months = Integer(strict=True, validate=validate.Range(min=1, max=MAX_TERM_MONTHS))
    funding_types = _funding_types()


class LotCreateSchema(Schema):
    number = Integer(required=True, strict=True, validate=validate.Range(min=1, max=1000))
    name = fields.String(required=True, validate=validate.Length(min=1, max=NAME_MAX))
    description = fields.String(validate=validate.Length(max=DESCRIPTION_MAX))
    default_funding = Payer(LOT_DEFAULT_PAYERS, required=True)


class LotUpdateSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=NAME_MAX))
    description = fields.String(validate=validate.Length(max=DESCRIPTION_MAX))
    default_funding = Payer(LOT_DEFAULT_PAYERS)
