"""Real services on loopback for the tests: PostgreSQL, MariaDB, memcached.

Session-scoped fixtures start throwaway instances from the Debian binaries in a
temporary directory, on a free port, shared by every test of the pytest
process (under pytest-xdist each worker starts its own), and stop them at the
end. A missing binary FAILS the test with the package to install; it never
skips. As root the servers run as ``nobody``.

``postgresql_server`` / ``mariadb_server`` (:class:`DatabaseServer`)
    ``.host``, ``.port``, ``.user``/``.password`` (``sogo``/``sogo``),
    ``.url(dbname, table)`` -> SOGo URL ``postgresql://sogo:sogo@127.0.0.1:PORT/DB/TABLE``,
    ``.new_database()`` -> a fresh :class:`Database` (one per test),
    ``.connect(dbname, owner=False)`` -> DB-API connection (autocommit) as the superuser,
    or as ``sogo`` over TCP with ``owner=True``;
    ``.execute_script(dbname, sql)``, ``.log_tail()``.
``memcached_server`` (:class:`MemcachedServer`)
    ``.host``, ``.port``, ``.address`` (``127.0.0.1:PORT``, for SOGoMemcachedHost).
``any_database`` (function scope, parametrized sqlite / postgresql / mariadb)
    a fresh database of each kind: ``.url(table)``, ``.sogo_config(combined=…)``.
``sqlite_url`` (function scope)
    a :class:`SQLiteDatabase` in ``tmp_path``: ``sqlite_url("sogo_folder_info")``
    or ``.url(table)`` -> ``sqlite:///tmp/…/sogo.db/sogo_folder_info``.

A :class:`Database` has ``.name``, ``.scheme``, ``.url(table)``, ``.server``,
``.connect()`` / ``.execute_script(sql)`` (as the ``sogo`` user) and
``.sogo_config(combined=False)`` (the SOGo storage keys pointing at it).
"""

from __future__ import annotations

import ctypes
import glob
import itertools
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
PG_VERSION = "15"
RUN_USER = "nobody"            # unprivileged user the servers run as when we are root


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _require(path: str | None, what: str, package: str) -> str:
    if not path or not os.access(path, os.X_OK):
        pytest.fail(f"{what} not found ({path or 'not on PATH'}): install the Debian package "
                    f"{package!r} (make test-deps)", pytrace=False)
    return path


def _die_with_parent(sig: int):
    """preexec_fn: the server gets ``sig`` if the test process dies (runs after setuid)."""
    def preexec():
        ctypes.CDLL(None, use_errno=True).prctl(1, sig)  # PR_SET_PDEATHSIG
    return preexec


class Service:
    """A server process in its own temporary directory."""

    name = "service"
    stop_signal = signal.SIGTERM

    def __init__(self):
        self.root = os.geteuid() == 0
        self.base = Path(tempfile.mkdtemp(prefix=f"sogod-{self.name}-", dir="/tmp" if self.root else None))
        self.log_path = self.base / f"{self.name}.log"
        self.proc: subprocess.Popen | None = None
        self.host, self.port = "127.0.0.1", 0
        if self.root:
            pw = pwd.getpwnam(RUN_USER)
            self.uid, self.gid = pw.pw_uid, pw.pw_gid
            os.chown(self.base, self.uid, self.gid)
        else:
            self.uid = self.gid = None

    def _popen_args(self) -> dict:
        args = dict(stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent(self.stop_signal))
        if self.root:
            args.update(user=self.uid, group=self.gid, extra_groups=[])
        return args

    def run(self, argv: list[str], what: str) -> None:
        """Run a set-up command as the server user; fail with its output."""
        result = subprocess.run(argv, capture_output=True, text=True, cwd=self.base, timeout=120,
                                **self._popen_args())
        if result.returncode != 0:
            pytest.fail(f"{what} failed ({result.returncode}): {' '.join(argv)}\n"
                        f"{result.stdout[-2000:]}{result.stderr[-2000:]}", pytrace=False)

    def spawn(self, argv: list[str]) -> None:
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, cwd=self.base,
                                     **self._popen_args())
        log.close()

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def ready(self) -> bool:
        raise NotImplementedError

    def launch(self) -> None:
        raise NotImplementedError

    def initialize(self) -> None:
        """One-time set-up before the first launch (initdb …)."""

    def start(self) -> None:
        """Launch on a free port, retrying on a port taken meanwhile; wait until ready."""
        self.initialize()
        for _attempt in range(3):
            self.port = free_port()
            self.launch()
            deadline = time.monotonic() + START_TIMEOUT
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                if self.ready():
                    return
                time.sleep(0.05)
            state = "exited" if self.proc.poll() is not None else f"not ready after {START_TIMEOUT:.0f} s"
            tail = self.log_tail()
            self.stop(cleanup=False)
            if "in use" not in tail:
                pytest.fail(f"{self.name} {state} (port {self.port}); log {self.log_path}:\n{tail}",
                            pytrace=False)
        pytest.fail(f"{self.name}: no free port after 3 attempts:\n{self.log_tail()}", pytrace=False)

    def stop(self, cleanup: bool = True) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(self.stop_signal)
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if cleanup:
            shutil.rmtree(self.base, ignore_errors=True)


