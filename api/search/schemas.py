"""Search results (the arguments are service.search.SearchArgsSchema: the search page parses
its query with it too)."""

from marshmallow import Schema, fields

from api.capabilities.schemas import CapabilityRefSchema
from api.items.schemas import PlannedLevelSchema
from catalogue.models import Hosting, ItemKind
from search.query import Facet


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
    planned_levels = fields.List(
        fields.Nested(PlannedLevelSchema),
        required=True,
        metadata={"description": "Levels above the item's its roadmap reaches, and by when."},
    )
    score = fields.Float(
        allow_none=True, metadata={"description": "Relevance; null when sorted otherwise."}
    )
    highlights = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        required=True,
        metadata={
            "description": "Field -> HTML fragments with <mark> around matched terms: the name "
            "and the summary where they match, then the description, or the capabilities when "
            "the description has no match."
        },
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
