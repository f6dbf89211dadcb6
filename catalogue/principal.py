"""Who is acting: the authenticated principal behind a request or a CLI command."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    AUTHORITY = "authority"
    SUPPLIER = "supplier"
    COMMISSIONER = "commissioner"
    PRACTICE = "practice"


@dataclass(frozen=True)
class Principal:
    role: Role
    name: str
    token_id: int | None = None  # None for the operator at the console (CLI)
    supplier_id: int | None = None
    organisation_id: int | None = None  # the commissioner's or the practice's

    @property
    def is_authority(self) -> bool:
        return self.role is Role.AUTHORITY

    def is_supplier(self, supplier_id: int) -> bool:
        return self.role is Role.SUPPLIER and self.supplier_id == supplier_id

    def is_commissioner(self, organisation_id: int) -> bool:
        return self.role is Role.COMMISSIONER and self.organisation_id == organisation_id

    def is_practice(self, organisation_id: int) -> bool:
        return self.role is Role.PRACTICE and self.organisation_id == organisation_id

    @property
    def label(self) -> str:
        """How the audit trail names this actor."""
        who = f"token:{self.token_id}" if self.token_id is not None else "console"
        return f"{self.role.value}:{who}"


CONSOLE = Principal(role=Role.AUTHORITY, name="console operator")
