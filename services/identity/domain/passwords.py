"""The password policy: what a new password must be (checked before it is hashed).

Length (``min_length``..``max_length`` characters: long passphrases are welcome, but an
argon2 input of megabytes is not), not only spaces, and not the account's own email.
Breached-password lists are not checked (a later addition, behind the same function).
"""
from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class PasswordPolicy:
    min_length: int = 12
    max_length: int = 256

    def __post_init__(self):
        if not 8 <= self.min_length <= self.max_length:
            raise ValueError("password policy: 8 <= min_length <= max_length")

    def problems(self, password: str, email: str | None = None) -> list[str]:
        """Messages for each rule ``password`` breaks (empty: acceptable). The messages
        never repeat the password."""
        if not isinstance(password, str):
            return ["Must be a string."]
        found = []
        if len(password) < self.min_length:
            found.append(f"Must be at least {self.min_length} characters.")
        if len(password) > self.max_length:
            found.append(f"Must be at most {self.max_length} characters.")
        if password and not password.strip():
            found.append("Must not be only spaces.")
        if email and password.strip().lower() == email.strip().lower():
            found.append("Must not be your email address.")
        return found
