"""Schemathesis drives every operation of the app's own /openapi.json, anonymously and as the
authority: no 5xx, and every response matches what the document promises.

(Schemathesis' pytest plugin does not run under pytest 9 yet, so each operation gets a plain
parametrised test that runs Hypothesis over the operation's strategy.)
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api import create_app
from api.auth import EXTENSION as AUTH
from catalogue.principal import Role
from tests.factories import token


def _operation_labels() -> list[str]:
    # The document does not depend on the database, so an unconnected app describes it.
    app = create_app({"DATABASE_URL": "sqlite://"})
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    return [result.ok().label for result in schema.get_all_operations()]


# Not checked: that every schema-valid request is accepted. Rules across fields and the domain's
# own rules (a supplier token needs a supplier, page x page_size is capped, a cursor must be one
# this API gave out, a framework's lot numbers are unique...) answer a documented 422 to
# requests a JSON schema cannot tell from good ones. Every other check runs: no 5xx, statuses,
# content types, headers and bodies as documented, authentication.
CONFORMANCE = settings(
    max_examples=12, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)


@pytest.fixture
def operations(app, connection):
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    return {op.label: op for op in (result.ok() for result in schema.get_all_operations())}


@pytest.fixture
def authority_header(db) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(db, Role.AUTHORITY, 'conformance')}"}


@pytest.mark.parametrize("label", _operation_labels())
@pytest.mark.parametrize("caller", ["anonymous", "authority"])
def test_operation_conforms(label, caller, operations, authority_header, app):
    operation = operations[label]
    headers = authority_header if caller == "authority" else {}
    throttle = app.extensions[AUTH].limiter.storage

    @given(case=operation.as_strategy())
    @CONFORMANCE
    def run(case):
        # Schemathesis sends bad credentials on purpose and expects 401 each time; the throttle
        # (tested on its own elsewhere) would answer 429 after a few, so each case starts clean.
        throttle.reset()
        case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

    run()


def test_the_document_is_openapi_3_1_and_lists_every_route(app, client):
    document = client.get("/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    documented = {path for path in document["paths"]}
    served = {
        rule.rule.replace("<int:", "{").replace("<string:", "{").replace(">", "}")
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in {"static", "docs_assets.static"}
        and not rule.rule.startswith(("/openapi.json", "/docs"))
    }
    assert served <= documented
