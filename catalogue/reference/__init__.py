"""Reference data the framework authority keeps: frameworks and their lots, capabilities, maturity
levels, organisations (commissioners and practices) and suppliers; one module per noun, reads
and writes together."""

from . import capabilities, common, frameworks, lots, maturity_levels, organisations, suppliers
from .capabilities import create_capability, get_capability, list_capabilities, update_capability
from .frameworks import (
    FRAMEWORK_TRANSITIONS,
    MAX_TERM_MONTHS,
    SLUG_PATTERN,
    create_framework,
    get_framework,
    list_frameworks,
    transition_framework,
    update_framework,
)
from .lots import create_lot, get_lot, update_lot
from .maturity_levels import (
    LevelChange,
    create_maturity_level,
    get_maturity_level,
    list_maturity_levels,
    update_maturity_level,
)
from .organisations import (
    COMMISSIONER_TYPES,
    ODS_PATTERN,
    create_organisation,
    get_organisation,
    list_organisations,
    update_organisation,
)
from .suppliers import get_supplier, list_suppliers

__all__ = [
    "COMMISSIONER_TYPES",
    "FRAMEWORK_TRANSITIONS",
    "LevelChange",
    "MAX_TERM_MONTHS",
    "ODS_PATTERN",
    "SLUG_PATTERN",
    "capabilities",
    "common",
    "create_capability",
    "create_framework",
    "create_lot",
    "create_maturity_level",
    "create_organisation",
    "frameworks",
    "get_capability",
    "get_framework",
    "get_lot",
    "get_maturity_level",
    "get_organisation",
    "get_supplier",
    "list_capabilities",
    "list_frameworks",
    "list_maturity_levels",
    "list_organisations",
    "list_suppliers",
    "lots",
    "maturity_levels",
    "organisations",
    "suppliers",
    "transition_framework",
    "update_capability",
    "update_framework",
    "update_lot",
    "update_maturity_level",
    "update_organisation",
]
