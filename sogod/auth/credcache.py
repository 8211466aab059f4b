"""Verified credentials, remembered so repeated DAV/EAS logins skip the source.

SOGo keeps an unsalted SHA-1 of the password in memcached. sogod keeps a
salted SHA-256 under its own key (so a mixed SOGo/sogod fleet never reads
the other's entries), and only after the source said yes. The entry expires
with ``SOGoCacheCleanupInterval``; a password change in the source is seen
at the latest then, or at once when sogod changed it (``forget``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os

from .user import User

PREFIX = "sogod:cred:"


def _digest(salt: bytes, login: str, password: str) -> str:
    return hashlib.sha256(salt + login.encode("utf-8") + b"\x00" + password.encode("utf-8")).hexdigest()


class CredentialCache:
    def __init__(self, cache):
        self.cache = cache

    def _key(self, login: str) -> str:
        return PREFIX + login.lower()

    def check(self, login: str, password: str) -> User | None:
        raw = self.cache.get(self._key(login))
        if not raw:
            return None
        try:
            entry = json.loads(raw)
            salt = bytes.fromhex(entry["salt"])
            if not hmac.compare_digest(entry["hash"], _digest(salt, login, password)):
                return None
            return User.from_json(entry["user"])
        except (ValueError, KeyError, TypeError):
            return None

    def remember(self, login: str, password: str, user: User) -> None:
        salt = os.urandom(16)
        entry = {"salt": salt.hex(), "hash": _digest(salt, login, password), "user": user.to_json()}
        self.cache.set(self._key(login), json.dumps(entry))

    def forget(self, login: str) -> None:
        self.cache.delete(self._key(login))
