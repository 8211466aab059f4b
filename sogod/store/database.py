"""One SQLAlchemy engine per database, per process.

sogod forks its workers: engines are created lazily, on first use in the
process that uses them, and :func:`dispose_all` (called in every new worker)
drops what the parent had without touching the parent's sockets. Engines are
keyed by :attr:`StoreURL.database_key`, so every table URL pointing at the
same database shares one pool.

SQLite files run in WAL mode with a busy timeout so several worker processes
can write; write transactions on SQLite start with ``BEGIN IMMEDIATE`` (see
:func:`write_transaction`) so a read-then-write transaction never fails on a
lock upgrade.
"""

from __future__ import annotations

import logging
import os
import threading
from contextlib import contextmanager
from typing import Callable, Iterator

from sqlalchemy import Connection, Engine, Table, create_engine, event, inspect
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError

from .urls import StoreURL, parse_store_url, redact_url

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 10          # seconds, PostgreSQL and MySQL
SQLITE_BUSY_TIMEOUT_MS = 30_000


class StoreError(Exception):
    """A storage failure; the message names the URL with its password hidden."""


class StoreUnavailable(StoreError):
    """The database cannot be reached (down, refused, bad credentials)."""


_lock = threading.Lock()
_engines: dict[str, Engine] = {}
_owner_pid: dict[str, int] = {}
_known_tables: set[tuple[str, str]] = set()
# Pools inherited through fork, kept referenced: garbage-collecting their DBAPI
# connections could close sockets the parent process still uses.
_inherited: list = []


def _as_store_url(url: StoreURL | str) -> StoreURL:
    return url if isinstance(url, StoreURL) else parse_store_url(url)


def get_engine(store_url: StoreURL | str) -> Engine:
    """The engine of the database holding ``store_url``'s table (created on first use)."""
    url = _as_store_url(store_url)
    key = url.database_key
    pid = os.getpid()
    with _lock:
        engine = _engines.get(key)
        if engine is not None and _owner_pid[key] == pid:
            return engine
        if engine is not None:          # inherited through fork: never reuse its pool
            _abandon(engine)
        engine = _create_engine(url)
        _engines[key], _owner_pid[key] = engine, pid
        return engine


def dispose_all() -> None:
    """Forget every engine: close our own pools, abandon those inherited by fork."""
    pid = os.getpid()
    with _lock:
        for key, engine in _engines.items():
            if _owner_pid[key] == pid:
                engine.dispose()
            else:
                _abandon(engine)
        _engines.clear()
        _owner_pid.clear()
        _known_tables.clear()


def _abandon(engine: Engine) -> None:
    _inherited.append(engine.pool)
    engine.dispose(close=False)


def _create_engine(url: StoreURL) -> Engine:
    if url.scheme == "sqlite":
        engine = create_engine(url.database_url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        _setup_sqlite(engine)
        return engine
    return create_engine(url.database_url, pool_pre_ping=True, pool_recycle=3600,
                         connect_args={"connect_timeout": CONNECT_TIMEOUT})


def _setup_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not the driver, issue BEGIN (pysqlite's own handling defers it).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        _set_wal(cursor)
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql(conn.get_execution_options().get("sqlite_begin", "BEGIN"))


def _set_wal(cursor) -> None:
    """Switch a new file to WAL. The switch needs an exclusive lock and SQLite
    does not wait for it: retry while another process holds the file; WAL is
    persistent, so once any process succeeded the file stays in WAL mode."""
    import sqlite3
    import time
    for _attempt in range(100):
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc):
                raise
            time.sleep(0.05)
    log.warning("SQLite file stayed locked; continuing without switching it to WAL")


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction meant to write: ``BEGIN IMMEDIATE`` on SQLite, plain elsewhere."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn = conn.execution_options(sqlite_begin="BEGIN IMMEDIATE")
        with conn.begin():
            yield conn


def has_transactional_ddl(engine: Engine) -> bool:
    """False on MySQL, where CREATE/DROP TABLE commit the transaction."""
    return engine.dialect.name not in ("mysql", "mariadb")


def ensure_table(store_url: StoreURL | str, table_factory: Callable[[str], Table] | Table) -> Table:
    """Create ``store_url``'s table when it is missing; return the Table.

    Safe when several processes race: a failed CREATE is ignored when the table
    exists afterwards. ``table_factory`` is a factory of :mod:`tables` (called
    with the URL's table name) or a ready ``Table``.
    """
    url = _as_store_url(store_url)
    table = table_factory if isinstance(table_factory, Table) else table_factory(url.table)
    key = (url.database_key, table.name)
    if key in _known_tables:
        return table
    engine = get_engine(url)
    try:
        _create_if_missing(engine, table)
    except SQLAlchemyError as exc:
        raise store_error(url, exc, f"cannot create table {table.name}") from None
    _known_tables.add(key)
    return table


def _create_if_missing(engine: Engine, table: Table) -> None:
    with engine.connect() as conn:
        if inspect(conn).has_table(table.name):
            return
    try:
        with write_transaction(engine) as conn:
            table.create(conn, checkfirst=True)
        log.info("table %s created", table.name)
    except (DBAPIError, SQLAlchemyError):
        with engine.connect() as conn:          # another process won the race?
            if inspect(conn).has_table(table.name):
                return
        raise


def forget_table(store_url: StoreURL | str, name: str) -> None:
    """Drop ``name`` from the known-tables memo (after a DROP TABLE)."""
    _known_tables.discard((_as_store_url(store_url).database_key, name))


def store_error(url: StoreURL, exc: BaseException, action: str = "database error") -> StoreError:
    """A StoreError for ``exc`` that names ``url`` without its password."""
    where = redact_url(url.original)
    reason = _reason(exc)
    password = url.database_url.password
    if password:
        reason = reason.replace(str(password), "***")
    cls = StoreUnavailable if _is_connection_error(exc) else StoreError
    return cls(f"{where}: {action}: {reason}")


def _reason(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    return f"{type(orig or exc).__name__}: {first}"


def _is_connection_error(exc: BaseException) -> bool:
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    orig = getattr(exc, "orig", None)
    if orig is None:
        return False
    name = type(orig).__name__
    if name in ("OperationalError", "InterfaceError"):
        text = str(orig).lower()
        return any(s in text for s in ("connect", "refused", "authentication", "access denied",
                                       "timeout", "unable to open", "no route", "could not translate",
                                       "server closed", "lost connection", "gone away"))
    return False


def is_write_conflict(exc: BaseException) -> bool:
    """A write lost to a concurrent one: duplicate key, deadlock, serialization failure."""
    if isinstance(exc, IntegrityError):
        return True
    orig = getattr(exc, "orig", None)
    code = getattr(orig, "pgcode", None)            # psycopg2
    if code in ("40001", "40P01"):
        return True
    args = getattr(orig, "args", ())                # PyMySQL: (errno, message)
    return bool(args) and args[0] in (1205, 1213)   # lock wait timeout, deadlock


@contextmanager
def translate_errors(url: StoreURL, action: str = "database error") -> Iterator[None]:
    """Re-raise SQLAlchemy errors as StoreError naming ``url`` (password hidden)."""
    try:
        yield
    except StoreError:
        raise
    except SQLAlchemyError as exc:
        raise store_error(url, exc, action) from None