@dataclass
class Database:
    """One database on a test server."""

    server: DatabaseServer
    name: str

    @property
    def scheme(self) -> str:
        return self.server.scheme

    def url(self, table: str) -> str:
        return self.server.url(self.name, table)

    def connect(self):
        """A DB-API connection as the ``sogo`` user, over TCP (autocommit)."""
        return self.server.connect(self.name, owner=True)

    def execute_script(self, sql: str) -> None:
        """Run ``sql`` (several statements allowed) as the ``sogo`` user."""
        self.server.execute_script(self.name, sql, owner=True)

    def sogo_config(self, *, combined: bool = False, **extra) -> dict:
        """SOGo storage keys pointing at this database (default table names)."""
        return sogo_config(self.url, combined=combined, **extra)


class DatabaseServer(Service):
    scheme = "?"
    user, password = "sogo", "sogo"
    _names = itertools.count(1)

    def url(self, dbname: str, table: str) -> str:
        return f"{self.scheme}://{self.user}:{self.password}@{self.host}:{self.port}/{dbname}/{table}"

    def new_database(self, prefix: str = "t") -> Database:
        name = f"{prefix}{os.getpid()}_{next(self._names)}"
        self.create_database(name)
        return Database(self, name)

    def create_database(self, name: str) -> None:
        raise NotImplementedError

    def connect(self, dbname: str | None, owner: bool = False):
        """DB-API connection (autocommit): superuser on the socket, or ``sogo`` over TCP."""
        raise NotImplementedError

    def ready(self) -> bool:
        try:
            self.connect(None).close()
            return True
        except Exception:
            return False

    def execute_script(self, dbname: str | None, sql: str, owner: bool = False) -> None:
        conn = self.connect(dbname, owner)
        try:
            with conn.cursor() as cur:
                cur.execute(sql)
                while self.scheme == "mysql" and cur.nextset():   # errors of later statements
                    pass
        finally:
            conn.close()


class PostgresServer(DatabaseServer):
    name = "postgresql"
    scheme = "postgresql"
    stop_signal = signal.SIGINT           # fast shutdown
    admin = "postgres"

    def __init__(self):
        bindir = f"/usr/lib/postgresql/{PG_VERSION}/bin"
        if not os.path.isdir(bindir):
            found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
            bindir = os.path.dirname(found[-1]) if found else bindir
        self.initdb = _require(f"{bindir}/initdb", f"PostgreSQL {PG_VERSION} initdb", "postgresql")
        self.postgres = _require(f"{bindir}/postgres", f"PostgreSQL {PG_VERSION} server", "postgresql")
        super().__init__()
        self.data = self.base / "data"

    def initialize(self) -> None:
        pwfile = self.base / "pw"
        pwfile.write_text("postgres\n")
        if self.root:
            os.chown(pwfile, self.uid, self.gid)
        self.run([self.initdb, "-D", str(self.data), "-U", self.admin, "--pwfile", str(pwfile),
                  "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8",
                  "--locale=C", "--no-sync", "--no-instructions"], "initdb")

    def launch(self) -> None:
        self.spawn([self.postgres, "-D", str(self.data), "-k", str(self.base), "-h", self.host,
                    "-p", str(self.port), "-F", "-c", "synchronous_commit=off",
                    "-c", "full_page_writes=off", "-c", "max_connections=200",
                    "-c", "shared_buffers=16MB", "-c", "log_min_messages=warning"])

    def connect(self, dbname: str | None = "postgres", owner: bool = False):
        import psycopg2
        if owner:
            conn = psycopg2.connect(host=self.host, port=self.port, user=self.user,
                                    password=self.password, dbname=dbname, connect_timeout=2)
        else:
            conn = psycopg2.connect(host=str(self.base), port=self.port, user=self.admin,
                                    dbname=dbname or "postgres", connect_timeout=2)
        conn.autocommit = True
        return conn

    def start(self) -> None:
        super().start()
        self.execute_script("postgres", f"CREATE ROLE {self.user} LOGIN CREATEDB PASSWORD '{self.password}'")

    def create_database(self, name: str) -> None:
        self.execute_script("postgres", f'CREATE DATABASE "{name}" OWNER {self.user}')


