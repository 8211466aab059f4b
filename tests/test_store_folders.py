"""Folders, objects, versions, soft deletes, sync data and ACL rows on SQLite,
PostgreSQL and MariaDB, with per-folder tables and in combined mode."""

from __future__ import annotations

import multiprocessing
import re

import pytest
from sqlalchemy import inspect, select, update

from sogod.store import FolderExists, Storage, VersionMismatch, database

EVENT_QUICK = dict(c_uid="ev1", c_title="Lunch with 🍕", c_classification=0, c_isopaque=1,
                   c_status=1, c_component="vevent", c_startdate=1768471200, c_enddate=1768474800)
CARD_QUICK = dict(c_givenname="Alice", c_cn="Alice Example", c_sn="Example", c_mail="alice@example.org",
                  c_component="vcard", c_hascertificate=0)


class Clock:
    def __init__(self, now: int = 1_700_000_000):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=[False, True], ids=["per-folder", "combined"])
def storage(request, any_database):
    storage = Storage.from_config(any_database.sogo_config(combined=request.param))
    storage.create_missing_tables()
    storage.folders.clock = Clock()
    yield storage
    database.dispose_all()


def raw(folder, table, **where):
    """Rows of ``table`` as stored, optionally filtered (c_folder_id added in combined mode)."""
    query = select(table).where(folder.where(table, *(table.c[k] == v for k, v in where.items())))
    engine = {folder.content_table.name: folder.engine, folder.quick_table.name: folder.quick_engine,
              folder.acl_table.name: folder.acl_engine}[table.name]
    with engine.connect() as conn:
        return [r._asdict() for r in conn.execute(query.order_by(*table.primary_key.columns or
                                                                  list(table.columns)[:1]))]


def test_personal_folders_as_sogo_creates_them(storage):
    folders = storage.folders
    calendar = folders.ensure_personal("user1", "Calendar")
    assert (calendar.path, calendar.owner, calendar.kind, calendar.folder_id) == \
        ("/Users/user1/Calendar/personal", "user1", "Calendar", "personal")
    assert (calendar.display_name, calendar.folder_type) == ("Personal Calendar", "Appointment")
    contacts = folders.ensure_personal("user1", "Contacts")
    assert (contacts.display_name, contacts.folder_type) == ("Personal Address Book", "Contact")
    assert contacts.c_folder_id > calendar.c_folder_id
    assert folders.ensure_personal("user1", "Calendar").c_folder_id == calendar.c_folder_id

    info = folders.table
    with folders.engine.connect() as conn:
        row = conn.execute(select(info).where(info.c.c_path == calendar.path)).mappings().one()
    assert (row["c_path1"], row["c_path2"], row["c_path3"], row["c_path4"]) == \
        ("Users", "user1", "Calendar", "personal")
    base = folders.url.original.rpartition("/")[0]
    table = row["c_location"].rpartition("/")[2]
    assert re.fullmatch(r"sogouser1[0-9a-f]{11}", table)
    assert (row["c_location"], row["c_quick_location"], row["c_acl_location"]) == \
        (f"{base}/{table}", f"{base}/{table}_quick", f"{base}/{table}_acl")
    has_table = inspect(folders.engine).has_table(table)
    if storage.combined:                    # written but unused, as SOGo
        assert not has_table
        assert (calendar.content_table.name, calendar.quick_table.name, calendar.acl_table.name) == \
            ("sogo_store", "sogo_quick_appointment", "sogo_acl")
        assert contacts.quick_table.name == "sogo_quick_contact"
    else:
        assert has_table
        assert (calendar.content_table.name, calendar.quick_table.name, calendar.acl_table.name) == \
            (table, f"{table}_quick", f"{table}_acl")


def test_create_list_rename_and_duplicates(storage):
    folders = storage.folders
    folders.ensure_personal("user1", "Calendar")
    work = folders.create("user1", "Calendar", "2F-59EE0C80-1-1014BBC0", "Bob's work")
    assert work.display_name == "Bob's work"
    with pytest.raises(FolderExists):
        folders.create("user1", "Calendar", "2F-59EE0C80-1-1014BBC0", "again")
    folders.create("user2", "Calendar", "personal", "Not user1's")
    assert [f.folder_id for f in folders.list("user1", "Calendar")] == ["personal", "2F-59EE0C80-1-1014BBC0"]
    assert folders.list("user1", "Contacts") == []
    assert folders.get("user1", "Contacts", "personal") is None
    renamed = folders.rename(work, "Work ✓")
    assert renamed.display_name == "Work ✓"
    assert folders.get("user1", "Calendar", work.folder_id).display_name == "Work ✓"
    with pytest.raises(ValueError):
        folders.create("user1", "Mail", "x", "x")
    with pytest.raises(ValueError):
        folders.create("user1", "Calendar", "a/b", "x")


