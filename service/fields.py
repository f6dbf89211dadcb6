"""Marshmallow fields shared by the resource schemas."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from marshmallow import ValidationError, fields, validate

from catalogue.funding import payer_error
from catalogue.models import Funding
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


class CapabilityCode(fields.String):
    """A capability code in a filter, in any case: codes are lower-case slugs ("eps",
    "choose-and-book"), so `EPS` means `eps` rather than silently matching nothing."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("validate", validate.Length(min=1, max=64))
        metadata = kwargs.pop("metadata", {})
        metadata.setdefault("description", "A capability code, in any case (eps, EPS).")
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> str:
        return super()._deserialize(value, attr, data, **kwargs).strip().lower()


class Integer(fields.Integer):
    """An integer as JSON Schema, and so the document, counts one: 536 and 536.0 alike (one JSON
    number), never 536.5 (refused, where marshmallow would truncate it) nor true."""

    def _validated(self, value: Any) -> int:
        if isinstance(value, float):
            if not value.is_integer():
                raise self.make_error("invalid", input=value)
            value = int(value)
        return super()._validated(value)


class Id(Integer):
    """A reference to a stored object by id: a positive 32-bit integer."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("validate", validate.Range(min=1, max=MAX_ID))
        super().__init__(**kwargs)


class BoundedDict(fields.Dict):
    """A map of at most `max_entries` entries, bounded in the document too (`maxProperties`:
    apispec would spell a Length validator on an object as a string's maxLength)."""

    def __init__(self, *, max_entries: int, **kwargs: Any) -> None:
        metadata = {**kwargs.pop("metadata", {}), "maxProperties": max_entries}
        super().__init__(metadata=metadata, **kwargs)
        self.max_entries = max_entries

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, Mapping) and len(value) > self.max_entries:
            raise ValidationError(f"At most {self.max_entries} entries.")
        return super()._deserialize(value, attr, data, **kwargs)


class BoundedList(fields.List):
    """A list whose `validate.Length` maximum is checked before its items are parsed: a body
    of thousands of nested objects is refused at once, not after parsing every one of them."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, list):
            for validator in self.validators:
                if isinstance(validator, validate.Length) and validator.max is not None:
                    validator(value[: validator.max + 1])  # raises with its own message
        return super()._deserialize(value, attr, data, **kwargs)


class Payer(fields.Enum):
    """Who pays (`catalogue.models.Funding`): central, commissioner or practice, or those of
    them given. A client still sending the retired "local" (before the three payers) is told
    what it became, in a 422 naming the values (catalogue.funding.payer_error)."""

    def __init__(self, allowed: Sequence[Funding] = tuple(Funding), **kwargs: Any) -> None:
        self.allowed = tuple(allowed)
        kwargs.setdefault("validate", validate.OneOf([payer.value for payer in self.allowed]))
        super().__init__(Funding, by_value=True, **kwargs)

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> Funding:
        # An object or array is no payer either (and unhashable: test its type first).
        if not isinstance(value, str) or value not in {payer.value for payer in self.allowed}:
            raise ValidationError(payer_error(value, self.allowed))
        return Funding(value)
