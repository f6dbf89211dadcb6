"""Schemathesis drives every operation of the app's own /openapi.json as each role (anonymous,
the authority, a supplier, a commissioner, a practice): no 5xx, and every response's status,
content type, headers and body are what the document promises.

(Schemathesis' pytest plugin does not run under pytest 9 yet, so each operation gets a plain
parametrised test that runs Hypothesis over the operation's strategy.)
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    content_type_conformance,
    ignored_auth,
    missing_required_header,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from api import create_app
from api.auth import EXTENSION as AUTH
from catalogue.principal import Role
from tests.factories import (
    COMMISSIONER_ODS,
    OWNER_SLUG,
    PRACTICE,
    organisation_id,
    supplier_id,
    token,
)


def _operation_labels() -> list[str]:
    # The document does not depend on the database, so an unconnected app describes it.
    app = create_app({"DATABASE_URL": "sqlite://"})
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    return [result.ok().label for result in schema.get_all_operations()]


# Not checked: that every schema-valid request is accepted (positive_data_acceptance). Rules
# across fields and the domain's own rules (a supplier token needs a supplier, a cursor must be
# one this API gave out, a framework's lot numbers are unique...) answer a documented 422 to
# requests a JSON schema cannot tell from good ones. Every other response check runs, named
# here so that none is dropped by a change of schemathesis' defaults.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    missing_required_header,
    unsupported_method,
    allow_header_conformance,
    ignored_auth,
]

# Examples per operation and role: 5 roles x ~100 operations on 2 shared cores, 24 examples an
# operation in all (as many as the two roles this test began with). Anonymous callers and the
# authority reach the most code; a supplier's and a commissioner's runs add their own views.
EXAMPLES = {"anonymous": 8, "authority": 8, "supplier": 4, "commissioner": 4, "practice": 4}


@pytest.fixture
def operations(app, connection):
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    return {op.label: op for op in (result.ok() for result in schema.get_all_operations())}


def _credentials(db, caller: str) -> dict[str, str]:
    if caller == "anonymous":
        return {}
    binding = {
        "authority": {},
        "supplier": {"supplier_id": supplier_id(db, OWNER_SLUG)},
        "commissioner": {"organisation_id": organisation_id(db, COMMISSIONER_ODS)},
        "practice": {"organisation_id": organisation_id(db, PRACTICE)},
    }[caller]
    secret = token(db, Role(caller), f"conformance {caller}", **binding)
    return {"Authorization": f"Bearer {secret}"}


@pytest.mark.parametrize("label", _operation_labels())
@pytest.mark.parametrize("caller", list(EXAMPLES))
def test_operation_conforms(label, caller, operations, db, app):
    operation = operations[label]
    headers = _credentials(db, caller)
    throttle = app.extensions[AUTH].limiter.storage

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES[caller],
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        # Schemathesis sends bad credentials on purpose and expects 401 each time; the throttle
        # (tested on its own elsewhere) would answer 429 after a few, so each case starts clean.
        throttle.reset()
        case.call_and_validate(headers=headers, checks=CHECKS)

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
        # The web pages and their assets are HTML for people, not API operations.
        and not rule.endpoint.startswith(("web.", "nhsuk_assets.", "nhsuk_frontend."))
    }
    assert served <= documented
