"""A throwaway OpenLDAP ``slapd`` on loopback for the tests (Debian ``slapd``).

Session fixture ``ldap_server`` (:class:`LDAPServer`), one per pytest process,
loaded from ``tests/fixtures/ldap/``:

``dc=example,dc=com``
    ``ou=users``: alice, bob (sambaSamAccount), carol (accountStatus inactive),
    ``ou=sub``: deep, ``ou=private``: hidden (readable by users, not by the bind account);
    ``ou=resources``: room1 (calendarresource, kind location, multipleBookings 2),
    projector (calendarresource, no kind);
    ``ou=groups``: staff (groupOfNames: alice, bob, devs), devs
    (groupOfUniqueNames: deep), unix (posixGroup: carol, alice), admins (``group``:
    bob), loop1/loop2 (groupOfNames containing each other, and bob);
    ``cn=sogo,ou=services`` (bind account, password ``sogo-pw``, may write passwords).
``dc=example,dc=org``
    ``ou=users``: olga, alice (another one); ``cn=sogo,ou=services`` (``sogo-org-pw``).

User passwords are ``<uid>-pw`` (``alice-org-pw`` for the second alice).
``.url`` is ``ldap://127.0.0.1:PORT``; ``.admin(suffix)`` an admin connection;
``.stop_slapd()`` / ``.start_slapd()`` stop and start it again on the same port
(the data stays); ``.reset()`` reloads the directory from the LDIF files.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from tests.services import START_TIMEOUT, Service, _require

FIXTURES = Path(__file__).parent / "fixtures" / "ldap"
SUFFIXES = {"dc=example,dc=com": "example.com", "dc=example,dc=org": "example.org"}
ADMIN_PASSWORD = "admin-pw"
BIND_DN = "cn=sogo,ou=services,dc=example,dc=com"
BIND_PASSWORD = "sogo-pw"


class LDAPServer(Service):
    name = "slapd"

    def __init__(self):
        super().__init__()
        self.slapd = _require(shutil.which("slapd") or "/usr/sbin/slapd", "slapd", "slapd")
        self.slapadd = _require(shutil.which("slapadd") or "/usr/sbin/slapadd", "slapadd", "slapd")
        self.conf = self.base / "slapd.conf"
        fixtures = self.base / "fixtures"
        shutil.copytree(FIXTURES, fixtures)
        self.conf.write_text((fixtures / "slapd.conf.in").read_text()
                             .replace("@BASE@", str(self.base)).replace("@FIXTURES@", str(fixtures)))
        self._chown(self.base)

    def _chown(self, path: Path) -> None:
        if self.root:
            import os
            for item in [path, *path.rglob("*")]:
                os.chown(item, self.uid, self.gid)

    @property
    def url(self) -> str:
        return f"ldap://{self.host}:{self.port}"

    def initialize(self) -> None:
        self._load()

    def _load(self) -> None:
        for name in SUFFIXES.values():
            directory = self.base / name
            shutil.rmtree(directory, ignore_errors=True)
            directory.mkdir()
            self._chown(directory)
        for suffix, name in SUFFIXES.items():
            self.run([self.slapadd, "-q", "-f", str(self.conf), "-b", suffix,
                      "-l", str(self.base / "fixtures" / f"{name}.ldif")], f"slapadd {name}")

    def launch(self) -> None:
        self.spawn([self.slapd, "-d", "0", "-f", str(self.conf), "-h", f"{self.url}/"])

    def ready(self) -> bool:
        import ldap
        try:
            conn = ldap.initialize(self.url)
            conn.set_option(ldap.OPT_NETWORK_TIMEOUT, 1.0)
            conn.simple_bind_s(BIND_DN, BIND_PASSWORD)
            conn.unbind_s()
            return True
        except ldap.LDAPError:
            return False

    def admin(self, suffix: str = "dc=example,dc=com"):
        import ldap
        conn = ldap.initialize(self.url)
        conn.simple_bind_s(f"cn=admin,{suffix}", ADMIN_PASSWORD)
        return conn

    def stop_slapd(self) -> None:
        self.stop(cleanup=False)

    def start_slapd(self) -> None:
        """Start again on the same port (after :meth:`stop_slapd`)."""
        self.launch()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"slapd did not restart on port {self.port}:\n{self.log_tail()}", pytrace=False)
            if self.ready():
                return
            time.sleep(0.05)
        pytest.fail(f"slapd not ready after restart:\n{self.log_tail()}", pytrace=False)

    def reset(self) -> None:
        """Reload the directory from the LDIF files (after tests that write)."""
        self.stop_slapd()
        self._load()
        self.start_slapd()


@pytest.fixture(scope="session")
def ldap_server():
    server = LDAPServer()
    try:
        server.start()
        yield server
    finally:
        server.stop()


__all__ = ["LDAPServer", "ldap_server", "BIND_DN", "BIND_PASSWORD"]
