"""Selections: what is sent to create and change them, and what comes back."""

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from api.compare.schemas import WholeLifeCostSchema
from api.items.schemas import FrameworkRefSchema
from api.organisations.schemas import OrganisationRefSchema
from catalogue.models import (
    CriterionGroup,
    CriterionKind,
    EvaluatorSide,
    Hosting,
    ItemKind,
    Moderation,
    Requirement,
    Scoring,
    SelectionStatus,
)
from catalogue.selections.scoring import MAX_CANDIDATES, MAX_SCORE, MIN_SCORE
from catalogue.selections.signoff import signatures
from service.fields import BoundedList, CapabilityCode, Id, Integer, Money
from service.pagination import PageArgsSchema

NAME = validate.Length(min=1, max=200)
TERM = validate.Range(min=1, max=120)
PERCENT = validate.Range(min=0, max=100)


def _not_blank_reason(text: str) -> None:
    if not text.strip():
        raise ValidationError("Give the reason.")


class NonPriceWeightsSchema(Schema):
    features = Integer(required=True, strict=True, validate=PERCENT)
    implementation = Integer(required=True, strict=True, validate=PERCENT)
    interoperability = Integer(required=True, strict=True, validate=PERCENT)
    service_levels = Integer(required=True, strict=True, validate=PERCENT)


PRICE_WEIGHT_DOC = {
    "description": "30 to 90 in steps of 5; the non-price weight is the rest (10 to 70)."
}
GROUPS_DOC = {
    "description": "How the non-price weight splits over the groups: each a multiple of 5, "
    "summing to 100."
}


MODERATION_DOC = {
    "description": "Who agrees the moderated scores: the commissioner, or the commissioner "
    "and the practice together (joint)."
}


class SelectionCreateSchema(Schema):
    name = fields.String(required=True, validate=NAME)
    practice = fields.String(
        required=True,
        validate=validate.Length(min=1, max=16),
        metadata={"description": "ODS code of one of the commissioner's practices."},
    )
    framework = fields.String(
        required=True, validate=validate.Length(min=1, max=64), metadata={"example": "gpsoc-r"}
    )
    term_months = Integer(validate=TERM, metadata={"description": "Default 36."})
    price_weight = Integer(load_default=50, validate=PERCENT, metadata=PRICE_WEIGHT_DOC)
    non_price_weights = fields.Nested(NonPriceWeightsSchema, metadata=GROUPS_DOC)
    moderation = fields.Enum(
        Moderation, by_value=True, load_default=Moderation.COMMISSIONER, metadata=MODERATION_DOC
    )


class SelectionUpdateSchema(Schema):
    name = fields.String(validate=NAME)
    term_months = Integer(validate=TERM)
    price_weight = Integer(validate=PERCENT, metadata=PRICE_WEIGHT_DOC)
    non_price_weights = fields.Nested(NonPriceWeightsSchema, metadata=GROUPS_DOC)
    moderation = fields.Enum(Moderation, by_value=True, metadata=MODERATION_DOC)


class SearchFiltersSchema(Schema):
    """The filters of /search (the framework is always the selection's)."""

    q = fields.String(
        validate=validate.Length(max=200),
        metadata={"description": "Free text, as /search's q (runs the search engine)."},
    )
    price_max = Money(metadata={"description": "As /search's price_max."})
    lot = Integer(validate=validate.Range(min=1, max=1000))
    kind = fields.Enum(ItemKind, by_value=True)
    supplier = Id()
    capability = fields.List(CapabilityCode(), validate=validate.Length(max=50))
    maturity_level = Integer(
        validate=validate.Range(min=0, max=100), metadata={"description": "The minimum level."}
    )
    hosting = fields.Enum(Hosting, by_value=True)


