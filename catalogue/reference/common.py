"""What every reference-data write shares: only the authority writes, and each write is an audit
event with the object's fields before and after.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from catalogue.errors import Forbidden
from catalogue.plain import plain
from catalogue.principal import Principal


def require_authority(actor: Principal) -> None:
    if not actor.is_authority:
        raise Forbidden("Only the framework authority may do this.")


def snapshot(obj: Any, fields: Iterable[str]) -> dict[str, Any]:
    return {name: plain(getattr(obj, name)) for name in fields}


def assign(obj: Any, values: Mapping[str, Any]) -> None:
    for name, value in values.items():
        setattr(obj, name, value)