def test_put_get_update_and_versions(storage):
    clock = storage.folders.clock
    folder = storage.folders.ensure_personal("user1", "Calendar")
    content = "BEGIN:VCALENDAR\r\nSUMMARY:Lunch with 🍕\r\nEND:VCALENDAR"
    assert folder.put_object("ev1.ics", content, EVENT_QUICK) == (0, True)
    row = folder.get_object("ev1.ics")
    assert (row.c_name, row.c_content, row.c_version, row.c_deleted) == ("ev1.ics", content, 0, None)
    assert row.c_creationdate == row.c_lastmodified == clock.now
    [quick] = raw(folder, folder.quick_table)
    assert quick["c_name"] == "ev1.ics" and quick["c_title"] == "Lunch with 🍕"

    clock.now += 10
    assert folder.put_object("ev1.ics", "v1", dict(EVENT_QUICK, c_title="Moved"), base_version=0) == (1, False)
    row = folder.get_object("ev1.ics")
    assert (row.c_content, row.c_version, row.c_lastmodified) == ("v1", 1, clock.now)
    assert row.c_creationdate == clock.now - 10
    assert [q["c_title"] for q in raw(folder, folder.quick_table)] == ["Moved"]

    with pytest.raises(VersionMismatch) as err:
        folder.put_object("ev1.ics", "stale", EVENT_QUICK, base_version=0)
    assert (err.value.stored, err.value.expected) == (1, 0)
    assert folder.get_object("ev1.ics").c_content == "v1"
    assert folder.put_object("ev1.ics", "v2", EVENT_QUICK) == (2, False)      # no check
    with pytest.raises(VersionMismatch):
        folder.put_object("new.ics", "x", EVENT_QUICK, base_version=3)       # If-Match on nothing
    assert folder.get_object("new.ics") is None
    with pytest.raises(ValueError, match="c_bogus"):
        folder.put_object("x.ics", "x", dict(EVENT_QUICK, c_bogus=1))
    assert [r.c_name for r in folder.list_objects()] == ["ev1.ics"]
    assert folder.list_objects(names=["nope"]) == []


def test_soft_delete_and_recreate(storage):
    clock = storage.folders.clock
    folder = storage.folders.ensure_personal("user1", "Calendar")
    folder.put_object("a.ics", "A", EVENT_QUICK)
    folder.put_object("a.ics", "A1", EVENT_QUICK)
    clock.now += 5
    assert folder.delete_object("a.ics") is True
    assert folder.get_object("a.ics") is None
    assert folder.list_objects() == []
    [stored] = raw(folder, folder.content_table)
    assert (stored["c_deleted"], stored["c_version"], stored["c_lastmodified"]) == (1, 1, clock.now)
    assert raw(folder, folder.quick_table) == []
    assert folder.delete_object("a.ics") is False
    assert folder.delete_object("never.ics") is False

    clock.now += 5
    assert folder.put_object("a.ics", "again", EVENT_QUICK) == (0, True)
    [stored] = raw(folder, folder.content_table)
    assert (stored["c_content"], stored["c_version"], stored["c_deleted"]) == ("again", 0, None)
    assert stored["c_creationdate"] == stored["c_lastmodified"] == clock.now
    assert len(raw(folder, folder.quick_table)) == 1


def test_ctag_and_changes_since(storage):
    clock = storage.folders.clock
    folder = storage.folders.ensure_personal("user1", "Calendar")
    assert folder.ctag() == -1
    assert folder.changes_since(None) == []
    clock.now = 100
    folder.put_object("a.ics", "A", EVENT_QUICK)
    clock.now = 200
    folder.put_object("b.ics", "B", EVENT_QUICK)
    assert folder.ctag() == 200
    assert [r.c_name for r in folder.changes_since(None)] == ["a.ics", "b.ics"]
    assert [r.c_name for r in folder.changes_since(100)] == ["b.ics"]
    clock.now = 300
    folder.delete_object("a.ics")
    assert folder.ctag() == 300                                  # deleted rows count
    [change] = folder.changes_since(200)
    assert (change.c_name, change.c_deleted, change.c_lastmodified) == ("a.ics", 1, 300)
    assert [r.c_name for r in folder.changes_since(None)] == ["b.ics"]
    assert folder.changes_since(300) == []


