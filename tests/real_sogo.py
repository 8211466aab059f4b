"""The real SOGo 5.8 (Debian package ``sogo``) as a test fixture.

``real_sogo`` (session scope) starts ``/usr/sbin/sogod`` as the ``sogo`` user
on a fresh PostgreSQL database from ``postgresql_server`` (one table set per
folder), with a SQL user source ``sogo_users`` and the session's memcached;
``real_sogo_combined`` does the same with OCSStoreURL, OCSAclURL and
OCSCacheFolderURL set (the nine-table mode). Under pytest-xdist every worker
starts its own instances, each in its own directory and on its own port.
A missing SOGo FAILS the tests; it never skips.

SOGo always reads /etc/sogo/debconf.conf and /etc/sogo/sogo.conf, then lets
the GNUstep user defaults of the ``sogod`` domain override them key by key
(``SOGoSystemDefaults +prepareUserDefaults``). So each instance writes its
configuration as ``<dir>/defaults/sogod.plist`` and points GNUstep there with
``GNUSTEP_CONFIG_FILE=<dir>/GNUstep.conf`` (a copy of /etc/GNUstep/GNUstep.conf
with ``GNUSTEP_USER_DEFAULTS_DIR=<dir>/defaults``); neither ``HOME`` nor a
``GNUSTEP_USER_DEFAULTS_DIR`` environment variable alone moves it. ``sogo-tool``
run with the same environment (:meth:`RealSOGo.sogo_tool`) reads the same
settings. Keys the file leaves out still come from /etc/sogo/sogo.conf, so
:data:`BASE_CONFIG` sets every one these tests depend on.

A :class:`RealSOGo` has ``.url``, ``.database`` (a ``tests.services.Database``),
``.config`` (the dict written to ``.config_path``), ``.new_user()`` ->
``(uid, password)`` (a fresh row in ``sogo_users``, never used before),
``.request(method, path, user=…, …)``, ``.web_login(user)`` -> a ``requests.Session``
for the web UI's JSON calls, ``.sogo_tool(*args)`` and ``.log_tail()``.
SOGo's workers answer one request per connection and never send
``100 Continue``: every request goes on a new connection, without ``Expect``.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import pwd
import signal
import subprocess
import time
from functools import partial
from pathlib import Path

import pytest
import requests

from sogod.config import plist
from tests.services import Service, _service
from tests.sogod_env import children_of

SOGOD = "/usr/sbin/sogod"
SOGO_TOOL = "/usr/sbin/sogo-tool"
SOGO_USER = "sogo"
GNUSTEP_CONF = Path("/etc/GNUstep/GNUstep.conf")
PASSWORD = "secret"

#: keys that /etc/sogo/sogo.conf might set and the tests must not inherit
BASE_CONFIG = {
    "SOGoLanguage": "English",
    "SOGoTimeZone": "UTC",
    "SOGoMailDomain": "example.test",
    "SOGoEnableEMailAlarms": "NO",
    "SOGoAppointmentSendEMailNotifications": "NO",
    "SOGoACLsSendEMailNotifications": "NO",
    "SOGoFoldersSendEMailNotifications": "NO",
    "SOGoCalendarDAVAccessEnabled": "YES",
    "SOGoAddressBookDAVAccessEnabled": "YES",
    "SOGoPasswordChangeEnabled": "NO",
    "SOGoMaximumFailedLoginCount": "0",
    "SOGoMaximumRequestCount": "0",
    "WOWorkersCount": "1",
}

USERS_TABLE = """
CREATE TABLE sogo_users (
    c_uid varchar(255) PRIMARY KEY,
    c_name varchar(255) NOT NULL,
    c_password varchar(255) NOT NULL,
    c_cn varchar(255),
    mail varchar(255)
)
"""

_user_numbers = itertools.count(1)


def _require_sogo() -> pwd.struct_passwd:
    for path in (SOGOD, SOGO_TOOL):
        if not os.access(path, os.X_OK):
            pytest.fail(f"real SOGo is not installed ({path} missing): install the Debian package "
                        "'sogo' (apt-get install sogo; make test-deps)", pytrace=False)
    try:
        return pwd.getpwnam(SOGO_USER)
    except KeyError:
        pytest.fail(f"user {SOGO_USER!r} missing: the Debian package 'sogo' creates it; "
                    "reinstall it", pytrace=False)


def _gnustep_conf(defaults_dir: Path) -> str:
    """/etc/GNUstep/GNUstep.conf with the user defaults moved to ``defaults_dir``."""
    lines = GNUSTEP_CONF.read_text().splitlines() if GNUSTEP_CONF.exists() else []
    kept = [line for line in lines
            if not line.startswith(("GNUSTEP_USER_DEFAULTS_DIR=", "GNUSTEP_USER_CONFIG_FILE="))]
    kept += [f"GNUSTEP_USER_DEFAULTS_DIR={defaults_dir}",
             f"GNUSTEP_USER_CONFIG_FILE={defaults_dir.parent}/no-user-config"]
    return "\n".join(kept) + "\n"


class RealSOGo(Service):
    """One real sogod, its directory, configuration and database."""

    name = "real-sogo"

    def __init__(self, database, memcached_address: str, *, combined: bool = False):
        account = _require_sogo()
        super().__init__()                  # self.base: a fresh directory in /tmp
        if self.root:
            self.uid, self.gid = account.pw_uid, account.pw_gid
        self.database = database
        self.combined = combined
        self.defaults_dir = self.base / "defaults"
        self.defaults_dir.mkdir()
        self.config_path = self.defaults_dir / "sogod.plist"
        self.sogo_log = self.base / "sogo.log"         # -WOLogFile; self.log_path: stdout/stderr
        self.config = dict(
            BASE_CONFIG,
            **database.sogo_config(combined=combined),
            SOGoMemcachedHost=memcached_address,
            SOGoUserSources=[{
                "type": "sql", "id": "users", "viewURL": database.url("sogo_users"),
                "canAuthenticate": "YES", "isAddressBook": "NO",
                "userPasswordAlgorithm": "md5",
            }],
        )
        database.execute_script(USERS_TABLE)
        self.config_path.write_text(plist.dumps(self.config) + "\n")
        (self.base / "GNUstep.conf").write_text(_gnustep_conf(self.defaults_dir))
        if self.root:
            for item in [self.base, *self.base.rglob("*")]:
                os.chown(item, self.uid, self.gid)

    # --- process ----------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def env(self) -> dict:
        return {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": str(self.base), "LANG": "C.UTF-8",
                "GNUSTEP_CONFIG_FILE": str(self.base / "GNUstep.conf")}

    def _popen_args(self) -> dict:
        return dict(super()._popen_args(), env=self.env())

    def launch(self) -> None:
        self.spawn([SOGOD, "-WONoDetach", "YES", "-WOLogFile", str(self.sogo_log),
                    "-WOPidFile", str(self.base / "sogo.pid"), "-WOPort", f"{self.host}:{self.port}",
                    "-WOWorkersCount", "1"])

    def _sogo_log_text(self) -> str:
        try:
            return self.sogo_log.read_text(errors="replace")
        except OSError:
            return ""

    def ready(self) -> bool:
        # Our watchdog listens (not some other server on a port taken meanwhile),
        # and its worker, which comes up after, answers.
        if f"listening on {self.host}:{self.port}" not in self._sogo_log_text():
            return False
        try:
            return requests.request("OPTIONS", self.url + "/SOGo/dav/", timeout=5).status_code == 401
        except requests.RequestException:
            return False

    def start(self) -> None:
        """Service.start, again on another port when SOGo could not listen on its own
        (it says "unable to listen on specified port", not "in use", and exits)."""
        for _attempt in range(3):
            try:
                super().start()
                return
            except pytest.fail.Exception:
                if "unable to listen" not in self._sogo_log_text():
                    raise
                self.sogo_log.unlink(missing_ok=True)
        pytest.fail(f"real SOGo: no free port after 3 attempts:\n{self.log_tail()}", pytrace=False)

    def stop(self, cleanup: bool = True) -> None:
        """SIGTERM to the watchdog, then SIGKILL to its workers: they take ~10 s
        to notice the watchdog's SIGTERM; the watchdog exits once they are gone."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            time.sleep(0.2)
            for pid in children_of(self.proc.pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        super().stop(cleanup)

    def log_tail(self, lines: int = 40) -> str:
        parts = []
        for path in (self.log_path, self.sogo_log):
            try:
                text = path.read_text(errors="replace")
            except OSError:
                continue
            parts.append(f"--- {path.name}\n" + "\n".join(text.splitlines()[-lines:]))
        return "\n".join(parts) or "(no log)"

    # --- users and requests -------------------------------------------------------

    def new_user(self, password: str = PASSWORD) -> tuple[str, str]:
        """A fresh SQL user (c_password: hex MD5), unique across the test process."""
        uid = f"rsogo{os.getpid()}x{next(_user_numbers)}"
        digest = hashlib.md5(password.encode()).hexdigest()
        self.database.execute_script(
            "INSERT INTO sogo_users (c_uid, c_name, c_password, c_cn, mail) VALUES "
            f"('{uid}', '{uid}', '{digest}', 'User {uid}', '{uid}@example.test')")
        return uid, password

    def request(self, method: str, path: str, user: tuple[str, str] | None = None, *,
                body: str | bytes | None = None, headers: dict | None = None,
                timeout: float = 30) -> requests.Response:
        """One request on its own connection; ``str`` bodies are sent as UTF-8."""
        if isinstance(body, str):
            body = body.encode()
        return requests.request(method, self.url + path, data=body, auth=user,
                                headers={"Connection": "close", **(headers or {})},
                                timeout=timeout, allow_redirects=False)

    def web_login(self, user: tuple[str, str]) -> requests.Session:
        """A session of SOGo's web UI (``POST /SOGo/connect``), ready for its JSON calls:
        cookies set, ``X-XSRF-TOKEN`` sent, one connection per request."""
        session = requests.Session()
        session.headers["Connection"] = "close"
        response = session.post(self.url + "/SOGo/connect", timeout=30,
                                json={"userName": user[0], "password": user[1], "rememberLogin": 0})
        if response.status_code != 200:
            raise AssertionError(f"web login of {user[0]} failed: {response.status_code} "
                                 f"{response.text}\n{self.log_tail()}")
        session.headers["X-XSRF-TOKEN"] = response.cookies["XSRF-TOKEN"]
        return session

    def sogo_tool(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """``sogo-tool args…`` as the sogo user, with this instance's configuration."""
        result = subprocess.run([SOGO_TOOL, *args], capture_output=True, text=True, timeout=60,
                                **self._popen_args())
        if check and result.returncode != 0:
            raise AssertionError(f"sogo-tool {' '.join(args)} failed ({result.returncode}):\n"
                                 f"{result.stdout}{result.stderr}")
        return result


def _real_sogo(postgresql_server, memcached_server, combined: bool):
    database = postgresql_server.new_database("realsogo")
    return _service(partial(RealSOGo, database, memcached_server.address, combined=combined))


@pytest.fixture(scope="session")
def real_sogo(postgresql_server, memcached_server):
    """Real SOGo on PostgreSQL, one table set per folder (SOGo's default)."""
    yield from _real_sogo(postgresql_server, memcached_server, combined=False)


@pytest.fixture(scope="session")
def real_sogo_combined(postgresql_server, memcached_server):
    """Real SOGo on PostgreSQL with OCSStoreURL/OCSAclURL/OCSCacheFolderURL."""
    yield from _real_sogo(postgresql_server, memcached_server, combined=True)
