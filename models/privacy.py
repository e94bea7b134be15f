"""Masking of a caller's personal data (domain §11): surname only, `138****1234`."""

from __future__ import annotations

from models.intake import Caller

MASK = "****"
PERSONAL_FIELDS = ("caller.name", "caller.phones", "location.address")


def mask_name(name: str | None) -> str:
    """The surname only: 张三 -> 张*."""
    name = (name or "").strip()
    return f"{name[0]}*" if name else "(anonymous)"


def mask_phone(phone: str) -> str:
    """The first three and last four digits: 13800001234 -> 138****1234."""
    if len(phone) >= 8:
        return f"{phone[:3]}{MASK}{phone[-4:]}"
    return f"{MASK}{phone[-2:]}"


def masked_caller(caller: Caller) -> Caller:
    return caller.model_copy(
        update={
            "name": mask_name(caller.name) if caller.name else None,
            "phones": [mask_phone(p) for p in caller.phones],
        }
    )