class CandidatesAddSchema(Schema):
    item_ids = fields.List(
        Id(),
        validate=validate.Length(min=1, max=MAX_CANDIDATES),
        metadata={"description": "Items to add by id."},
    )
    filters = fields.Nested(
        SearchFiltersSchema,
        metadata={"description": "Or add every item matching these filters (at most 8)."},
    )

    @validates_schema
    def _one_way(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if ("item_ids" in data) == ("filters" in data):
            raise ValidationError("Give either item_ids or filters.", field_name="item_ids")


class ExclusionSchema(Schema):
    reason = fields.String(
        required=True,
        validate=[validate.Length(min=1, max=2000), _not_blank_reason],
        metadata={"description": "Why the candidate is eliminated; the result shows it."},
    )


class CriterionCreateSchema(Schema):
    kind = fields.Enum(
        CriterionKind,
        by_value=True,
        required=True,
        metadata={"description": "MoSCoW: a failed must eliminates; should and could weigh."},
    )
    name = fields.String(required=True, validate=NAME)
    description = fields.String(load_default="", validate=validate.Length(max=2000))
    group = fields.Enum(
        CriterionGroup, by_value=True, metadata={"description": "Should and could only."}
    )
    weight = fields.Integer(
        validate=validate.Range(min=1, max=100),
        metadata={"description": "Should and could: weight relative to the group's others."},
    )
    scoring = fields.Enum(
        Scoring,
        by_value=True,
        metadata={
            "description": "Should and could. Default: capability_coverage when capabilities are "
            "named, else manual."
        },
    )
    capabilities = fields.List(
        fields.String(validate=validate.Length(min=1, max=64)),
        load_default=list,
        validate=validate.Length(max=50),
    )
    requirement = fields.Enum(Requirement, by_value=True, metadata={"description": "Must only."})
    min_maturity_level = fields.Integer(validate=validate.Range(min=0, max=100))
    max_whole_life_cost = Money()


class CriterionUpdateSchema(Schema):
    name = fields.String(validate=NAME)
    description = fields.String(validate=validate.Length(max=2000))
    group = fields.Enum(CriterionGroup, by_value=True)
    weight = fields.Integer(validate=validate.Range(min=1, max=100))
    scoring = fields.Enum(Scoring, by_value=True)
    capabilities = fields.List(
        fields.String(validate=validate.Length(min=1, max=64)), validate=validate.Length(max=50)
    )
    min_maturity_level = fields.Integer(validate=validate.Range(min=0, max=100))
    max_whole_life_cost = Money()


WHOLE_SCORE = f"Scores are whole numbers {MIN_SCORE} to {MAX_SCORE}."


def _not_blank(text: str) -> None:
    if not text.strip():
        raise ValidationError("Every score needs a justification.")


class CloseScoringSchema(Schema):
    reason = fields.String(
        validate=validate.Length(max=2000),
        metadata={
            "description": "Why scoring closes while an evaluator has entered no scores: "
            "required then (422 otherwise), recorded on the selection and audited."
        },
    )


class ScoreEntrySchema(Schema):
    item_id = Id(required=True)
    criterion_id = Id(required=True)
    # strict: 4.9 is refused, never truncated to 4; 4.0 is the whole number 4 (JSON Schema's
    # integer, as the document says).
    score = Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=MIN_SCORE, max=MAX_SCORE, error=WHOLE_SCORE),
        error_messages={"invalid": WHOLE_SCORE},
        metadata={"description": WHOLE_SCORE},
    )
    justification = fields.String(
        required=True, validate=[validate.Length(min=1, max=4000), _not_blank]
    )


class ScoresEnterSchema(Schema):
    scores = BoundedList(
        fields.Nested(ScoreEntrySchema), required=True, validate=validate.Length(min=1, max=1000)
    )


class EvaluatorNameSchema(Schema):
    token_id = Id(
        required=True,
        metadata={
            "description": "The evaluator's token: a commissioner token of the selection's "
            "commissioner or a practice token of its practice."
        },
    )
    name = fields.String(validate=NAME, metadata={"description": "Default: the token's name."})


class SelectionQueryArgsSchema(PageArgsSchema):
    pass


# --------------------------------------------------------------------------- responses


class SelectionPracticeSchema(OrganisationRefSchema):
    list_size = fields.Integer(required=True)


class SelectionCandidateSchema(Schema):
    item_id = fields.Integer(required=True)
    name = fields.String(attribute="item.name", required=True)
    kind = fields.Enum(ItemKind, by_value=True, attribute="item.kind", required=True)
    supplier = fields.String(attribute="item.supplier.name", required=True)
    version = fields.Integer(
        attribute="item.version",
        required=True,
        metadata={
            "description": "The listing's current version (the snapshot holds the scored one)."
        },
    )
    maturity_level = fields.Integer(attribute="item.maturity_level", required=True)
    added_at = fields.DateTime(required=True)
    excluded_reason = fields.String(
        allow_none=True, metadata={"description": "Set when eliminated by hand."}
    )
    excluded_by = fields.String(allow_none=True)
    excluded_at = fields.DateTime(allow_none=True)


