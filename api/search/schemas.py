"""Search arguments and results."""

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from api.capabilities.schemas import CapabilityRefSchema
from api.common.fields import CapabilityCode, Id, Money
from api.common.pagination import PageArgsSchema
from catalogue.models import Hosting, ItemKind
from search.query import MAX_RESULT_WINDOW, Facet, Sort


class SearchArgsSchema(PageArgsSchema):
    page = fields.Integer(
        load_default=1,
        validate=validate.Range(min=1, max=MAX_RESULT_WINDOW),
        metadata={
            "description": (
                f"Pages reach at most hit {MAX_RESULT_WINDOW:,}: page x page_size may not "
                f"exceed {MAX_RESULT_WINDOW:,} (a 422 beyond; narrow the search instead)."
            )
        },
    )
    q = fields.String(
        load_default="",
        validate=validate.Length(max=200),
        metadata={
            "description": (
                "Free text. Every word must match (typos tolerated, English stemming) in a "
                'name, summary, supplier, capability or lot; "quoted phrases" match as '
                "written; a leading minus excludes a word or phrase. Descriptions add to the "
                "score but do not make an item match on their own. Brackets, wildcards and "
                "operators are not part of the syntax: a word or phrase with no letter or "
                "digit (`(`, `*`) is a 400, as is an unclosed quote."
            )
        },
    )
    framework = fields.String(validate=validate.Length(min=1, max=64))
    lot = fields.Integer(validate=validate.Range(min=1, max=1000))
    kind = fields.Enum(ItemKind, by_value=True)
    supplier = Id(metadata={"description": "Supplier id."})
    capability = fields.List(
        CapabilityCode(),
        load_default=list,
        validate=validate.Length(max=50),
        metadata={
            "description": "Capability code, in any case; repeat it to require several (all hold)."
        },
    )
    maturity_level = fields.Integer(
        validate=validate.Range(min=0, max=100), metadata={"description": "The minimum level."}
    )
    hosting = fields.Enum(Hosting, by_value=True)
    price_max = Money(
        metadata={
            "description": (
                "Most the item costs a practice per year (its per-practice yearly prices in "
                "effect, summed); items without such a price are left out."
            )
        },
    )
    sort = fields.Enum(
        Sort,
        by_value=True,
        load_default=Sort.RELEVANCE,
        metadata={"description": "relevance (by name when there is no text), name or price."},
    )

    @validates_schema
    def _within_window(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if data.get("page", 1) * data.get("page_size", 20) > MAX_RESULT_WINDOW:
            raise ValidationError(
                f"page x page_size may not exceed {MAX_RESULT_WINDOW}; narrow the search.",
                field_name="page",
            )


class SupplierNameSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)


class SearchHitSchema(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True, metadata={"enum": [k.value for k in ItemKind]})
    name = fields.String(required=True)
    summary = fields.String(required=True)
    supplier = fields.Nested(SupplierNameSchema, required=True)
    framework = fields.String(required=True, metadata={"description": "Framework slug."})
    lot = fields.Integer(required=True, metadata={"description": "Lot number."})
    maturity_level = fields.Function(
        lambda hit: hit["maturity_level"] or None,
        required=True,
        allow_none=True,
        metadata={
            "type": ["integer", "null"],
            "description": "Derived from the accredited capabilities; null below level 1.",
        },
    )
    hosting = fields.String(required=True, metadata={"enum": [h.value for h in Hosting]})
    capabilities = fields.List(fields.Nested(CapabilityRefSchema), required=True)
    annual_price = fields.String(
        allow_none=True,
        metadata={"description": "Yearly cost per practice (decimal string), where known."},
    )
    score = fields.Float(
        allow_none=True, metadata={"description": "Relevance; null when sorted otherwise."}
    )
    highlights = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        required=True,
        metadata={"description": "Field -> HTML fragments with <mark> around matched terms."},
    )


class FacetValueSchema(Schema):
    value = fields.Raw(required=True, metadata={"type": ["string", "integer"]})
    count = fields.Integer(required=True)
    label = fields.String(metadata={"description": "Display name (supplier, capability...)."})


FacetsSchema = Schema.from_dict(
    {facet.value: fields.List(fields.Nested(FacetValueSchema), required=True) for facet in Facet},
    name="SearchFacetsSchema",
)


class SearchResultsSchema(Schema):
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    page_size = fields.Integer(required=True)
    items = fields.List(fields.Nested(SearchHitSchema), required=True)
    facets = fields.Nested(
        FacetsSchema,
        required=True,
        metadata={
            "description": (
                "Counts per value. The facet of a field is computed over the query with every "
                "other filter applied but not the filter on that field itself, so it shows "
                "what choosing another value would give."
            )
        },
    )
