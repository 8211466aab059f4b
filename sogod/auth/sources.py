"""The user-source interface, chosen by the ``type`` key of a SOGoUserSources entry."""

from __future__ import annotations

from typing import Callable

from .user import User


class SourceError(Exception):
    """A source cannot answer (unreachable, misconfigured): not a wrong password."""


class StaleCredentials(Exception):
    """The logged-in user's credentials stopped working during the request (the
    password changed since it was cached): answer 401, not an outage."""


class UserSource:
    """What every source (sql, ldap) offers. Small on purpose."""

    id: str
    can_authenticate: bool
    is_address_book: bool
    display_name: str

    def authenticate(self, login: str, password: str) -> User | None:
        """The user when login and password match; None otherwise. Raises
        policy.PolicyRefused when the password is right but the source's policy
        refuses the login (expired, locked, must change it first)."""
        raise NotImplementedError

    def lookup(self, uid: str) -> User | None:
        """The user whose uid is ``uid``."""
        raise NotImplementedError

    def lookup_login(self, login: str) -> User | None:
        """The user who logs in with ``login`` (any of the login fields)."""
        raise NotImplementedError

    def search(self, text: str, limit: int = 50) -> list[User]:
        """Users whose uid, name or e-mail contains ``text`` (case-insensitive); all when empty."""
        return []

    def change_password(self, uid: str, new_password: str, old_password: str | None = None) -> None:
        """Set ``uid``'s password; ``old_password`` when the user asks (already
        verified by the directory), None when the administrator does."""
        raise SourceError(f"source {self.id!r} cannot change passwords")

    # -- address-book side (isAddressBook = YES) ---------------------------
    # Entries are plain dicts of the source's attributes (lower-cased names,
    # no password), plus ``c_name``: the entry's id in the address book.
    list_requires_dot: bool = True
    mapping: dict = {}
    contact_info_attribute: str | None = None
    query_limit: int | None = None

    def search_entries(self, text: str | None, limit: int | None = None) -> list[dict]:
        """Entries whose searched fields contain ``text`` (case-insensitive); every entry when None."""
        raise SourceError(f"source {self.id!r} cannot be searched")

    def entry(self, name: str) -> dict | None:
        """The entry whose ``c_name`` is ``name``."""
        raise SourceError(f"source {self.id!r} cannot be searched")


SOURCE_TYPES: dict[str, Callable[..., UserSource]] = {}


def register(type_name: str):
    def decorate(cls):
        SOURCE_TYPES[type_name] = cls
        return cls
    return decorate


def make_source(entry: dict, defaults) -> UserSource:
    kind = str(entry.get("type", "")).lower()
    if kind == "sql":
        from . import sql  # noqa: F401  (registers itself)
    elif kind == "ldap":
        try:
            from . import ldap  # noqa: F401  (registers itself)
        except ImportError:
            raise SourceError("SOGoUserSources entry of type ldap: python-ldap is not installed "
                              "(pip install 'sogod[ldap]', which needs libldap2-dev and libsasl2-dev)") from None
    factory = SOURCE_TYPES.get(kind)
    if factory is None:
        raise SourceError(f"SOGoUserSources entry {entry.get('id')!r}: type {kind!r} is not supported")
    return factory(entry, defaults)
