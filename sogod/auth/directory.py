"""All configured user sources, tried in order, with the verified-credential cache."""

from __future__ import annotations

import json

from ..server.logs import get_logger
from .credcache import CredentialCache
from .sources import SourceError, UserSource, make_source
from .user import User

log = get_logger("auth")

USER_PREFIX = "sogod:user:"


class UserDirectory:
    def __init__(self, sources: list[UserSource], cache):
        self.sources = sources
        self.cache = cache
        self.credentials = CredentialCache(cache)

    @classmethod
    def from_config(cls, defaults, cache) -> "UserDirectory":
        entries = list(defaults.get("SOGoUserSources") or [])
        domains = defaults.get("domains") or {}
        for domain in domains.values() if isinstance(domains, dict) else ():
            entries.extend((domain or {}).get("SOGoUserSources") or [])
        seen, sources = set(), []
        for entry in entries:
            source = make_source(entry, defaults)
            if source.id in seen:
                raise SourceError(f"two SOGoUserSources entries have the id {source.id!r}")
            seen.add(source.id)
            sources.append(source)
        return cls(sources, cache)

    def authenticate(self, login: str, password: str) -> User | None:
        """The user for these credentials, or None. Raises SourceError when no source could answer."""
        if not login or not password:
            return None
        user = self.credentials.check(login, password)
        if user is not None:
            return user
        failures = 0
        candidates = [s for s in self.sources if s.can_authenticate]
        for source in candidates:
            try:
                user = source.authenticate(login, password)
            except SourceError as exc:
                failures += 1
                log.error("%s", exc)
                continue
            if user is not None:
                self.credentials.remember(login, password, user)
                return user
        if candidates and failures == len(candidates):
            raise SourceError("no user source could be reached")
        return None

    def lookup(self, uid: str) -> User | None:
        cached = self.cache.get(USER_PREFIX + uid.lower())
        if cached:
            try:
                return User.from_json(json.loads(cached))
            except (ValueError, KeyError):
                pass
        for source in self.sources:
            try:
                user = source.lookup(uid)
            except SourceError as exc:
                log.error("%s", exc)
                continue
            if user is not None:
                self.cache.set(USER_PREFIX + uid.lower(), json.dumps(user.to_json()))
                return user
        return None

    def source(self, source_id: str) -> UserSource | None:
        return next((s for s in self.sources if s.id == source_id), None)