def test_folders_do_not_see_each_other(storage):
    folders = storage.folders
    one = folders.ensure_personal("user1", "Calendar")
    two = folders.ensure_personal("user2", "Calendar")
    one.put_object("same.ics", "one", EVENT_QUICK)
    two.put_object("same.ics", "two", EVENT_QUICK)
    assert one.get_object("same.ics").c_content == "one"
    assert one.put_object("same.ics", "one bis", EVENT_QUICK, base_version=0) == (1, False)
    assert two.get_object("same.ics").c_version == 0
    one.delete_object("same.ics")
    assert two.get_object("same.ics").c_content == "two"
    assert len(two.quick_rows()) == 1 and one.quick_rows() == []
    assert two.ctag() != -1
    one.set_roles("bob", None, ["ObjectViewer"])
    assert two.acl_rows() == []


def test_contacts(storage):
    book = storage.folders.ensure_personal("user1", "Contacts")
    assert book.put_object("card1.vcf", "BEGIN:VCARD\r\nEND:VCARD", CARD_QUICK) == (0, True)
    [quick] = book.quick_rows()
    assert (quick.c_name, quick.c_cn, quick.c_mail) == ("card1.vcf", "Alice Example", "alice@example.org")
    assert book.quick_rows(book.quick_table.c.c_sn == "Nobody") == []
    with pytest.raises(ValueError):
        book.put_object("x.vcf", "x", EVENT_QUICK)              # appointment columns


def test_acl_rows(storage):
    folder = storage.folders.ensure_personal("user1", "Calendar")
    assert folder.acl_object == "/user1/Calendar/personal"
    folder.set_roles("bob", None, ["PublicViewer", "ObjectCreator", "PublicViewer"])
    folder.set_roles("<default>", None, [])
    folder.set_roles("bob", "/user1/Calendar/personal/ev1.ics", ["ObjectEraser"])
    assert [tuple(r) for r in folder.acl_rows(folder.acl_object)] == [
        ("<default>", "/user1/Calendar/personal", "None"),
        ("bob", "/user1/Calendar/personal", "ObjectCreator"),
        ("bob", "/user1/Calendar/personal", "PublicViewer"),
    ]
    assert len(folder.acl_rows()) == 4
    folder.set_roles("bob", None, ["PrivateModifier"])
    assert [r.c_role for r in folder.acl_rows() if r.c_uid == "bob"] == ["PrivateModifier", "ObjectEraser"]
    folder.remove_acls(["bob", "<default>"])
    assert [tuple(r) for r in folder.acl_rows()] == [("bob", "/user1/Calendar/personal/ev1.ics",
                                                        "ObjectEraser")]


def test_delete_folder(storage):
    folders = storage.folders
    folder = folders.create("user1", "Calendar", "work", "Work")
    folder.put_object("a.ics", "A", EVENT_QUICK)
    folder.set_roles("bob", None, ["PublicViewer"])
    keep = folders.ensure_personal("user1", "Calendar")
    keep.put_object("a.ics", "kept", EVENT_QUICK)
    folders.delete(folder)
    assert folders.get("user1", "Calendar", "work") is None
    assert [f.folder_id for f in folders.list("user1", "Calendar")] == ["personal"]
    assert keep.get_object("a.ics").c_content == "kept"
    if storage.combined:
        for table in (folder.content_table, folder.quick_table, folder.acl_table):
            assert raw(folder, table) == []
    else:
        insp = inspect(folders.engine)
        for table in (folder.content_table, folder.quick_table, folder.acl_table):
            assert not insp.has_table(table.name)
    again = folders.create("user1", "Calendar", "work", "Work again")
    assert again.get_object("a.ics") is None


