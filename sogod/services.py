"""What one process needs to answer requests, built once from the configuration.

Created lazily in each worker after fork: database engines, memcached
clients and user sources are never shared between processes.
"""

from __future__ import annotations

from functools import cached_property

from .config import SystemDefaults


class Services:
    def __init__(self, defaults: SystemDefaults):
        self.defaults = defaults

    @cached_property
    def storage(self):
        from .store import Storage
        storage = Storage.from_config(self.defaults)
        storage.create_missing_tables()      # as each SOGo process does on its first request
        storage.profiles.cache = self.cache
        return storage

    @cached_property
    def cache(self):
        from .cache import make_cache
        return make_cache(self.defaults)

    @cached_property
    def directory(self):
        from .auth.directory import UserDirectory
        return UserDirectory.from_config(self.defaults, self.cache)

    @cached_property
    def sessions(self):
        from .web.session import SessionManager
        return SessionManager(self.storage.sessions, self.cache)

    @cached_property
    def request_limiter(self):
        from .http.ratelimit import RequestLimiter
        return RequestLimiter.from_config(self.defaults, self.cache)

    @cached_property
    def trusted_proxies(self) -> frozenset[str]:
        return frozenset(self.defaults.list("SOGodTrustedProxies") or ())

    @cached_property
    def max_upload_bytes(self) -> int | None:
        kb = self.defaults.int("WOMaxUploadSize")
        return kb * 1024 if kb > 0 else None