class MariaDBServer(DatabaseServer):
    name = "mariadb"
    scheme = "mysql"

    def __init__(self):
        self.install_db = _require(shutil.which("mariadb-install-db"), "mariadb-install-db", "mariadb-server")
        self.mariadbd = _require(shutil.which("mariadbd") or "/usr/sbin/mariadbd", "mariadbd",
                                 "mariadb-server")
        super().__init__()
        self.data = self.base / "data"
        self.socket = self.base / "mariadbd.sock"

    def initialize(self) -> None:
        # A temp directory of its own: parallel instances sharing /tmp collided there.
        self.tmp = self.base / "tmp"
        self.tmp.mkdir()
        if self.root:
            os.chown(self.tmp, self.uid, self.gid)
        self.run([self.install_db, "--no-defaults", f"--datadir={self.data}", f"--tmpdir={self.tmp}",
                  "--auth-root-authentication-method=normal", "--skip-test-db",
                  "--skip-name-resolve"], "mariadb-install-db")

    def launch(self) -> None:
        self.spawn([self.mariadbd, "--no-defaults", f"--datadir={self.data}", f"--tmpdir={self.tmp}",
                    f"--socket={self.socket}",
                    f"--port={self.port}", f"--bind-address={self.host}", "--skip-name-resolve",
                    "--skip-log-bin", f"--pid-file={self.base / 'mariadbd.pid'}",
                    f"--log-error={self.log_path}", "--innodb-buffer-pool-size=32M",
                    "--innodb-flush-log-at-trx-commit=0", "--innodb-doublewrite=0",
                    "--character-set-server=utf8mb4", "--collation-server=utf8mb4_unicode_ci",
                    "--max-connections=200"])

    def connect(self, dbname: str | None = None, owner: bool = False):
        import pymysql
        where = (dict(host=self.host, port=self.port, user=self.user, password=self.password)
                 if owner else dict(unix_socket=str(self.socket), user="root"))
        return pymysql.connect(**where, database=dbname, autocommit=True, connect_timeout=2,
                               charset="utf8mb4", client_flag=pymysql.constants.CLIENT.MULTI_STATEMENTS)

    def start(self) -> None:
        super().start()
        self.execute_script(None, f"CREATE USER '{self.user}'@'%' IDENTIFIED BY '{self.password}';"
                                  f"GRANT ALL PRIVILEGES ON *.* TO '{self.user}'@'%'")

    def create_database(self, name: str) -> None:
        self.execute_script(None, f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 "
                                  "COLLATE utf8mb4_unicode_ci")


class MemcachedServer(Service):
    name = "memcached"

    def __init__(self):
        self.memcached = _require(shutil.which("memcached") or "/usr/bin/memcached", "memcached",
                                  "memcached")
        super().__init__()

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def launch(self) -> None:
        self.spawn([self.memcached, "-l", self.host, "-p", str(self.port), "-U", "0",
                    "-m", "16", "-t", "2", "-v"])

    def ready(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=1) as s:
                s.sendall(b"version\r\n")
                return s.recv(64).startswith(b"VERSION")
        except OSError:
            return False


@dataclass
class SQLiteDatabase:
    """A SQLite file for sogod's ``sqlite:///path/file.db/table`` URLs."""

    path: Path
    scheme = "sqlite"

    def url(self, table: str) -> str:
        return f"sqlite://{self.path}/{table}"

    __call__ = url

    def sogo_config(self, *, combined: bool = False, **extra) -> dict:
        return sogo_config(self.url, combined=combined, **extra)


def sogo_config(url, *, combined: bool = False, **extra) -> dict:
    """The storage keys of a sogo.conf whose tables all live where ``url(table)`` says."""
    cfg = {
        "SOGoProfileURL": url("sogo_user_profile"),
        "OCSFolderInfoURL": url("sogo_folder_info"),
        "OCSSessionsFolderURL": url("sogo_sessions_folder"),
        "OCSEMailAlarmsFolderURL": url("sogo_alarms_folder"),
    }
    if combined:
        cfg.update(OCSStoreURL=url("sogo_store"), OCSAclURL=url("sogo_acl"),
                   OCSCacheFolderURL=url("sogo_cache_folder"))
    cfg.update(extra)
    return cfg


def _service(cls):
    server = cls()          # fails (pytest.fail) on a missing binary, before any set-up
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgresql_server():
    yield from _service(PostgresServer)


@pytest.fixture(scope="session")
def mariadb_server():
    yield from _service(MariaDBServer)


@pytest.fixture(scope="session")
def memcached_server():
    yield from _service(MemcachedServer)


@pytest.fixture
def sqlite_url(tmp_path) -> SQLiteDatabase:
    return SQLiteDatabase(tmp_path / "sogo.db")


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def any_database(request, tmp_path):
    """A fresh, empty database of each kind in turn (SQLite file, PostgreSQL, MariaDB)."""
    if request.param == "sqlite":
        return SQLiteDatabase(tmp_path / "sogo.db")
    return request.getfixturevalue(f"{request.param}_server").new_database()
