"""The closed vocabularies of the domain."""

from enum import StrEnum


class FrameworkStatus(StrEnum):
    COMING = "coming"
    OPEN = "open"
    LIVE = "live"
    EXPIRED = "expired"


class Funding(StrEnum):
    """Who pays: the centre, the commissioner (PCT, CCG, ICB) or the practice itself. Until
    schema revision 0010 the commissioner was "local" (see catalogue.funding)."""

    CENTRAL = "central"
    COMMISSIONER = "commissioner"
    PRACTICE = "practice"


class ChargeType(StrEnum):
    """What a price charges for, as the supplier states it and the authority's review checks
    it: with the lot and the item's infrastructure class it decides who pays
    (catalogue.funding), never the words of the price's name."""

    LICENCE = "licence"
    SOFTWARE_MAINTENANCE = "software_maintenance"
    SUPPORT_SERVICE = "support_service"
    DEPLOYMENT_AND_MIGRATION = "deployment_and_migration"
    DATA_EXTRACT = "data_extract"
    TRAINING = "training"
    HARDWARE = "hardware"
    HARDWARE_MAINTENANCE = "hardware_maintenance"
    OTHER = "other"


class InfrastructureClass(StrEnum):
    """The GP practice IT infrastructure specification's two classes of a practice's IT:
    core (the commissioner must fund it) and additional (the commissioner funds it only where
    it agrees with the practice; otherwise the practice pays)."""

    CORE = "core"
    ADDITIONAL = "additional"


class InfrastructureCategory(StrEnum):
    """The headings of the GP practice IT infrastructure specification's requirements (its
    appendix classes each as core or additional: catalogue.infrastructure)."""

    SERVERS = "servers"
    PCS = "pcs"
    MONITORS = "monitors"
    PRINTERS = "printers"
    BUSINESS_APPLICATIONS = "business_applications"
    MICROSOFT_OFFICE = "microsoft_office"
    ANTI_VIRUS = "anti_virus"
    DESKTOP_ASSET_PATCH_MANAGEMENT = "desktop_asset_patch_management"
    DISASTER_RECOVERY = "disaster_recovery"
    CABLING = "cabling"
    WIRELESS_NETWORKING = "wireless_networking"
    SWITCHES = "switches"
    ROUTERS_FIREWALLS = "routers_firewalls"
    N3_CONNECTION = "n3_connection"
    BRANCH_LINKS = "branch_links"
    SCANNING_DOCUMENT_MANAGEMENT = "scanning_document_management"
    ADDITIONAL_CLINICAL_APPLICATIONS = "additional_clinical_applications"


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
