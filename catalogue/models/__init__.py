"""All mapped classes, imported here so that metadata and relationships are complete."""

from .accounts import ApiToken, AuthFailureWindow
from .audit import AuditChainHead, AuditEvent
from .base import Base, Money, UTCDateTime, table_of, utcnow
from .capability import Capability, MaturityLevel, maturity_level_capability
from .enums import (
    COMMISSIONER_TYPES,
    FrameworkStatus,
    Funding,
    Hosting,
    InfrastructureCategory,
    InfrastructureClass,
    ItemKind,
    ItemStatus,
    OrganisationKind,
    PricePeriod,
    PriceUnit,
    ServiceCategory,
    TierCalculation,
)
from .framework import Framework, Lot
from .item import CatalogueItem, item_capability
from .notification import (
    DeliveryAttempt,
    NotificationDelivery,
    NotificationEvent,
    NotificationPreference,
    WebhookEndpoint,
)
from .order import (
    AuditTrailOption,
    CallOffCounter,
    CallOffItem,
    CallOffMigration,
    CallOffOrder,
    CallOffQuantity,
    CallOffRecipient,
    CallOffUpgrade,
    OrderStatus,
)
from .organisation import Organisation
from .outbox import SearchOutbox
from .price import Price, PriceTier
from .revision import ItemRevision, RevisionStatus
from .roadmap import RoadmapEntry, RoadmapStatus
from .selection import (
    CriterionGroup,
    CriterionKind,
    EvaluatorSide,
    Moderation,
    Requirement,
    Scoring,
    Selection,
    SelectionCandidate,
    SelectionCriterion,
    SelectionEvaluation,
    SelectionEvaluator,
    SelectionScore,
    SelectionStatus,
)
from .supplier import Supplier
from .user import UserAccount

__all__ = [
    "DeliveryAttempt",
    "NotificationDelivery",
    "NotificationEvent",
    "NotificationPreference",
    "WebhookEndpoint",
    "ApiToken",
    "AuditTrailOption",
    "AuditChainHead",
    "AuditEvent",
    "AuthFailureWindow",
    "Base",
    "CallOffCounter",
    "CallOffItem",
    "CallOffMigration",
    "CallOffOrder",
    "CallOffQuantity",
    "CallOffRecipient",
    "CallOffUpgrade",
    "Capability",
    "CatalogueItem",
    "Framework",
    "FrameworkStatus",
    "Funding",
    "Hosting",
    "InfrastructureCategory",
    "InfrastructureClass",
    "ItemKind",
    "ItemRevision",
    "ItemStatus",
    "Lot",
    "MaturityLevel",
    "Money",
    "OrderStatus",
    "Organisation",
    "COMMISSIONER_TYPES",
    "OrganisationKind",
    "Price",
    "PricePeriod",
    "PriceTier",
    "PriceUnit",
    "RevisionStatus",
    "RoadmapEntry",
    "RoadmapStatus",
    "SearchOutbox",
    "ServiceCategory",
    "Supplier",
    "TierCalculation",
    "UTCDateTime",
    "UserAccount",
    "item_capability",
    "maturity_level_capability",
    "table_of",
    "utcnow",
    "CriterionGroup",
    "CriterionKind",
    "EvaluatorSide",
    "Moderation",
    "Requirement",
    "Scoring",
    "Selection",
    "SelectionCandidate",
    "SelectionCriterion",
    "SelectionEvaluation",
    "SelectionEvaluator",
    "SelectionScore",
    "SelectionStatus",
]
