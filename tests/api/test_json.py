"""The app's JSON provider: exact money, ISO dates, and the json module's text where asked for
options (ETags are hashed from it)."""

import json
from datetime import UTC, date, datetime
from decimal import Decimal

from flask import json as flask_json


def test_money_dates_and_integer_keys(app):
    with app.app_context():
        body = flask_json.loads(
            flask_json.dumps(
                {
                    "amount": Decimal("3427.72"),
                    "day": date(2014, 3, 31),
                    "at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
                    "errors": {0: ["first"]},
                }
            )
        )
    assert body == {
        "amount": "3427.72",
        "day": "2014-03-31",
        "at": "2026-01-02T03:04:05+00:00",
        "errors": {"0": ["first"]},
    }


def test_options_give_the_json_module_text_inside_and_outside_the_app(app):
    data = {"kind": "item", "id": 3, "version": 2}
    with app.app_context():
        inside = flask_json.dumps(data, sort_keys=True)
    assert inside == json.dumps(data, sort_keys=True) == flask_json.dumps(data, sort_keys=True)
