"""Who is acting: the authenticated principal behind a request or a CLI command."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    AUTHORITY = "authority"
    SUPPLIER = "supplier"
    COMMISSIONER = "commissioner"
    # A GP practice's own people; the principal carries the practice's organisation id.
    PRACTICE = "practice"


@dataclass(frozen=True)
class Principal:
    role: Role
    name: str
    token_id: int | None = None  # None for the operator at the console (CLI)
    supplier_id: int | None = None
    organisation_id: int | None = None  # the commissioner's or the practice's
    user_id: int | None = None  # a person signed in on the web pages

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
        if self.user_id is not None:
            who = f"user:{self.user_id}"
        elif self.token_id is not None:
            who = f"token:{self.token_id}"
        else:
            who = "console"
        return f"{self.role.value}:{who}"


CONSOLE = Principal(role=Role.AUTHORITY, name="console operator")
