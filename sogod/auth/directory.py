"""All configured user sources, tried in order, with the verified-credential cache."""

from __future__ import annotations

import dataclasses
import json

from ..server.logs import get_logger, quoted_name
from . import current
from .credcache import CredentialCache
from .failedlogins import FailedLogins
from .policy import LoginOutcome, PolicyError, PolicyRefused
from .sources import SourceError, UserSource, make_source
from .user import User

log = get_logger("auth")

USER_PREFIX = "sogod:user:"
EMAIL_PREFIX = "sogod:email:"
GROUPS_PREFIX = "sogod:groups:"


class UserDirectory:
    def __init__(self, sources: list[UserSource], cache, *, domain_based_uid: bool = False,
                 visibility=None, failed_logins: FailedLogins | None = None):
        self.sources = sources
        self.cache = cache
        self.credentials = CredentialCache(cache)
        self.failed_logins = failed_logins or FailedLogins(cache, 0, 0, 0)
        # SOGoEnableDomainBasedUID: a user of a domain's source is ``uid@domain`` (guide §5.15).
        self.domain_based_uid = domain_based_uid
        self.visibility = visibility or ()

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
        return cls(sources, cache, domain_based_uid=bool(defaults.bool("SOGoEnableDomainBasedUID")),
                   visibility=defaults.get("SOGoDomainsVisibility"),
                   failed_logins=FailedLogins.from_config(defaults, cache))

    # -- domains (guide §5.15) -------------------------------------------
    def _domains(self) -> set[str]:
        return {s.source_domain.lower() for s in self.sources if getattr(s, "source_domain", None)}

    def _split(self, name: str) -> tuple[str, str | None]:
        """``(local, domain)`` for ``local@domain`` when domain-based UIDs are on and
        ``domain`` is a configured domain; else ``(name, None)``."""
        if self.domain_based_uid and "@" in name:
            local, _, domain = name.rpartition("@")
            if local and domain.lower() in self._domains():
                return local, domain.lower()
        return name, None

    def _sources_for(self, domain: str | None) -> list[UserSource]:
        """The sources a name of ``domain`` is looked up in: that domain's and the top-level ones."""
        if domain is None:
            return list(self.sources)
        return [s for s in self.sources
                if not getattr(s, "source_domain", None) or s.source_domain.lower() == domain]

    def _qualified(self, source: UserSource, user: User | None) -> User | None:
        """``user`` as the rest of sogod knows it: with its source's domain, and
        named ``uid@domain`` under SOGoEnableDomainBasedUID."""
        domain = getattr(source, "source_domain", None)
        if user is None or not domain:
            return user
        changes = {}
        if not user.domain:
            changes["domain"] = domain.lower()
        if self.domain_based_uid and "@" not in user.uid:
            changes["uid"] = f"{user.uid}@{domain.lower()}"
        return dataclasses.replace(user, **changes) if changes else user

    def domain_of(self, user: User | None) -> str | None:
        """The user's domain: its own, else its source's; None for a top-level source."""
        if user is None:
            return None
        if user.domain:
            return user.domain.lower()
        domain = getattr(self.source(user.source_id), "source_domain", None)
        return domain.lower() if domain else None

    def visible_domains(self, domain: str | None) -> set[str]:
        """``domain`` and the domains SOGoDomainsVisibility groups with it."""
        if not domain:
            return set()
        visible = {domain}
        for group in self.visibility:
            members = {str(d).lower() for d in group} if isinstance(group, (list, tuple)) else set()
            if domain in members:
                visible |= members
        return visible

    def can_see(self, viewer: User | None, other: User | None) -> bool:
        """Whether ``viewer`` may see ``other``: same domain, a domain made visible,
        or either of them in a top-level source."""
        mine, theirs = self.domain_of(viewer), self.domain_of(other)
        return not mine or not theirs or theirs in self.visible_domains(mine)

    def authenticate(self, login: str, password: str) -> User | None:
        """The user for these credentials, or None (wrong, or refused by a password
        policy). Raises SourceError when no source could answer."""
        outcome = self.login(login, password)
        return outcome.user if outcome.error == PolicyError.NO_ERROR else None

    def login(self, login: str, password: str) -> LoginOutcome:
        """What a login with these credentials comes to: the user, or why not (the
        source's password policy), with the expiry warning and grace logins left.
        Raises SourceError when no source could answer."""
        if not login or not password:
            return LoginOutcome(None)
        if self.failed_logins.blocked(login):
            log.warning("login '%s' refused: too many failed attempts", quoted_name(login))
            return LoginOutcome(None, PolicyError.ACCOUNT_LOCKED)
        outcome = self._login(login, password)
        if outcome.user is None:
            self.failed_logins.failed(login)
        return outcome

    def _login(self, login: str, password: str) -> LoginOutcome:
        user = self.credentials.check(login, password)
        if user is not None and self._still_allowed(login, user):
            current.act_as(user, password)
            return LoginOutcome(user)
        failures = 0
        local, domain = self._split(login)
        candidates = [s for s in self._sources_for(domain) if s.can_authenticate]
        for source in candidates:
            name = local if getattr(source, "source_domain", None) else login
            try:
                user = self._qualified(source, source.authenticate(name, password))
            except PolicyRefused as exc:
                self.credentials.forget(login)
                return LoginOutcome(None, exc.error)
            except SourceError as exc:
                failures += 1
                log.error("%s", exc)
                continue
            if user is not None:
                if not _policy_pending(user):
                    self.credentials.remember(login, password, user)
                current.act_as(user, password)
                return LoginOutcome(user, expire=_int(user.attributes.get("passwordPolicy.expiresIn")),
                                    grace=_int(user.attributes.get("passwordPolicy.graceLogins")))
        if any(getattr(s, "password_policy", False) for s in candidates):
            # Possibly refused by the password policy (expired, must change): no
            # entry cached before may serve this login any more.
            self.credentials.forget(login)
        if candidates and failures == len(candidates):
            raise SourceError("no user source could be reached")
        return LoginOutcome(None)

    def change_password(self, user: User, new_password: str, logins=()) -> None:
        """Set ``user``'s password as the administrator (sogo-tool) and drop the
        cached credentials of its uid and of ``logins`` (other names it logs in with)."""
        source = self.source(user.source_id)
        if source is None:
            raise SourceError(f"no source {user.source_id!r}")
        source.change_password(self.local_uid(source, user.uid), new_password)
        for login in {user.uid, self.local_uid(source, user.uid), *logins}:
            self.credentials.forget(login)

    def change_own_password(self, login: str, old_password: str, new_password: str) -> User:
        """A user's own change (web UI): the current password must be right; a password
        the policy wants changed (changeAfterReset) may be. Raises PolicyRefused with
        the reason (wrong password, refused by the policy), SourceError on an outage."""
        if not new_password:
            raise PolicyRefused(PolicyError.INSUFFICIENT_PASSWORD_QUALITY, "empty password")
        if self.failed_logins.blocked(login):       # no password oracle past the throttle
            raise PolicyRefused(PolicyError.ACCOUNT_LOCKED, "too many failed attempts")
        local, domain = self._split(login)
        for source in [s for s in self._sources_for(domain) if s.can_authenticate]:
            name = local if getattr(source, "source_domain", None) else login
            try:
                user = source.authenticate(name, old_password)
            except PolicyRefused as exc:
                if exc.error != PolicyError.CHANGE_AFTER_RESET:
                    raise
                user = source.lookup_login(name)        # the bind proved the password
            if user is None:
                continue
            user = self._qualified(source, user)
            source.change_password(self.local_uid(source, user.uid), new_password, old_password=old_password)
            for name in {login, user.uid}:
                self.credentials.forget(name)
            log.info("password changed for %r", user.uid)
            return user
        self.failed_logins.failed(login)
        raise PolicyRefused(PolicyError.PASSWORD_UNKNOWN, "wrong login or password")

    def local_uid(self, source: UserSource, uid: str) -> str:
        """``uid`` as ``source`` knows it (without the domain of domain-based UIDs)."""
        if self.domain_based_uid and getattr(source, "source_domain", None):
            return self._split(uid)[0]
        return uid

    def _still_allowed(self, login: str, user: User) -> bool:
        """A cached credential serves only while the source's password policy would
        still let the user bind; else it is dropped and the source asked again."""
        source = self.source(user.source_id)
        if not getattr(source, "password_policy", False):
            return True
        local = self._split(user.uid)[0] if getattr(source, "source_domain", None) else user.uid
        try:
            reason = source.policy_blocks(local)
        except SourceError as exc:
            log.error("%s", exc)
            reason = "unverifiable"
        if reason is None:
            return True
        log.info("cached credential of '%s' dropped: %s", quoted_name(login), reason)
        self.credentials.forget(login)
        return False

    def _shareable(self, source_id: str) -> bool:
        """Whether entries of this source may be cached for everybody: not when the
        source reads as the logged-in user (bindAsCurrentUser), whose rights differ."""
        return not getattr(self.source(source_id), "bind_as_current_user", False)

    def lookup(self, uid: str) -> User | None:
        cached = self.cache.get(USER_PREFIX + uid.lower())
        if cached:
            try:
                user = User.from_json(json.loads(cached))
                if self._shareable(user.source_id):
                    return user
            except (ValueError, KeyError):
                pass
        local, domain = self._split(uid)
        for source in self._sources_for(domain):
            name = local if getattr(source, "source_domain", None) else uid
            try:
                user = self._qualified(source, source.lookup(name))
            except SourceError as exc:
                log.error("%s", exc)
                continue
            if user is not None and self.domain_based_uid and getattr(source, "source_domain", None) \
                    and user.uid.lower() != uid.lower():
                continue        # a domain's user asked for without (or with another) domain
            if user is not None:
                if self._shareable(source.id):
                    self.cache.set(USER_PREFIX + uid.lower(), json.dumps(user.to_json()))
                return user
        return None

    def lookup_login(self, login: str) -> User | None:
        """The user who logs in as ``login`` (any login field of a source that
        authenticates), without a password: for a front end that authenticated
        the user itself (SOGoTrustProxyAuthentication)."""
        local, domain = self._split(login)
        for source in [s for s in self._sources_for(domain) if s.can_authenticate]:
            name = local if getattr(source, "source_domain", None) else login
            try:
                user = self._qualified(source, source.lookup_login(name))
            except SourceError as exc:
                log.error("%s", exc)
                continue
            if user is not None:
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
                user = self._qualified(source, user)
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
                user = self._qualified(source, finder(address))
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
        """The groups ``uid`` belongs to (LDAP sources; SQL sources have none); under
        domain-based UIDs both ``group`` and ``group@domain`` name a group of the domain."""
        if not self._has_ldap():
            return []
        key = GROUPS_PREFIX + uid.lower()
        shareable = all(self._shareable(s.id) for s in self.sources)
        cached = self.cache.get(key) if shareable else None
        if cached:
            try:
                return list(json.loads(cached))
            except ValueError:
                pass
        from .ldap import groups_of
        local, domain = self._split(uid)
        found = groups_of(self._sources_for(domain), local if domain else uid)
        result = sorted(set(found) | {f"{g}@{domain}" for g in found if domain and "@" not in g})
        if shareable:       # memberships change rarely; SOGoCacheCleanupInterval bounds the delay
            self.cache.set(key, json.dumps(result))
        return result

    def members(self, group_uid: str) -> list[str] | None:
        """UIDs of the members of a group, or None when no source knows it as a group
        (qualified ``uid@domain`` when the group is a domain's, under domain-based UIDs)."""
        if not self._has_ldap():
            return None
        from .ldap import members
        local, domain = self._split(group_uid)

        def name(source, uid):          # a member of a domain's source is uid@domain
            member_domain = getattr(source, "source_domain", None)
            if self.domain_based_uid and member_domain and "@" not in uid:
                return f"{uid}@{member_domain.lower()}"
            return uid
        return members(self.sources, local if domain else group_uid,
                       among=self._sources_for(domain), name=name)

    def source(self, source_id: str) -> UserSource | None:
        return next((s for s in self.sources if s.id == source_id), None)


def _policy_pending(user: User) -> bool:
    """The source's password policy spoke at this login (grace logins, expiry warning):
    such a login is not cached, so the next one asks the source again."""
    return any(key.startswith("passwordPolicy.") for key in user.attributes)


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1
