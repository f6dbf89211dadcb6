"""Call-off orders: placing, the lifecycle, the GPSoC migration rules (one migration per
practice changing system, the previous supplier's notice and acknowledgement), the
commissioner's agreement to fund additional IT, the cost estimate against its baseline (split
between the three payers), and its export."""

from catalogue.orders.agreements import agree_funding, withdraw_agreement
from catalogue.orders.costs import Estimate, OptionCost, estimate_order, option_costs
from catalogue.orders.lifecycle import Transition, allowed_from
from catalogue.orders.migration import (
    AuditTrailSource,
    MigrationDates,
    audit_trail_sources,
    dates_of,
    migration_dates,
)
from catalogue.orders.notices import acknowledge, extend_notice, get_notice, list_notices
from catalogue.orders.ordering import (
    Missing,
    Placed,
    Prompt,
    amend_order,
    completeness,
    create_order,
    get_order,
    level_warnings,
    list_orders,
    prompts,
    revisions_of,
    transition,
    update_order,
)
from catalogue.orders.terms import agreement_possible, funding_of, practice_agreed

__all__ = [
    "AuditTrailSource",
    "Estimate",
    "MigrationDates",
    "Missing",
    "OptionCost",
    "Placed",
    "Prompt",
    "Transition",
    "acknowledge",
    "agreement_possible",
    "agree_funding",
    "allowed_from",
    "amend_order",
    "audit_trail_sources",
    "completeness",
    "create_order",
    "dates_of",
    "estimate_order",
    "extend_notice",
    "funding_of",
    "practice_agreed",
    "get_notice",
    "get_order",
    "level_warnings",
    "list_notices",
    "list_orders",
    "migration_dates",
    "option_costs",
    "prompts",
    "revisions_of",
    "transition",
    "update_order",
    "withdraw_agreement",
]
