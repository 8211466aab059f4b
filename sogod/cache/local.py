"""A per-process cache with expiry, used when no memcached is configured."""

from __future__ import annotations

import time


class LocalCache:
    def __init__(self, ttl: int = 300, max_entries: int = 10000):
        self.ttl = ttl
        self.max_entries = max_entries
        self._data: dict[str, tuple[float, str]] = {}

    def get(self, key: str) -> str | None:
        entry = self._data.get(key)
        if entry is None:
            return None
        expires, value = entry
        if expires < time.monotonic():
            self._data.pop(key, None)
            return None
        return value

    def set(self, key: str, value: str, ttl: int | None = None) -> None:
        if len(self._data) >= self.max_entries:
            self._purge()
        self._data[key] = (time.monotonic() + (ttl or self.ttl), value)

    def delete(self, key: str) -> None:
        self._data.pop(key, None)

    def _purge(self) -> None:
        now = time.monotonic()
        for key in [k for k, (exp, _) in self._data.items() if exp < now]:
            del self._data[key]
        if len(self._data) >= self.max_entries:
            self._data.clear()
