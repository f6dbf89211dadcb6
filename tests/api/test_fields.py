from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from marshmallow import ValidationError

from service.fields import (
    CapabilityCode,
    Id,
    Integer,
    Money,
    format_money,
    format_scaled_money,
)


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        ("3427.72", "3427.72"),
        ("200", "200.00"),
        ("0.055", "0.055"),
        ("0", "0.00"),
        ("1E+3", "1000.00"),
    ],
)
def test_money_is_shown_with_at_least_two_places(amount, text):
    assert format_money(Decimal(amount)) == text


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_scaled_formatting_agrees_with_decimal_formatting(scaled):
    assert format_scaled_money(scaled) == format_money(Decimal(scaled).scaleb(-4))


@pytest.mark.parametrize("bad", [12.5, "-1", "1.23456", "NaN", "Infinity", "twelve", None, True])
def test_money_input_refuses_floats_negatives_and_junk(bad):
    with pytest.raises(ValidationError):
        Money(allow_none=False).deserialize(bad)


def test_money_input_is_exact():
    assert Money().deserialize("3427.72") == Decimal("3427.72")


@pytest.mark.parametrize("huge", ["99999999999999999999", "1e309", "1000000000000"])
def test_money_beyond_a_trillion_is_refused(huge):
    with pytest.raises(ValidationError, match="at most"):
        Money().deserialize(huge)


@pytest.mark.parametrize("strict", [True, False])
@pytest.mark.parametrize(("given_", "read"), [(536, 536), (536.0, 536), (-2.0, -2)])
def test_an_integer_is_what_json_schema_calls_one(strict, given_, read):
    assert Integer(strict=strict).deserialize(given_) == read


@pytest.mark.parametrize("strict", [True, False])
@pytest.mark.parametrize("bad", [536.5, True, float("inf"), float("nan")])
def test_a_fraction_is_refused_not_truncated(strict, bad):
    with pytest.raises(ValidationError):
        Integer(strict=strict).deserialize(bad)


def test_an_id_is_an_integer_too():
    assert Id().deserialize(7.0) == 7
    with pytest.raises(ValidationError):
        Id().deserialize(7.5)


@pytest.mark.parametrize(
    ("given_", "read"), [("EPS", "eps"), ("Choose-And-Book", "choose-and-book")]
)
def test_a_capability_code_is_read_in_any_case(given_, read):
    assert CapabilityCode().deserialize(given_) == read