class SelectionCriterionSchema(Schema):
    id = fields.Integer(required=True)
    kind = fields.Enum(CriterionKind, by_value=True, required=True)
    name = fields.String(required=True)
    description = fields.String(required=True)
    group = fields.Enum(CriterionGroup, by_value=True, attribute="criterion_group", allow_none=True)
    weight = fields.Integer(allow_none=True)
    scoring = fields.Enum(Scoring, by_value=True, allow_none=True)
    capabilities = fields.List(fields.String(), required=True)
    requirement = fields.Enum(Requirement, by_value=True, allow_none=True)
    min_maturity_level = fields.Integer(allow_none=True)
    max_whole_life_cost = Money(allow_none=True)


class SelectionEvaluatorSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    side = fields.Enum(EvaluatorSide, by_value=True, required=True)
    token_id = fields.Integer(allow_none=True, required=True)
    user_id = fields.Integer(
        allow_none=True,
        required=True,
        metadata={"description": "The person's account, when named on the web pages."},
    )
    added_at = fields.DateTime(required=True)
    scores_entered = fields.Function(lambda e: len(e.evaluations), required=True)


class SignatureSchema(Schema):
    signed_by = fields.String(required=True)
    signed_at = fields.DateTime(required=True)


class SignaturesSchema(Schema):
    commissioner = fields.Nested(SignatureSchema, allow_none=True, required=True)
    practice = fields.Nested(SignatureSchema, allow_none=True, required=True)


class SelectionSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    status = fields.Enum(SelectionStatus, by_value=True, required=True)
    mode = fields.Function(
        lambda s: {0: "empty", 1: "direct_award"}.get(len(s.candidates), "competition"),
        required=True,
        metadata={"enum": ["empty", "direct_award", "competition"]},
    )
    commissioner = fields.Nested(OrganisationRefSchema, required=True)
    practice = fields.Nested(SelectionPracticeSchema, required=True)
    framework = fields.Nested(FrameworkRefSchema, required=True)
    term_months = fields.Integer(required=True)
    price_weight = fields.Integer(required=True)
    non_price_weight = fields.Function(lambda s: 100 - s.price_weight, required=True)
    non_price_weights = fields.Function(
        lambda s: {group.value: weight for group, weight in s.group_weights.items()},
        required=True,
        metadata={"type": "object", "additionalProperties": {"type": "integer"}},
    )
    candidates = fields.List(fields.Nested(SelectionCandidateSchema), required=True)
    criteria = fields.List(fields.Nested(SelectionCriterionSchema), required=True)
    version = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)
    created_by = fields.String(required=True)
    updated_at = fields.DateTime(required=True)
    locked_at = fields.DateTime(allow_none=True)
    locked_by = fields.String(allow_none=True)
    moderation = fields.Enum(Moderation, by_value=True, required=True)
    evaluators = fields.List(fields.Nested(SelectionEvaluatorSchema), required=True)
    scoring_closed_at = fields.DateTime(allow_none=True)
    scoring_closed_by = fields.String(allow_none=True)
    scoring_closed_reason = fields.String(
        allow_none=True,
        metadata={"description": "Why scoring closed while an evaluator's sheet was empty."},
    )
    signatures = fields.Nested(SignaturesSchema, required=True)

    def get_attribute(self, obj: Any, attr: str, default: Any) -> Any:
        if attr == "signatures":
            return signatures(obj)
        return super().get_attribute(obj, attr, default)


class EvaluationSchema(Schema):
    item_id = fields.Integer(required=True)
    criterion_id = fields.Integer(required=True)
    score = fields.Integer(required=True)
    justification = fields.String(required=True)
    entered_at = fields.DateTime(required=True)


class EvaluatorSheetSchema(SelectionEvaluatorSchema):
    """One evaluator's own scores: theirs alone until scoring closes."""

    version = fields.Integer(required=True)
    scores = fields.List(fields.Nested(EvaluationSchema), attribute="evaluations", required=True)


