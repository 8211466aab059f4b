"""A small key/value cache shared by the workers.

``SOGoMemcachedHost`` set: memcached, shared by every worker and every sogod
host (and, with the same keys, by SOGo itself). Unset: a per-process cache.
Every entry lives ``SOGoCacheCleanupInterval`` seconds, as in SOGo. A cache is
only ever an accelerator: a failing backend behaves as a miss.
"""

from __future__ import annotations

from typing import Protocol

from .local import LocalCache
from .memcached import MemcachedCache, parse_servers


class Cache(Protocol):
    ttl: int

    def get(self, key: str) -> str | None: ...

    def set(self, key: str, value: str, ttl: int | None = None) -> None: ...

    def delete(self, key: str) -> None: ...


def make_cache(defaults) -> Cache:
    ttl = defaults.int("SOGoCacheCleanupInterval") or 300
    host = defaults.get("SOGoMemcachedHost")
    if host:
        return MemcachedCache(parse_servers(host), ttl=ttl)
    return LocalCache(ttl=ttl)


__all__ = ["Cache", "LocalCache", "MemcachedCache", "make_cache", "parse_servers"]
