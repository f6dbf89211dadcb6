"""The GPSoC selection process: a commissioner's shortlist of catalogue items for one of its
practices, the criteria it weighs them by, its scores, and the snapshot frozen when it locks."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, Money, UTCDateTime, str_enum, utcnow
from .framework import Framework
from .item import CatalogueItem
from .organisation import Organisation


class SelectionStatus(StrEnum):
    DRAFT = "draft"
    LOCKED = "locked"


class Moderation(StrEnum):
    """Who agrees the moderated scores once scoring has closed."""

    COMMISSIONER = "commissioner"
    JOINT = "joint"  # the commissioner and the practice together


class EvaluatorSide(StrEnum):
    COMMISSIONER = "commissioner"
    PRACTICE = "practice"


class CriterionGroup(StrEnum):
    """The four groups the non-price weight is split over."""

    FEATURES = "features"
    IMPLEMENTATION = "implementation"
    INTEROPERABILITY = "interoperability"
    SERVICE_LEVELS = "service_levels"


class CriterionKind(StrEnum):
    """MoSCoW: a failed `must` eliminates; `should` and `could` carry weights and are scored."""

    MUST = "must"
    SHOULD = "should"
    COULD = "could"

    @property
    def is_scored(self) -> bool:
        return self is not CriterionKind.MUST


class Scoring(StrEnum):
    """How a scored criterion gets its scores."""

    MANUAL = "manual"  # entered by the commissioner
    CAPABILITY_COVERAGE = "capability_coverage"  # share of the named capabilities held
    INTEROPERABILITY = "interoperability"  # share of the accredited interoperability ones


class Requirement(StrEnum):
    """What a `must` demands; a candidate that fails it is eliminated."""

    CAPABILITY = "capability"
    MIN_MATURITY_LEVEL = "min_maturity_level"
    MAX_WHOLE_LIFE_COST = "max_whole_life_cost"


class Selection(Base):
    __tablename__ = "selection"
    __table_args__ = (
        CheckConstraint("version > 0", name="version_positive"),
        CheckConstraint("term_months > 0", name="term_positive"),
        CheckConstraint(
            "price_weight BETWEEN 30 AND 90 AND price_weight % 5 = 0", name="price_weight_range"
        ),
        CheckConstraint(
            "features_weight + implementation_weight + interoperability_weight"
            " + service_levels_weight = 100",
            name="group_weights_sum",
        ),
        CheckConstraint(
            "(status = 'locked') = (locked_at IS NOT NULL AND snapshot IS NOT NULL)",
            name="locked_has_snapshot",
        ),
        CheckConstraint(
            "(scoring_closed_at IS NULL) = (scoring_closed_by IS NULL)", name="closed_by_someone"
        ),
        CheckConstraint(
            "(commissioner_signed_at IS NULL) = (commissioner_signed_by IS NULL)"
            " AND (practice_signed_at IS NULL) = (practice_signed_by IS NULL)",
            name="signed_by_someone",
        ),
        Index("ix_selection_commissioner", "commissioner_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # The owner: the commissioner of the practice when the selection was made.
    commissioner_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"))
    practice_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"))
    framework_id: Mapped[int] = mapped_column(ForeignKey("framework.id", ondelete="RESTRICT"))
    term_months: Mapped[int]
    status: Mapped[SelectionStatus] = mapped_column(
        str_enum(SelectionStatus, "selection_status"), default=SelectionStatus.DRAFT
    )
    price_weight: Mapped[int] = mapped_column(default=50)
    features_weight: Mapped[int] = mapped_column(default=25)
    implementation_weight: Mapped[int] = mapped_column(default=25)
    interoperability_weight: Mapped[int] = mapped_column(default=25)
    service_levels_weight: Mapped[int] = mapped_column(default=25)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locked_by: Mapped[str | None] = mapped_column(String(64))
    # What was scored, frozen at lock: listing versions, capabilities and prices (plain JSON).
    snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    moderation: Mapped[Moderation] = mapped_column(
        str_enum(Moderation, "selection_moderation"), default=Moderation.COMMISSIONER
    )
    # Evaluators score apart until the commissioner closes scoring; then scores are moderated.
    scoring_closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    scoring_closed_by: Mapped[str | None] = mapped_column(String(64))
    # Why scoring closed while an evaluator's sheet was empty (the owner's words), else None.
    scoring_closed_reason: Mapped[str | None] = mapped_column(Text)
    # Sign-off: the selection locks when both the commissioner and the practice have signed.
    commissioner_signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    commissioner_signed_by: Mapped[str | None] = mapped_column(String(200))
    practice_signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    practice_signed_by: Mapped[str | None] = mapped_column(String(200))

    commissioner: Mapped[Organisation] = relationship(foreign_keys=[commissioner_id])
    practice: Mapped[Organisation] = relationship(foreign_keys=[practice_id])
    framework: Mapped[Framework] = relationship()
    candidates: Mapped[list[SelectionCandidate]] = relationship(
        back_populates="selection",
        order_by="SelectionCandidate.id",
        cascade="all, delete-orphan",
    )
    criteria: Mapped[list[SelectionCriterion]] = relationship(
        back_populates="selection",
        order_by="SelectionCriterion.id",
        cascade="all, delete-orphan",
    )
    scores: Mapped[list[SelectionScore]] = relationship(
        back_populates="selection", order_by="SelectionScore.id", cascade="all, delete-orphan"
    )
    evaluators: Mapped[list[SelectionEvaluator]] = relationship(
        back_populates="selection", order_by="SelectionEvaluator.id", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def group_weights(self) -> dict[CriterionGroup, int]:
        return {
            CriterionGroup.FEATURES: self.features_weight,
            CriterionGroup.IMPLEMENTATION: self.implementation_weight,
            CriterionGroup.INTEROPERABILITY: self.interoperability_weight,
            CriterionGroup.SERVICE_LEVELS: self.service_levels_weight,
        }

    @property
    def is_locked(self) -> bool:
        return self.status is SelectionStatus.LOCKED

    @property
    def scoring_closed(self) -> bool:
        return self.scoring_closed_at is not None

    @property
    def signed(self) -> bool:
        """Signed by anyone: the result stands as signed, so it no longer changes."""
        return self.commissioner_signed_at is not None or self.practice_signed_at is not None


class SelectionCandidate(Base):
    __tablename__ = "selection_candidate"
    __table_args__ = (
        UniqueConstraint("selection_id", "item_id"),
        CheckConstraint(
            "(excluded_at IS NULL) = (excluded_reason IS NULL AND excluded_by IS NULL)",
            name="exclusion_explained",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    selection_id: Mapped[int] = mapped_column(ForeignKey("selection.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(
        ForeignKey("catalogue_item.id", ondelete="RESTRICT"), index=True
    )
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Eliminated by hand: always with the reason, who and when (the result shows it).
    excluded_reason: Mapped[str | None] = mapped_column(Text)
    excluded_by: Mapped[str | None] = mapped_column(String(64))
    excluded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    selection: Mapped[Selection] = relationship(back_populates="candidates")
    item: Mapped[CatalogueItem] = relationship()


class SelectionCriterion(Base):
    __tablename__ = "selection_criterion"
    __table_args__ = (
        CheckConstraint(
            "(kind IN ('should', 'could') AND criterion_group IS NOT NULL AND weight IS NOT NULL"
            " AND scoring IS NOT NULL AND requirement IS NULL)"
            " OR (kind = 'must' AND requirement IS NOT NULL AND criterion_group IS NULL"
            " AND weight IS NULL AND scoring IS NULL)",
            name="kind_fields",
        ),
        CheckConstraint("weight IS NULL OR (weight BETWEEN 1 AND 100)", name="weight_range"),
        Index("ix_selection_criterion_selection", "selection_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    selection_id: Mapped[int] = mapped_column(ForeignKey("selection.id", ondelete="CASCADE"))
    kind: Mapped[CriterionKind] = mapped_column(str_enum(CriterionKind, "criterion_kind"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # Should and could: the group, the weight relative to the other criteria of the group, and
    # how scores are found.
    criterion_group: Mapped[CriterionGroup | None] = mapped_column(
        str_enum(CriterionGroup, "criterion_group")
    )
    weight: Mapped[int | None]
    scoring: Mapped[Scoring | None] = mapped_column(str_enum(Scoring, "criterion_scoring"))
    # Capability codes: named for capability coverage, or the one a `must` needs.
    capabilities: Mapped[list[str]] = mapped_column(JSON, default=list)
    # A `must`: what is required.
    requirement: Mapped[Requirement | None] = mapped_column(
        str_enum(Requirement, "criterion_requirement")
    )
    min_maturity_level: Mapped[int | None]
    max_whole_life_cost: Mapped[Decimal | None] = mapped_column(Money)

    selection: Mapped[Selection] = relationship(back_populates="criteria")


class SelectionScore(Base):
    """The agreed (moderated) score of a candidate on a criterion, with its reason: entered by
    the commissioner directly when no evaluators are named, else agreed after scoring closes.
    It overrides an automatic score."""

    __tablename__ = "selection_score"
    __table_args__ = (
        UniqueConstraint("selection_id", "criterion_id", "item_id"),
        CheckConstraint("score BETWEEN 1 AND 5", name="score_range"),
        CheckConstraint("length(justification) > 0", name="justified"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    selection_id: Mapped[int] = mapped_column(ForeignKey("selection.id", ondelete="CASCADE"))
    criterion_id: Mapped[int] = mapped_column(
        ForeignKey("selection_criterion.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[int] = mapped_column(ForeignKey("catalogue_item.id", ondelete="RESTRICT"))
    score: Mapped[int]
    justification: Mapped[str] = mapped_column(Text)
    entered_by: Mapped[str] = mapped_column(String(64))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    selection: Mapped[Selection] = relationship(back_populates="scores")


class SelectionEvaluator(Base):
    """A person who scores the candidates apart: one of the commissioner's or the practice's
    principals (an API token, or a person's account on the web pages), named by the
    commissioner."""

    __tablename__ = "selection_evaluator"
    __table_args__ = (
        UniqueConstraint("selection_id", "token_id"),
        Index("ix_selection_evaluator_selection_user", "selection_id", "user_id", unique=True),
        CheckConstraint("version > 0", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    selection_id: Mapped[int] = mapped_column(ForeignKey("selection.id", ondelete="CASCADE"))
    # None only for the evaluator that stands for scores entered before evaluators existed.
    token_id: Mapped[int | None] = mapped_column(ForeignKey("api_token.id", ondelete="RESTRICT"))
    # A person who signs in to the web pages (instead of a token); an account that evaluated
    # cannot be deleted (it is disabled instead).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    name: Mapped[str] = mapped_column(String(200))
    side: Mapped[EvaluatorSide] = mapped_column(str_enum(EvaluatorSide, "evaluator_side"))
    added_by: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The evaluator's own score sheet has its own ETag, so evaluators never block each other.
    version: Mapped[int] = mapped_column(default=1)

    selection: Mapped[Selection] = relationship(back_populates="evaluators")
    evaluations: Mapped[list[SelectionEvaluation]] = relationship(
        back_populates="evaluator",
        order_by="SelectionEvaluation.id",
        cascade="all, delete-orphan",
    )

    __mapper_args__ = {"version_id_col": version}


class SelectionEvaluation(Base):
    """One evaluator's own score of a candidate on a criterion, justified; unseen by the other
    evaluators until scoring closes."""

    __tablename__ = "selection_evaluation"
    __table_args__ = (
        UniqueConstraint("evaluator_id", "criterion_id", "item_id"),
        CheckConstraint("score BETWEEN 1 AND 5", name="score_range"),
        CheckConstraint("length(justification) > 0", name="justified"),
        Index("ix_selection_evaluation_selection", "selection_id", "criterion_id", "item_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    selection_id: Mapped[int] = mapped_column(ForeignKey("selection.id", ondelete="CASCADE"))
    evaluator_id: Mapped[int] = mapped_column(
        ForeignKey("selection_evaluator.id", ondelete="CASCADE")
    )
    criterion_id: Mapped[int] = mapped_column(
        ForeignKey("selection_criterion.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[int] = mapped_column(ForeignKey("catalogue_item.id", ondelete="RESTRICT"))
    score: Mapped[int]
    justification: Mapped[str] = mapped_column(Text)
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    evaluator: Mapped[SelectionEvaluator] = relationship(back_populates="evaluations")