class SelectionScoreSchema(Schema):
    item_id = fields.Integer(required=True)
    criterion_id = fields.Integer(required=True)
    score = fields.Integer(required=True)
    justification = fields.String(required=True)
    entered_by = fields.String(required=True)
    entered_at = fields.DateTime(required=True)


SCORE = {"type": "string", "pattern": r"^\d+(\.\d+)?$", "description": "Out of 5, 4 places."}


def _score_field(**kwargs: Any) -> fields.Decimal:
    return fields.Decimal(as_string=True, metadata=SCORE, **kwargs)


class CellEvaluationSchema(Schema):
    evaluator_id = fields.Integer(required=True)
    evaluator = fields.String(required=True)
    side = fields.String(required=True)
    score = fields.Integer(required=True)
    justification = fields.String(required=True)


class BreakdownLineSchema(Schema):
    criterion_id = fields.Integer(required=True)
    name = fields.String(required=True)
    group = fields.String(required=True)
    weight_percent = fields.Decimal(
        as_string=True,
        required=True,
        metadata={"type": "string", "description": "Share of the whole score, in %."},
    )
    score = fields.Integer(allow_none=True, required=True)
    meaning = fields.String(allow_none=True, required=True)
    source = fields.String(required=True, metadata={"enum": ["entered", "automatic", "missing"]})
    justification = fields.String(required=True)
    automatic_score = fields.Integer(allow_none=True, required=True)
    automatic_explanation = fields.String(allow_none=True, required=True)
    points = _score_field(required=True)
    evaluations = fields.List(
        fields.Nested(CellEvaluationSchema),
        required=True,
        metadata={"description": "Each evaluator's score, once scoring has closed."},
    )
    spread = fields.Integer(
        allow_none=True, required=True, metadata={"description": "Highest less lowest."}
    )
    flagged = fields.Boolean(
        required=True,
        metadata={"description": "The spread reaches the threshold: discuss before agreeing."},
    )


class CandidateResultSchema(Schema):
    item_id = fields.Integer(required=True)
    name = fields.String(required=True)
    supplier = fields.String(required=True)
    version = fields.Integer(required=True, metadata={"description": "Listing version scored."})
    maturity_level = fields.Integer(required=True)
    rank = fields.Integer(allow_none=True, required=True)
    tied = fields.Boolean(required=True)
    eliminated_because = fields.List(fields.String(), required=True)
    whole_life_cost = fields.Nested(WholeLifeCostSchema, required=True)
    price_score = fields.Integer(allow_none=True, required=True)
    price_points = _score_field(allow_none=True, required=True)
    non_price_points = _score_field(allow_none=True, required=True)
    total_score = _score_field(allow_none=True, required=True)
    breakdown = fields.List(fields.Nested(BreakdownLineSchema), required=True)


class SensitivitySchema(Schema):
    leader_item_id = fields.Integer(required=True)
    price_weight = fields.Integer(required=True)
    smallest_change = fields.Integer(allow_none=True, required=True)
    at_price_weight = fields.Integer(allow_none=True, required=True)
    new_leader_item_ids = fields.List(fields.Integer(), required=True)
    outcome = fields.String(allow_none=True, required=True)
    break_even_price_weight = fields.Decimal(
        as_string=True, allow_none=True, required=True, metadata={"type": ["string", "null"]}
    )
    break_even_item_id = fields.Integer(allow_none=True, required=True)
    explanation = fields.String(required=True)


class SelectionResultSchema(Schema):
    selection_id = fields.Integer(required=True)
    status = fields.String(required=True)
    mode = fields.String(required=True, metadata={"enum": ["competition", "direct_award"]})
    complete = fields.Boolean(required=True)
    problems = fields.List(fields.String(), required=True)
    priced_on = fields.Date(required=True)
    term_months = fields.Integer(required=True)
    price_weight = fields.Integer(required=True)
    non_price_weights = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    leader_item_ids = fields.List(fields.Integer(), required=True)
    spread_threshold = fields.Integer(required=True)
    scoring_closed = fields.Boolean(required=True)
    ranked = fields.List(fields.Nested(CandidateResultSchema), required=True)
    eliminated = fields.List(fields.Nested(CandidateResultSchema), required=True)
    sensitivity = fields.Nested(SensitivitySchema, allow_none=True, required=True)
