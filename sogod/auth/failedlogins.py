"""Throttling of failed logins (guide: SOGoMaximumFailedLoginCount,
SOGoMaximumFailedLoginInterval, SOGoFailedLoginBlockInterval), as SOGo does it.

The count lives in the shared cache under SOGo's own key ``<login>+failedlogins``
(``{"FailedCount", "InitialDate", "LastRequestDate"}``), so every worker, every
sogod host and SOGo itself count together. Once a login has failed
``max_count`` times, any attempt less than ``interval`` seconds after the last
failure is refused as a locked account without asking the sources, until
``block`` seconds have passed since the first failure; then the count restarts.
"""

from __future__ import annotations

import json
import time


class FailedLogins:
    def __init__(self, cache, max_count: int, interval: int, block: int, clock=time.time):
        self.cache, self.max_count, self.interval, self.block = cache, max_count, interval, block
        self.clock = clock

    @classmethod
    def from_config(cls, defaults, cache) -> "FailedLogins":
        return cls(cache, defaults.int("SOGoMaximumFailedLoginCount"),
                   defaults.int("SOGoMaximumFailedLoginInterval"), defaults.int("SOGoFailedLoginBlockInterval"))

    @property
    def enabled(self) -> bool:
        return self.max_count > 0

    def _key(self, login: str) -> str:
        return f"{login}+failedlogins"

    def _read(self, login: str) -> dict:
        raw = self.cache.get(self._key(login))
        try:
            data = json.loads(raw) if raw else {}
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    def blocked(self, login: str) -> bool:
        if not self.enabled:
            return False
        data = self._read(login)
        if not data:
            return False
        now = int(self.clock())
        since_first = now - _int(data.get("InitialDate"), now)
        since_last = now - _int(data.get("LastRequestDate"), now)
        if _int(data.get("FailedCount"), 0) >= self.max_count and since_last < self.interval \
                and since_first <= self.block:
            return True
        if since_first > self.block:
            self.cache.delete(self._key(login))
        return False

    def failed(self, login: str) -> None:
        if not self.enabled:
            return
        data = self._read(login)
        now = int(self.clock())
        data["FailedCount"] = _int(data.get("FailedCount"), 0) + 1
        data.setdefault("InitialDate", now)
        data["LastRequestDate"] = now
        self.cache.set(self._key(login), json.dumps(data))


def _int(value, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default
