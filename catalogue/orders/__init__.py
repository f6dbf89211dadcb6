"""Call-off orders: placing, the lifecycle, the GPSoC migration rules (one migration per
practice changing system, the previous supplier's notice and acknowledgement), the
commissioner's agreement to fund additional IT, the cost estimate against its baseline (split
between the three payers), and its export."""

from catalogue.orders.agreements import agree_funding, withdraw_agreement
from catalogue.orders.completeness import Missing, Prompt, completeness, prompts
from catalogue.orders.costs import Estimate, OptionCost, estimate_order, option_costs
from catalogue.orders.go_live_agreement import agree_go_live, go_live_agreed
from catalogue.orders.lifecycle import Transition, allowed_from
from catalogue.orders.migration import (
    AuditTrailSource,
    MigrationDates,
    audit_trail_sources,
    dates_of,
    migration_dates,
)
from catalogue.orders.notices import acknowledge, extend_notice, get_notice, list_notices
from catalogue.orders.ordering import Placed, amend_order, create_order, update_order
from catalogue.orders.reading import get_order, list_orders, revisions_of
from catalogue.orders.rules import level_warnings
from catalogue.orders.terms import agreement_possible, funding_of, practice_agreed
from catalogue.orders.transitions import transition

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
    "agree_go_live",
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
    "go_live_agreed",
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
