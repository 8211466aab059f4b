"""Calendars and address books: the ``sogo_folder_info`` registry and each
folder's content, quick and ACL rows, laid out exactly as SOGo does.

Default mode: every folder has three tables ``sogo<uid8><hex3><hex8>``,
``…_quick`` and ``…_acl`` whose URLs are stored in ``c_location``,
``c_quick_location`` and ``c_acl_location``. Only the table NAME is taken from
those URLs: sogod always connects through the configured OCSFolderInfoURL, so a
moved database host keeps working (SOGo would follow the stored host).

Combined mode (OCSStoreURL + OCSAclURL + OCSCacheFolderURL set): all folders
share ``sogo_store``, ``sogo_acl`` and ``sogo_quick_<type>`` (the latter in the
folder-info database), rows told apart by ``c_folder_id``; the ``c_*location``
columns are still written, as SOGo does, but ignored.

Timestamps are Unix epoch seconds; versions and soft deletes follow
``GCSFolder -writeContent:…`` and ``-deleteContentWithName:``.
"""

from __future__ import annotations

import itertools
import logging
import random
import string
import time
from contextlib import ExitStack, contextmanager
from typing import Callable, Iterable, Iterator, Mapping, Protocol

from sqlalchemy import Connection, Engine, Row, Table, and_, delete, func, insert, or_, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from . import tables
from .database import (
    StoreError, forget_table, get_engine, has_transactional_ddl, is_write_conflict,
    translate_errors, write_transaction,
)
from .urls import StoreURL

log = logging.getLogger(__name__)

#: collection kind (c_path3) -> folder type (c_folder_type)
FOLDER_TYPES = {"Calendar": "Appointment", "Contacts": "Contact"}
#: display names SOGo gives the auto-created ``personal`` folders
PERSONAL_NAMES = {"Calendar": "Personal Calendar", "Contacts": "Personal Address Book"}
PERSONAL = "personal"

_ASCII_ALNUM = frozenset(string.ascii_letters + string.digits)
_table_counter = itertools.count(1)


class FolderExists(StoreError):
    """A folder already exists at that path."""


class VersionMismatch(StoreError):
    """The stored c_version is not the base version the writer started from (HTTP 412)."""

    def __init__(self, message: str, stored: int | None = None, expected: int | None = None):
        super().__init__(message)
        self.stored, self.expected = stored, expected


class ObjectHook(Protocol):
    """Rows of another table that follow an object's writes and deletes (e.g. the
    e-mail alarms): called inside the object's transaction when ``engine`` is the
    content table's, else in a transaction of its own committed after it."""

    engine: Engine

    def __call__(self, conn: Connection, folder: Folder, name: str) -> None: ...


def new_table_name(uid: str) -> str:
    """``"sogo"`` + first 8 ASCII alphanumerics of ``uid`` + 3 hex (process counter)
    + 8 hex (random), as ``GCSFolderManager -baseTableNameWithUID:``."""
    alnum = "".join(ch for ch in uid if ch in _ASCII_ALNUM)[:8]
    return f"sogo{alnum}{next(_table_counter) & 0xfff:03x}{random.getrandbits(31):08x}"


def _table_name_of(location: str | None) -> str | None:
    """The table of a stored ``c_location`` URL: its last path segment."""
    if not location:
        return None
    return location.rstrip("/").rpartition("/")[2] or None


