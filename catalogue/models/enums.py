"""The closed vocabularies of the domain."""

from enum import StrEnum


class FrameworkStatus(StrEnum):
    COMING = "coming"
    OPEN = "open"
    LIVE = "live"
    EXPIRED = "expired"


class Funding(StrEnum):
    CENTRAL = "central"
    LOCAL = "local"


class ItemKind(StrEnum):
    SYSTEM = "system"
    MODULE = "module"
    SERVICE = "service"


class ItemStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    PUBLISHED = "published"
    SUSPENDED = "suspended"
    WITHDRAWN = "withdrawn"


class Hosting(StrEnum):
    PRACTICE_BASED = "practice_based"
    HOSTED = "hosted"


class ServiceCategory(StrEnum):
    DEPLOYMENT = "deployment"
    MIGRATION = "migration"
    DATA_EXTRACT = "data_extract"
    TRAINING = "training"
    AUDIT_TRAIL_RETRIEVAL = "audit_trail_retrieval"
    SINGLE_USER_RETENTION = "single_user_retention"
    HOSTING = "hosting"
    SUPPORT = "support"
    HARDWARE = "hardware"
    OTHER = "other"


class PriceUnit(StrEnum):
    PRACTICE = "practice"
    PATIENT = "patient"
    USER = "user"
    DAY = "day"
    MIGRATION = "migration"
    DEVICE = "device"
    ITEM = "item"


class PricePeriod(StrEnum):
    ONE_OFF = "one_off"
    MONTH = "month"
    YEAR = "year"


class TierCalculation(StrEnum):
    VOLUME = "volume"
    CUMULATIVE = "cumulative"


class OrganisationKind(StrEnum):
    COMMISSIONER = "commissioner"
    PRACTICE = "practice"


# What a commissioner has been called: PCTs in 2007, CCGs from 2013, ICBs today.
COMMISSIONER_TYPES = ("PCT", "CCG", "ICB")
