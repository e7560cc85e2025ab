"""How a partner is paid: a bank transfer (IBAN) or PayPal."""
from __future__ import annotations

import dataclasses
import re
from typing import Any

from common.seedwork.domain.entity import ValueObject
from common.seedwork.errors import ValidationError

BANK_TRANSFER = "bank_transfer"
PAYPAL = "paypal"
KINDS = (BANK_TRANSFER, PAYPAL)

_IBAN_SHAPE = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")
_BIC_SHAPE = re.compile(r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$")


def normalize_iban(iban: str) -> str:
    return re.sub(r"\s+", "", iban or "").upper()


def iban_is_valid(iban: str) -> bool:
    """Shape and ISO 13616 mod-97 checksum."""
    iban = normalize_iban(iban)
    if not _IBAN_SHAPE.match(iban):
        return False
    rearranged = iban[4:] + iban[:4]
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(digits) % 97 == 1


def bic_is_valid(bic: str) -> bool:
    return bool(_BIC_SHAPE.match((bic or "").upper()))


@dataclasses.dataclass(frozen=True)
class PayoutMethod(ValueObject):
    kind: str
    details: tuple[tuple[str, str], ...]

    @classmethod
    def bank_transfer(cls, *, account_holder: str, iban: str, bic: str | None = None):
        errors = {}
        if not (account_holder or "").strip():
            errors["account_holder"] = ["Required."]
        if not iban_is_valid(iban):
            errors["iban"] = ["Not a valid IBAN."]
        if bic and not bic_is_valid(bic):
            errors["bic"] = ["Not a valid BIC."]
        if errors:
            raise ValidationError("Invalid payout method.", {"payout_method": errors})
        details = {"account_holder": account_holder.strip(), "iban": normalize_iban(iban)}
        if bic:
            details["bic"] = bic.upper()
        return cls(BANK_TRANSFER, tuple(sorted(details.items())))

    @classmethod
    def paypal(cls, *, email: str):
        if "@" not in (email or ""):
            raise ValidationError("Invalid payout method.",
                                  {"payout_method": {"email": ["Not a valid email address."]}})
        return cls(PAYPAL, (("email", email.strip()),))

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> "PayoutMethod | None":
        if not data:
            return None
        fields = {k: v for k, v in data.items() if k != "type"}
        if data.get("type") == BANK_TRANSFER:
            return cls.bank_transfer(**fields)
        if data.get("type") == PAYPAL:
            return cls.paypal(**fields)
        raise ValidationError("Invalid payout method.",
                              {"payout_method": {"type": [f"Must be one of {', '.join(KINDS)}."]}})

    def to_dict(self) -> dict[str, str]:
        return {"type": self.kind, **dict(self.details)}