class FolderManager:
    """The folder registry of one OCSFolderInfoURL (plus the combined-mode tables)."""

    def __init__(self, folder_info_url: StoreURL, *, store_url: StoreURL | None = None,
                 acl_url: StoreURL | None = None, clock: Callable[[], float] = time.time):
        self.url = folder_info_url
        self.store_url = store_url
        self.acl_url = acl_url
        self.combined = store_url is not None and acl_url is not None
        self.table = tables.folder_info_table(folder_info_url.table)
        self.clock = clock

    @property
    def engine(self) -> Engine:
        return get_engine(self.url)

    def now(self) -> int:
        return int(self.clock())

    # --- lookups ----------------------------------------------------------------

    def get(self, owner: str, kind: str, folder_id: str) -> Folder | None:
        """The folder ``/Users/<owner>/<kind>/<folder_id>``, or None."""
        _check_kind(kind)
        t = self.table
        query = select(t).where(t.c.c_path1 == "Users", t.c.c_path2 == owner,
                                t.c.c_path3 == kind, t.c.c_path4 == folder_id)
        with translate_errors(self.url, "cannot read folder"), self.engine.connect() as conn:
            record = conn.execute(query).mappings().first()
        return Folder(self, record) if record else None

    def list(self, owner: str, kind: str) -> list[Folder]:
        """The owner's folders of one kind, in creation order."""
        _check_kind(kind)
        t = self.table
        query = (select(t).where(t.c.c_path1 == "Users", t.c.c_path2 == owner,
                                 t.c.c_path3 == kind, t.c.c_path4.is_not(None))
                 .order_by(t.c.c_folder_id))
        with translate_errors(self.url, "cannot list folders"), self.engine.connect() as conn:
            records = conn.execute(query).mappings().all()
        return [Folder(self, r) for r in records]

    # --- changes ----------------------------------------------------------------

    def create(self, owner: str, kind: str, folder_id: str, display_name: str,
               folder_type: str | None = None) -> Folder:
        """Register a folder (and, in default mode, create its three tables).

        Raises FolderExists when the path is taken, also when another process
        created it at the same moment (the c_path primary key decides).
        """
        _check_kind(kind)
        _check_segment(owner, "owner")
        _check_segment(folder_id, "folder id")
        folder_type = folder_type or FOLDER_TYPES[kind]
        if folder_type not in tables.QUICK_COLUMNS:
            raise ValueError(f"unknown folder type {folder_type!r} (Appointment or Contact)")
        path = f"/Users/{owner}/{kind}/{folder_id}"
        if self.get(owner, kind, folder_id) is not None:
            raise FolderExists(f"a folder already exists at {path}")
        base = new_table_name(owner)
        prefix = self.url.original.rpartition("/")[0]
        values = dict(
            c_path=path, c_path1="Users", c_path2=owner, c_path3=kind, c_path4=folder_id,
            c_foldername=display_name, c_location=f"{prefix}/{base}",
            c_quick_location=f"{prefix}/{base}_quick", c_acl_location=f"{prefix}/{base}_acl",
            c_folder_type=folder_type,
        )
        new_tables = [] if self.combined else [
            tables.content_table(base), tables.quick_table(f"{base}_quick", folder_type),
            tables.acl_table(f"{base}_acl")]
        engine = self.engine
        with translate_errors(self.url, f"cannot create folder {path}"):
            try:
                with write_transaction(engine) as conn:
                    for table in new_tables:
                        table.create(conn)
                    conn.execute(insert(self.table).values(**values, **self._next_folder_id(engine)))
            except IntegrityError:
                if new_tables and not has_transactional_ddl(engine):
                    with engine.begin() as conn:
                        for table in new_tables:
                            table.drop(conn, checkfirst=True)
                raise FolderExists(f"a folder already exists at {path}") from None
        folder = self.get(owner, kind, folder_id)
        if folder is None:
            raise StoreError(f"folder {path} vanished right after its creation")
        return folder

    def _next_folder_id(self, engine: Engine) -> dict:
        # PostgreSQL and MySQL: SERIAL. SQLite: max + 1 inside the (serialized) insert.
        if engine.dialect.name != "sqlite":
            return {}
        t = self.table
        return {"c_folder_id": select(func.coalesce(func.max(t.c.c_folder_id), 0) + 1).scalar_subquery()}

    def ensure_personal(self, owner: str, kind: str) -> Folder:
        """The owner's ``personal`` folder, created on first access as SOGo does."""
        folder = self.get(owner, kind, PERSONAL)
        if folder is not None:
            return folder
        try:
            return self.create(owner, kind, PERSONAL, PERSONAL_NAMES[kind])
        except FolderExists:
            folder = self.get(owner, kind, PERSONAL)
            if folder is None:
                raise
            return folder

    def rename(self, folder: Folder, display_name: str) -> Folder:
        """Change the display name (c_foldername)."""
        t = self.table
        with translate_errors(self.url, f"cannot rename folder {folder.path}"):
            with write_transaction(self.engine) as conn:
                conn.execute(update(t).where(t.c.c_path == folder.path)
                             .values(c_foldername=display_name))
        return self.get(folder.owner, folder.kind, folder.folder_id) or folder

    def delete(self, folder: Folder) -> None:
        """Unregister the folder and drop its tables (combined mode: delete its rows)."""
        t = self.table
        with translate_errors(self.url, f"cannot delete folder {folder.path}"):
            if self.combined:
                for table, engine in folder._tables():
                    with write_transaction(engine) as conn:
                        conn.execute(delete(table).where(table.c.c_folder_id == folder.c_folder_id))
            with write_transaction(self.engine) as conn:
                conn.execute(delete(t).where(t.c.c_path == folder.path))
                if not self.combined:
                    for table, _engine in folder._tables():
                        table.drop(conn, checkfirst=True)
                        forget_table(self.url, table.name)


