"""Why a login or a password change was refused, in SOGo's terms.

The codes are SOGo's ``SOGoPasswordPolicyError`` (the ppolicy error numbers of
draft-behera-ldap-password-policy, plus SOGo's own negatives): the web UI and
``POST /SOGo/connect`` answer them as ``{"LDAPPasswordPolicyError": code}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .user import User


class PolicyError(IntEnum):
    PASSWORD_CHANGE_UNSUPPORTED = -3
    PASSWORD_SYSTEM_UNKNOWN = -2
    PASSWORD_UNKNOWN = -1
    PASSWORD_EXPIRED = 0
    ACCOUNT_LOCKED = 1
    CHANGE_AFTER_RESET = 2
    PASSWORD_MOD_NOT_ALLOWED = 3
    MUST_SUPPLY_OLD_PASSWORD = 4
    INSUFFICIENT_PASSWORD_QUALITY = 5
    PASSWORD_TOO_SHORT = 6
    PASSWORD_TOO_YOUNG = 7
    PASSWORD_IN_HISTORY = 8
    NO_ERROR = 65535

    @classmethod
    def from_ppolicy(cls, number) -> "PolicyError":
        """The error of a ppolicy response control (0-8); anything else is unknown."""
        try:
            value = int(number)
        except (TypeError, ValueError):
            return cls.PASSWORD_UNKNOWN
        return cls(value) if 0 <= value <= 8 else cls.PASSWORD_UNKNOWN


class PolicyRefused(Exception):
    """The source verified the password but its policy refuses the login or the change."""

    def __init__(self, error: PolicyError, detail: str = ""):
        super().__init__(detail or error.name)
        self.error = error


@dataclass(frozen=True)
class LoginOutcome:
    """What a login attempt came to: the user (None when refused) and, as SOGo
    reports them, the policy error and the ``expire`` seconds / ``grace`` logins
    left (-1 when the source said nothing)."""

    user: "User | None"
    error: PolicyError = PolicyError.NO_ERROR
    expire: int = -1
    grace: int = -1

    @property
    def ok(self) -> bool:
        return self.user is not None and self.error == PolicyError.NO_ERROR
