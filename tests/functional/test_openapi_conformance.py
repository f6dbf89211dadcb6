"""Schemathesis drives every operation of the app's own /openapi.json, anonymously and as the
authority: no 5xx, and every response matches what the document promises.

(Schemathesis' pytest plugin does not run under pytest 9 yet, so each operation gets a plain
parametrised test that runs Hypothesis over the operation's strategy.)
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from api import create_app
from catalogue.accounts import issue_token
from catalogue.principal import CONSOLE, Role


def _operation_labels() -> list[str]:
    # The document does not depend on the database, so an unconnected app describes it.
    app = create_app({"DATABASE_URL": "sqlite://"})
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    return [result.ok().label for result in schema.get_all_operations()]


CONFORMANCE = settings(
    max_examples=12, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)


@pytest.fixture
def operations(app, connection):
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    return {op.label: op for op in (result.ok() for result in schema.get_all_operations())}


@pytest.fixture
def authority_header(db) -> dict[str, str]:
    token = issue_token(db, CONSOLE, Role.AUTHORITY, "conformance").secret
    db.flush()
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("label", _operation_labels())
@pytest.mark.parametrize("caller", ["anonymous", "authority"])
def test_operation_conforms(label, caller, operations, authority_header):
    operation = operations[label]
    headers = authority_header if caller == "authority" else {}

    @given(case=operation.as_strategy())
    @CONFORMANCE
    def run(case):
        case.call_and_validate(headers=headers)

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