def _check_kind(kind: str) -> None:
    if kind not in FOLDER_TYPES:
        raise ValueError(f"unknown folder kind {kind!r} (Calendar or Contacts)")


def _check_segment(value: str, what: str) -> None:
    if not value or "/" in value:
        raise ValueError(f"invalid {what} {value!r}")


class Folder:
    """One calendar or address book and its rows.

    ``content_table``, ``quick_table`` and ``acl_table`` are SQLAlchemy Tables;
    ``engine``, ``quick_engine`` and ``acl_engine`` the databases holding them.
    In combined mode they are the shared tables and every method filters on
    ``c_folder_id``; use :meth:`where` to do the same in queries of your own.
    """

    def __init__(self, manager: FolderManager, record: Mapping):
        self.manager = manager
        self.path: str = record["c_path"]
        self.owner: str = record["c_path2"]
        self.kind: str = record["c_path3"]
        self.folder_id: str = record["c_path4"]
        self.display_name: str = record["c_foldername"]
        self.folder_type: str = record["c_folder_type"]
        self.c_folder_id: int = record["c_folder_id"]
        self.combined = manager.combined
        info_engine = manager.engine
        if self.combined:
            self.content_table = tables.store_table(manager.store_url.table)
            self.engine = get_engine(manager.store_url)
            self.quick_table = tables.quick_table(
                tables.combined_quick_table_name(self.folder_type), self.folder_type, True)
            self.quick_engine = info_engine
            self.acl_table = tables.combined_acl_table(manager.acl_url.table)
            self.acl_engine = get_engine(manager.acl_url)
            self._url = manager.store_url
        else:
            content = _table_name_of(record["c_location"])
            if content is None:
                raise StoreError(f"folder {self.path}: no c_location in {manager.url.table}")
            quick = _table_name_of(record["c_quick_location"]) or f"{content}_quick"
            acl = _table_name_of(record["c_acl_location"]) or f"{content}_acl"
            self.content_table = tables.content_table(content)
            self.quick_table = tables.quick_table(quick, self.folder_type)
            self.acl_table = tables.acl_table(acl)
            self.engine = self.quick_engine = self.acl_engine = info_engine
            self._url = manager.url

    def __repr__(self) -> str:
        return f"<Folder {self.path} {self.content_table.name}>"

    @property
    def acl_object(self) -> str:
        """``c_object`` of the folder's own ACL rows: ``/<owner>/<kind>/<folder id>``."""
        return f"/{self.owner}/{self.kind}/{self.folder_id}"

    def where(self, table: Table, *clauses):
        """``clauses`` AND, in combined mode, ``c_folder_id = <this folder>``."""
        if self.combined:
            clauses = (table.c.c_folder_id == self.c_folder_id, *clauses)
        return and_(*clauses) if clauses else and_(True)

    def _row(self, table: Table, **values) -> dict:
        if self.combined:
            values["c_folder_id"] = self.c_folder_id
        return values

    def _tables(self) -> list[tuple[Table, Engine]]:
        return [(self.content_table, self.engine), (self.quick_table, self.quick_engine),
                (self.acl_table, self.acl_engine)]

    def _errors(self, action: str):
        return translate_errors(self._url, f"{self.path}: {action}")

    @contextmanager
    def _content_and_quick(self, name: str, hook: ObjectHook | None = None
                           ) -> Iterator[tuple[Connection, Connection]]:
        """One transaction when content and quick tables share a database,
        else two, the content one committed first (as SOGo). ``hook`` runs at
        the end, in the content transaction when it shares that database, else
        in one of its own committed last."""
        with ExitStack() as stack:
            hconn = None
            if hook is not None and hook.engine is not self.engine:
                hconn = stack.enter_context(write_transaction(hook.engine))
            if self.engine is self.quick_engine:
                cconn = qconn = stack.enter_context(write_transaction(self.engine))
            else:
                qconn = stack.enter_context(write_transaction(self.quick_engine))
                cconn = stack.enter_context(write_transaction(self.engine))
            yield cconn, qconn
            if hook is not None:
                hook(hconn or cconn, self, name)

    # --- reading ----------------------------------------------------------------

    def _live(self):
        c = self.content_table.c
        return or_(c.c_deleted.is_(None), c.c_deleted != 1)

    def get_object(self, name: str) -> Row | None:
        """The content row of ``name`` unless missing or soft-deleted."""
        t = self.content_table
        query = select(t).where(self.where(t, t.c.c_name == name, self._live()))
        with self._errors("cannot read object"), self.engine.connect() as conn:
            return conn.execute(query).first()

    def list_objects(self, names: Iterable[str] | None = None) -> list[Row]:
        """Live content rows (all, or those among ``names``), ordered by name."""
        t = self.content_table
        clauses = [self._live()]
        if names is not None:
            clauses.append(t.c.c_name.in_(list(names)))
        query = select(t).where(self.where(t, *clauses)).order_by(t.c.c_name)
        with self._errors("cannot list objects"), self.engine.connect() as conn:
            return list(conn.execute(query))

    def quick_rows(self, *clauses) -> list[Row]:
        """Quick-table rows of this folder matching ``clauses``, ordered by name."""
        t = self.quick_table
        query = select(t).where(self.where(t, *clauses)).order_by(t.c.c_name)
        with self._errors("cannot read quick rows"), self.quick_engine.connect() as conn:
            return list(conn.execute(query))

    def ctag(self) -> int:
        """max(c_lastmodified) including soft-deleted rows; -1 when empty."""
        t = self.content_table
        query = select(func.max(t.c.c_lastmodified)).where(self.where(t))
        with self._errors("cannot read ctag"), self.engine.connect() as conn:
            value = conn.execute(query).scalar()
        return -1 if value is None else int(value)

    def changes_since(self, token: int | None) -> list[Row]:
        """Rows (c_name, c_creationdate, c_lastmodified, c_version, c_deleted).

        ``token`` None: every live row. Else every row, soft-deleted included,
        with ``c_lastmodified > token``. Ordered by c_lastmodified, c_name.
        """
        t = self.content_table
        clause = self._live() if token is None else t.c.c_lastmodified > int(token)
        query = (select(t.c.c_name, t.c.c_creationdate, t.c.c_lastmodified, t.c.c_version,
                        t.c.c_deleted)
                 .where(self.where(t, clause)).order_by(t.c.c_lastmodified, t.c.c_name))
        with self._errors("cannot read changes"), self.engine.connect() as conn:
            return list(conn.execute(query))

    # --- writing ----------------------------------------------------------------

    def _check_quick_row(self, quick_row: Mapping) -> dict:
        allowed = set(self.quick_table.c.keys()) - {"c_name", "c_folder_id"}
        unknown = set(quick_row) - allowed
        if unknown:
            raise ValueError(f"not columns of {self.quick_table.name}: {', '.join(sorted(unknown))}")
        return dict(quick_row)

    def put_object(self, name: str, content: str, quick_row: Mapping, *,
                   base_version: int | None = None,
                   hook: ObjectHook | None = None) -> tuple[int, bool]:
        """Store ``content`` and its quick row in one go; return (c_version, created).

        New name (or a soft-deleted one, purged first): c_version 0,
        c_creationdate = c_lastmodified = now. Existing: c_version + 1,
        c_lastmodified = now. ``base_version`` (the version the client saw)
        must equal the stored one, else VersionMismatch; None skips the check.
        ``hook`` writes the object's rows elsewhere (see ObjectHook).
        """
        quick = self._check_quick_row(quick_row)
        q = self.quick_table
        now = self.manager.now()
        with self._errors(f"cannot store {name}"):
            try:
                with self._content_and_quick(name, hook) as (cconn, qconn):
                    version, created = self._write_content(cconn, name, content, now, base_version)
                    qconn.execute(delete(q).where(self.where(q, q.c.c_name == name)))
                    qconn.execute(insert(q).values(self._row(q, c_name=name, **quick)))
            except DBAPIError as exc:
                if not is_write_conflict(exc):
                    raise
                raise VersionMismatch(f"{self.path}/{name} was written concurrently",
                                      expected=base_version) from None
        return version, created

    def _write_content(self, conn: Connection, name: str, content: str, now: int,
                       base_version: int | None) -> tuple[int, bool]:
        t = self.content_table
        here = self.where(t, t.c.c_name == name)
        current = conn.execute(select(t.c.c_version, t.c.c_deleted).where(here)
                               .with_for_update()).first()
        if current is not None and (current.c_deleted or 0) > 0:
            conn.execute(delete(t).where(here))          # purge the soft-deleted row
            current = None
        stored = None if current is None else current.c_version
        if base_version is not None and base_version != stored:
            raise VersionMismatch(
                f"{self.path}/{name}: version mismatch (stored {stored}, expected {base_version})",
                stored=stored, expected=base_version)
        if stored is None:
            conn.execute(insert(t).values(self._row(
                t, c_name=name, c_content=content, c_creationdate=now, c_lastmodified=now,
                c_version=0)))
            return 0, True
        result = conn.execute(update(t).where(here, t.c.c_version == stored)
                              .values(c_content=content, c_lastmodified=now, c_version=stored + 1))
        if result.rowcount != 1:
            raise VersionMismatch(f"{self.path}/{name}: changed concurrently",
                                  stored=stored, expected=base_version)
        return stored + 1, False

    def delete_object(self, name: str, *, hook: ObjectHook | None = None) -> bool:
        """Soft delete (c_deleted = 1, c_lastmodified = now) and drop the quick row
        (and, through ``hook``, rows elsewhere).

        Returns False when there was no live object of that name.
        """
        t, q = self.content_table, self.quick_table
        now = self.manager.now()
        with self._errors(f"cannot delete {name}"), \
                self._content_and_quick(name, hook) as (cconn, qconn):
            result = cconn.execute(update(t).where(self.where(t, t.c.c_name == name, self._live()))
                                   .values(c_deleted=1, c_lastmodified=now))
            qconn.execute(delete(q).where(self.where(q, q.c.c_name == name)))
        return result.rowcount > 0

    # --- ACLs -------------------------------------------------------------------

    def acl_rows(self, object_path: str | None = None) -> list[Row]:
        """ACL rows (c_uid, c_object, c_role): all of the folder's, or one object's."""
        t = self.acl_table
        clauses = [] if object_path is None else [t.c.c_object == object_path]
        query = (select(t.c.c_uid, t.c.c_object, t.c.c_role).where(self.where(t, *clauses))
                 .order_by(t.c.c_object, t.c.c_uid, t.c.c_role))
        with self._errors("cannot read ACLs"), self.acl_engine.connect() as conn:
            return list(conn.execute(query))

    def set_roles(self, uid: str, object_path: str | None, roles: Iterable[str]) -> None:
        """Replace ``uid``'s roles on ``object_path`` (default: the folder itself).

        No roles stores the single role ``None`` (explicit "no access"), as SOGo.
        """
        object_path = object_path or self.acl_object
        unique = list(dict.fromkeys(r for r in roles if r)) or ["None"]
        t = self.acl_table
        with self._errors("cannot write ACLs"), write_transaction(self.acl_engine) as conn:
            conn.execute(delete(t).where(self.where(t, t.c.c_object == object_path,
                                                    t.c.c_uid == uid)))
            conn.execute(insert(t), [self._row(t, c_uid=uid, c_object=object_path, c_role=role)
                                     for role in unique])

    def remove_acls(self, uids: Iterable[str], object_path: str | None = None) -> None:
        """Delete every role of ``uids`` on ``object_path`` (default: the folder)."""
        object_path = object_path or self.acl_object
        uids = list(uids)
        if not uids:
            return
        t = self.acl_table
        with self._errors("cannot write ACLs"), write_transaction(self.acl_engine) as conn:
            conn.execute(delete(t).where(self.where(t, t.c.c_object == object_path,
                                                    t.c.c_uid.in_(uids))))
