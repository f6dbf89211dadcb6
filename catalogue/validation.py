"""Collecting per-field reasons so that one bad request reports every bad field at once."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import ItemsView, Iterable
from decimal import Decimal

from .errors import DomainError, InvalidInput
from .models.base import MONEY_SCALE

NAME_MAX = 200
SUMMARY_MAX = 500
DESCRIPTION_MAX = 20_000
REASON_MAX = 2_000

# C0 control characters but tab, line feed and carriage return: no XLSX cell (XML 1.0) can hold
# them, PostgreSQL text cannot hold NUL, and no person types them. One rule for every database.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
CONTROL_CHARACTER_REASON = "No control characters (such as NUL); tab and line breaks are fine."


def has_control_characters(text: str) -> bool:
    return CONTROL_CHARACTERS.search(text) is not None


class FieldErrors:
    """Reasons per field, in the order they were found; the one way to report field errors."""

    def __init__(self) -> None:
        self._errors: dict[str, list[str]] = defaultdict(list)

    def add(self, field: str, reason: str) -> None:
        self._errors[field].append(reason)

    def extend(self, field: str, reasons: Iterable[str]) -> None:
        for reason in reasons:
            self.add(field, reason)

    def __bool__(self) -> bool:
        return bool(self._errors)

    def __contains__(self, field: object) -> bool:
        return field in self._errors

    def items(self) -> ItemsView[str, list[str]]:
        return self._errors.items()

    def raise_if_any(
        self, message: str = "The input is not valid.", error: type[DomainError] = InvalidInput
    ) -> None:
        """Raise `error` (InvalidInput unless told) with every reason found, if any."""
        if self._errors:
            raise error(message, dict(self._errors))

    def text(self, field: str, value: object, max_length: int, *, required: bool) -> None:
        if value is None:
            if required:
                self.add(field, "Required.")
            return
        if not isinstance(value, str):
            self.add(field, "Must be text.")
        elif has_control_characters(value):
            self.add(field, CONTROL_CHARACTER_REASON)
        elif required and not value.strip():
            self.add(field, "Must not be blank.")
        elif len(value) > max_length:
            self.add(field, f"At most {max_length} characters.")

    def money(self, field: str, value: object) -> None:
        if not isinstance(value, Decimal) or not value.is_finite():
            self.add(field, "Must be an exact decimal amount.")
        elif value < 0:
            self.add(field, "Cannot be negative.")
        elif value.as_tuple().exponent < -MONEY_SCALE:  # type: ignore[operator]
            self.add(field, f"At most {MONEY_SCALE} decimal places.")
