"""Call-off orders: placing, the lifecycle, the GPSoC migration rules, the cost estimate and
its export."""

from catalogue.orders.costs import Estimate, estimate_order
from catalogue.orders.lifecycle import Transition, allowed_from
from catalogue.orders.migration import (
    AuditTrailSource,
    MigrationDates,
    audit_trail_sources,
    migration_dates,
)
from catalogue.orders.ordering import (
    Missing,
    Placed,
    amend_order,
    completeness,
    create_order,
    get_order,
    list_orders,
    revisions_of,
    transition,
    update_order,
)

__all__ = [
    "AuditTrailSource",
    "Estimate",
    "MigrationDates",
    "Missing",
    "Placed",
    "Transition",
    "allowed_from",
    "amend_order",
    "audit_trail_sources",
    "completeness",
    "create_order",
    "estimate_order",
    "get_order",
    "list_orders",
    "migration_dates",
    "revisions_of",
    "transition",
    "update_order",
]
