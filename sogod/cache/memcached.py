"""memcached through pymemcache, with SOGo's server-list syntax.

``SOGoMemcachedHost`` follows memcached_servers_parse(3): ``host``,
``host:port``, a comma-separated list, or a Unix socket path.
The client is created on first use, i.e. in the worker after fork.
"""

from __future__ import annotations

import hashlib

from ..server.logs import get_logger

log = get_logger("cache")

MAX_KEY = 250


def parse_servers(spec: str) -> list:
    servers = []
    for item in str(spec).replace(" ", ",").split(","):
        item = item.strip()
        if not item:
            continue
        if item.startswith("/"):
            servers.append(item)
            continue
        item = item.split("?", 1)[0]  # drop libmemcached weights
        host, sep, port = item.rpartition(":")
        if sep and port.isdigit() and host:
            servers.append((host.strip("[]"), int(port)))
        else:
            servers.append((item, 11211))
    return servers


def _key(key: str) -> str:
    # memcached keys: no spaces or control characters, at most 250 bytes.
    raw = key.encode("utf-8")
    if len(raw) <= MAX_KEY and all(32 < b < 127 for b in raw):
        return key
    return "sogod-h:" + hashlib.sha256(raw).hexdigest()


class MemcachedCache:
    def __init__(self, servers: list, ttl: int = 300, timeout: float = 2.0):
        self.servers = servers
        self.ttl = ttl
        self.timeout = timeout
        self._client = None

    @property
    def client(self):
        if self._client is None:
            from pymemcache.client.hash import HashClient
            from pymemcache.client.base import Client
            if len(self.servers) == 1:
                self._client = Client(self.servers[0], connect_timeout=self.timeout,
                                      timeout=self.timeout, no_delay=True)
            else:
                self._client = HashClient(self.servers, connect_timeout=self.timeout,
                                          timeout=self.timeout, no_delay=True,
                                          retry_attempts=1, dead_timeout=5)
        return self._client

    def get(self, key: str) -> str | None:
        try:
            value = self.client.get(_key(key))
        except Exception as exc:
            self._failed("get", exc)
            return None
        return value.decode("utf-8") if value is not None else None

    def set(self, key: str, value: str, ttl: int | None = None) -> None:
        try:
            self.client.set(_key(key), value.encode("utf-8"), expire=ttl or self.ttl, noreply=False)
        except Exception as exc:
            self._failed("set", exc)

    def delete(self, key: str) -> None:
        try:
            self.client.delete(_key(key), noreply=False)
        except Exception as exc:
            self._failed("delete", exc)

    def _failed(self, op: str, exc: Exception) -> None:
        log.warning("memcached %s failed (%s: %s); continuing without the cache", op, type(exc).__name__, exc)
        if self._client is not None:
            try:
                self._client.close()
            except Exception:
                pass
        self._client = None
