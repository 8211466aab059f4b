"""All configured user sources, tried in order, with the verified-credential cache."""

from __future__ import annotations

import json

from ..server.logs import get_logger
from .credcache import CredentialCache
from .sources import SourceError, UserSource, make_source
from .user import User

log = get_logger("auth")

USER_PREFIX = "sogod:user:"
EMAIL_PREFIX = "sogod:email:"


class UserDirectory:
    def __init__(self, sources: list[UserSource], cache):
        self.sources = sources
        self.cache = cache
        self.credentials = CredentialCache(cache)

    @classmethod
    def from_config(cls, defaults, cache) -> "UserDirectory":
        # (domain, entry): a source of ``domains = { <domain> = { SOGoUserSources = … } }``
        # belongs to that domain (``source_domain``); a top-level one to every domain (None).
        entries = [(None, entry) for entry in defaults.get("SOGoUserSources") or []]
        domains = defaults.get("domains") or {}
        for name, domain in domains.items() if isinstance(domains, dict) else ():
            entries.extend((str(name), entry) for entry in (domain or {}).get("SOGoUserSources") or [])
        seen, sources = set(), []
        for domain_name, entry in entries:
            source = make_source(entry, defaults)
            source.source_domain = domain_name
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

    def search(self, text: str, limit: int = 50) -> list[User]:
        """Users of every source matching ``text`` (see UserSource.search), at most ``limit``, by uid."""
        found: dict[str, User] = {}
        for source in self.sources:
            try:
                users = source.search(text, limit)
            except SourceError as exc:
                log.error("%s", exc)
                continue
            for user in users:
                found.setdefault(user.uid, user)
        return [found[uid] for uid in sorted(found)][:limit]

    def lookup_email(self, address: str) -> User | None:
        """The user one of whose addresses is ``address`` (``mailto:`` optional, any case)."""
        address = (address or "").strip()
        if address[:7].lower() == "mailto:":
            address = address[7:]
        address = address.strip().lower()
        if "@" not in address or len(address) > 320 or any(c.isspace() for c in address):
            return None
        uid = self.cache.get(EMAIL_PREFIX + address)
        if uid:
            user = self.lookup(uid.decode() if isinstance(uid, bytes) else str(uid))
            if user is not None and address in {e.lower() for e in user.emails}:
                return user
        for source in self.sources:
            finder = getattr(source, "lookup_email", None)
            if finder is None:
                continue
            try:
                user = finder(address)
            except SourceError as exc:
                log.error("%s", exc)
                continue
            if user is not None:
                self.cache.set(EMAIL_PREFIX + address, user.uid)
                return user
        return None

    def _has_ldap(self) -> bool:
        # python-ldap is optional (the `ldap` extra): only imported when a source needs it.
        return any(type(s).__name__ == "LDAPSource" for s in self.sources)

    def groups_of(self, uid: str) -> list[str]:
        """The groups ``uid`` belongs to (LDAP sources; SQL sources have none)."""
        if not self._has_ldap():
            return []
        from .ldap import groups_of
        return groups_of(self.sources, uid)

    def members(self, group_uid: str) -> list[str] | None:
        """UIDs of the members of a group, or None when no source knows it as a group."""
        if not self._has_ldap():
            return None
        from .ldap import members
        return members(self.sources, group_uid)

    def source(self, source_id: str) -> UserSource | None:
        return next((s for s in self.sources if s.id == source_id), None)
