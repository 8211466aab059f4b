"""The one connection of an LDAP source in this process.

Every operation says whom it runs for (a :class:`Bind`: the bind account or,
under ``bindAsCurrentUser``, the logged-in user); the connection is rebound
whenever that differs from its last bind, so one user's bind never serves an
operation done for nobody or for someone else.  A server that is down,
restarted or silent (bounded by ``SOGoLDAPQueryTimeout``) is retried once on a
fresh connection, then reported as SourceError; the next call reconnects.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass, field

import ldap

from ..server.logs import get_logger
from .sources import SourceError, StaleCredentials

log = get_logger("auth.ldap")

CONNECT_TIMEOUT = 10.0          # seconds, when SOGoLDAPQueryTimeout is 0 (unlimited)
_DOWN = (ldap.SERVER_DOWN, ldap.TIMEOUT, ldap.CONNECT_ERROR, ldap.UNAVAILABLE, ldap.BUSY)
_REFUSED = (ldap.INVALID_CREDENTIALS, ldap.INVALID_DN_SYNTAX, ldap.UNWILLING_TO_PERFORM, ldap.NO_SUCH_OBJECT)


class UserBindRefused(StaleCredentials):
    """The directory refused the logged-in user's bind (password changed since the
    login): that user's operation fails; the source stays usable for everyone else."""


@dataclass(frozen=True)
class Bind:
    dn: str
    password: str = field(repr=False)
    user: bool = False          # the logged-in user's identity, not the bind account's

    @property
    def key(self) -> tuple[str, str]:
        return self.dn.lower(), hashlib.sha256(self.password.encode("utf-8", "replace")).hexdigest()


class _Connection:
    """The source's connection in this process; ``bound_as`` tracks the last bind (None: unknown)."""

    def __init__(self, conn, uri):
        self.conn, self.uri, self.pid = conn, uri, os.getpid()
        self.bound_as: str | None = None
        self._key: tuple[str, str] | None = None

    def is_bound(self, bind: Bind) -> bool:
        return self._key == bind.key

    def mark(self, bind: Bind | None) -> None:
        self.bound_as, self._key = (bind.dn, bind.key) if bind else (None, None)


class Connector:
    def __init__(self, name: str, uris: list[tuple[str, bool]], service: Bind, timeout: float | None):
        self.name, self.uris, self.service, self.timeout = name, uris, service, timeout
        self.lock = threading.RLock()
        self.connection: _Connection | None = None

    def _open(self) -> _Connection:
        errors = []
        for uri, starttls in self.uris:
            try:
                conn = ldap.initialize(uri)
                conn.protocol_version = ldap.VERSION3
                conn.set_option(ldap.OPT_REFERRALS, 0)
                conn.set_option(ldap.OPT_NETWORK_TIMEOUT, float(self.timeout or CONNECT_TIMEOUT))
                if self.timeout:
                    conn.set_option(ldap.OPT_TIMEOUT, float(self.timeout))
                    conn.timeout = float(self.timeout)
                if starttls:
                    conn.start_tls_s()
                connection = _Connection(conn, uri)
                self._bind(connection, self.service)    # also proves the server answers
                return connection
            except ldap.LDAPError as exc:
                errors.append(f"{uri}: {describe(exc)}")
        raise SourceError(f"LDAP source {self.name!r}: no server answered ({'; '.join(errors)})")

    def _bind(self, connection: _Connection, bind: Bind) -> None:
        connection.mark(None)               # unknown until the bind succeeds
        try:
            connection.conn.simple_bind_s(bind.dn, bind.password)
        except _REFUSED as exc:
            if bind.user:
                # Not an outage: the connection is merely left unbound for the next caller.
                log.warning("LDAP source %r: bind as %s refused: %s", self.name, bind.dn, describe(exc))
                raise UserBindRefused(f"LDAP source {self.name!r}: bind as {bind.dn!r} refused") from None
            self.drop()
            raise SourceError(f"LDAP source {self.name!r}: bindDN {bind.dn!r} refused") from None
        connection.mark(bind)

    def drop(self) -> None:
        if self.connection is not None:
            try:
                self.connection.conn.unbind_ext_s()
            except Exception:   # noqa: BLE001 (already gone)
                pass
        self.connection = None

    def forget_bind(self) -> None:
        """The connection's bind is no longer known (a user's bind just happened)."""
        with self.lock:
            if self.connection is not None:
                self.connection.mark(None)

    def run(self, operation, bind: Bind | None):
        """``operation(connection)`` bound as ``bind`` (None: the operation binds
        itself), retried once on a fresh connection when the server went away."""
        with self.lock:
            for attempt in (1, 2):
                if self.connection is None or self.connection.pid != os.getpid():
                    self.connection = None
                    self.connection = self._open()
                try:
                    if bind is not None and not self.connection.is_bound(bind):
                        self._bind(self.connection, bind)
                    return operation(self.connection)
                except _DOWN as exc:
                    self.drop()
                    if attempt == 2:
                        raise SourceError(f"LDAP source {self.name!r}: server unavailable: {describe(exc)}") from None
                    log.warning("LDAP source %r: %s; reconnecting", self.name, describe(exc))
                except ldap.INVALID_CREDENTIALS:
                    self.drop()
                    raise SourceError(f"LDAP source {self.name!r}: bind refused") from None


def describe(exc: Exception) -> str:
    info = exc.args[0] if exc.args and isinstance(exc.args[0], dict) else {}
    text = info.get("desc") or type(exc).__name__
    if info.get("info"):
        text += f" ({info['info']})"
    return text