def test_moved_database_host(storage):
    """c_location keeps whatever host SOGo wrote; only the table name is used."""
    folders = storage.folders
    folder = folders.ensure_personal("user1", "Calendar")
    folder.put_object("a.ics", "A", EVENT_QUICK)
    info = folders.table
    old = "postgresql://sogo:secret@old-db-host:5432/olddb"
    with folders.engine.begin() as conn:
        conn.execute(update(info).where(info.c.c_path == folder.path).values(
            c_location=f"{old}/{folder.content_table.name}",
            c_quick_location=f"{old}/{folder.quick_table.name}",
            c_acl_location=f"{old}/{folder.acl_table.name}"))
    moved = folders.get("user1", "Calendar", "personal")
    assert moved.get_object("a.ics").c_content == "A"
    assert moved.put_object("a.ics", "B", EVENT_QUICK, base_version=0) == (1, False)


# --- two processes ------------------------------------------------------------------

def _ensure_in_child(cfg, users, barrier, results):
    database.dispose_all()                         # as a forked sogod worker does
    storage = Storage.from_config(cfg)
    out = []
    for uid in users:
        barrier.wait(timeout=30)
        for kind in ("Calendar", "Contacts"):
            folder = storage.folders.ensure_personal(uid, kind)
            out.append((folder.path, folder.c_folder_id, folder.content_table.name))
    results.put(out)


@pytest.mark.parametrize("combined", [False, True], ids=["per-folder", "combined"])
def test_concurrent_ensure_personal(any_database, combined):
    cfg = any_database.sogo_config(combined=combined)
    storage = Storage.from_config(cfg)
    storage.create_missing_tables()
    database.dispose_all()
    ctx = multiprocessing.get_context("fork")
    users = [f"racer{i}" for i in range(5)]
    barrier, results = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_ensure_in_child, args=(cfg, users, barrier, results)) for _ in range(2)]
    for p in procs:
        p.start()
    outs = [results.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(30)
        assert p.exitcode == 0
    assert outs[0] == outs[1]                      # both saw the same folders
    for uid in users:
        for kind in ("Calendar", "Contacts"):
            assert len(storage.folders.list(uid, kind)) == 1
    if not combined:
        names = set(inspect(storage.folders.engine).get_table_names())
        racer_tables = {n for n in names if n.startswith("sogoracer")}
        assert racer_tables == {f"{t}{s}" for _p, _i, t in outs[0] for s in ("", "_quick", "_acl")}
    database.dispose_all()


def _put_in_child(cfg, worker, barrier, results):
    database.dispose_all()
    folder = Storage.from_config(cfg).folders.get("user1", "Calendar", "personal")
    outcomes = []
    for i in range(15):
        barrier.wait(timeout=30)
        try:                                       # everyone creates the same new name...
            folder.put_object(f"new{i}.ics", f"{worker}", EVENT_QUICK)
            outcomes.append("created")
        except VersionMismatch:
            outcomes.append("conflict")
        barrier.wait(timeout=30)
        seen = folder.get_object(f"new{i}.ics").c_version
        barrier.wait(timeout=30)
        try:                                       # ...then updates the version both saw
            folder.put_object(f"new{i}.ics", f"{worker} bis", EVENT_QUICK, base_version=seen)
            outcomes.append("updated")
        except VersionMismatch:
            outcomes.append("conflict")
    results.put(outcomes)


def test_concurrent_writes_of_one_object(any_database):
    """Creating or updating one object from two processes at once: either wins,
    the other gets VersionMismatch (HTTP 412), never another error."""
    cfg = any_database.sogo_config()
    storage = Storage.from_config(cfg)
    storage.create_missing_tables()
    storage.folders.ensure_personal("user1", "Calendar")
    database.dispose_all()
    ctx = multiprocessing.get_context("fork")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_put_in_child, args=(cfg, n, barrier, results)) for n in range(2)]
    for p in procs:
        p.start()
    outcomes = [results.get(timeout=90) for _ in procs]
    for p in procs:
        p.join(30)
    folder = storage.folders.get("user1", "Calendar", "personal")
    for i in range(15):
        create = sorted(o[2 * i] for o in outcomes)
        update = sorted(o[2 * i + 1] for o in outcomes)
        assert "created" in create                 # (both may succeed: the second then updates)
        assert update == ["conflict", "updated"]
        row = folder.get_object(f"new{i}.ics")
        assert row.c_content.endswith(" bis") and row.c_version in (1, 2)
    database.dispose_all()
