"""Marshmallow fields shared by the resource schemas."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from marshmallow import ValidationError, fields, validate

from catalogue.models.base import MONEY_SCALE

# Ids fit a 32-bit integer column on every database.
MAX_ID = 2**31 - 1


def format_money(value: Decimal) -> str:
    """A decimal string with at least two places: "3427.72", "0.055", "200.00"."""
    text = format(value.normalize(), "f")
    whole, _, fraction = text.partition(".")
    return f"{whole}.{fraction.ljust(2, '0')}"


def format_scaled_money(scaled: int) -> str:
    """format_money for an amount held as an integer count of 10**-MONEY_SCALE pounds (integer
    arithmetic: list pages format hundreds of these)."""
    sign = "-" if scaled < 0 else ""
    pounds, fraction = divmod(abs(scaled), 10**MONEY_SCALE)
    return f"{sign}{pounds}.{f'{fraction:0{MONEY_SCALE}d}'.rstrip('0').ljust(2, '0')}"


# A trillion pounds: far above any price or cost, far below what the storage can hold.
MAX_MONEY = Decimal("999999999999.9999")


class Money(fields.Field):
    """Money as a decimal string in JSON; exact Decimal in Python. Floats are refused."""

    def __init__(self, **kwargs: Any) -> None:
        metadata = kwargs.pop("metadata", {})
        metadata.setdefault("type", "string")
        metadata.setdefault("pattern", r"^\d{1,12}(\.\d{1,4})?$")
        metadata.setdefault("examples", ["3427.72"])
        super().__init__(metadata=metadata, **kwargs)

    def _serialize(
        self, value: Decimal | None, attr: str | None, obj: Any, **kwargs: Any
    ) -> str | None:
        return None if value is None else format_money(value)

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> Decimal:
        if not isinstance(value, str):
            raise ValidationError('Give money as a decimal string, e.g. "3427.72".')
        try:
            amount = Decimal(value.strip())
        except InvalidOperation as error:
            raise ValidationError(f"{value!r} is not a decimal amount.") from error
        if not amount.is_finite():
            raise ValidationError("Amounts must be finite.")
        if amount < 0:
            raise ValidationError("Amounts cannot be negative.")
        if amount > MAX_MONEY:
            raise ValidationError(f"Amounts are at most {MAX_MONEY}.")
        exponent = amount.as_tuple().exponent  # an int: the amount is finite
        if isinstance(exponent, int) and exponent < -MONEY_SCALE:
            raise ValidationError(f"Amounts have at most {MONEY_SCALE} decimal places.")
        return amount


class Id(fields.Integer):
    """A reference to a stored object by id: a positive 32-bit integer."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("validate", validate.Range(min=1, max=MAX_ID))
        super().__init__(**kwargs)
