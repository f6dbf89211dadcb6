"""Every blueprint of the API and where it is mounted."""

from flask_smorest import Api

from .audit_events.routes import blp as audit_events
from .capabilities.routes import blp as capabilities
from .compare.routes import blp as compare
from .frameworks.routes import blp as frameworks
from .health.routes import blp as health
from .index.routes import API_PREFIX
from .index.routes import blp as index
from .maturity_levels.routes import blp as maturity_levels
from .orders.routes import blp as orders
from .organisations.routes import blp as organisations
from .search.routes import blp as search
from .selections.routes import blp as selections
from .services.routes import blp as services
from .suppliers.routes import blp as suppliers
from .systems.routes import blp as systems
from .tokens.routes import blp as tokens
from .webhooks.routes import blp as webhooks

VERSIONED = [
    frameworks,
    capabilities,
    maturity_levels,
    suppliers,
    systems,
    services,
    organisations,
    search,
    tokens,
    audit_events,
    orders,
    compare,
    selections,
    webhooks,
]


def register_resources(api: Api) -> None:
    for blueprint in VERSIONED:
        api.register_blueprint(blueprint, url_prefix=API_PREFIX)
    api.register_blueprint(health)
    api.register_blueprint(index)
