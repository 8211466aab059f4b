"""sogod on a database real SOGo 5.8 created and filled.

The schema is SOGo's own ``pg_dump`` (/work/shared/fixtures/sogo-5.8); the rows
are those SOGo wrote (tests/fixtures/store/sogo-5.8-rows*.sql, from
folder-info*.txt and sample-rows*.txt). sogod must read them and write new
rows the way SOGo would, so that SOGo can take over the database again.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sogod.store import Storage, database

from .test_store_tables import pg_dump_script, pg_layout

STORE_FIXTURES = Path(__file__).parent / "fixtures" / "store"
QUICK = dict(c_uid="new@sogod", c_title="New", c_classification=0, c_isopaque=1, c_status=1,
             c_component="vevent", c_startdate=1768471200, c_enddate=1768474800, c_nextalarm=0)


class Clock:
    def __init__(self, now: int):
        self.now = now

    def __call__(self) -> float:
        return self.now


def sogo_database(server, combined: bool):
    db = server.new_database("sogo")
    suffix = "-combined" if combined else ""
    db.execute_script(pg_dump_script(f"schema{suffix}.sql"))
    db.execute_script((STORE_FIXTURES / f"sogo-5.8-rows{suffix}.sql").read_text())
    return db


def query(db, sql, *args):
    conn = db.connect()
    try:
        with conn.cursor() as cur:
            cur.execute(sql, args)
            return cur.fetchall()
    finally:
        conn.close()


@pytest.fixture
def sogo(postgresql_server):
    db = sogo_database(postgresql_server, combined=False)
    storage = Storage.from_config(db.sogo_config())
    storage.create_missing_tables()                     # finds them all: creates nothing
    storage.folders.clock = Clock(1795600000)
    yield db, storage
    database.dispose_all()


def test_reads_what_sogo_wrote(sogo):
    db, storage = sogo
    folders = storage.folders
    calendar = folders.get("user3", "Calendar", "personal")
    assert (calendar.c_folder_id, calendar.display_name, calendar.folder_type) == \
        (51, "Personal Calendar", "Appointment")
    assert calendar.content_table.name == "sogouser30216e744693"      # host 127.0.0.1:5433/sogo ignored
    assert [r.c_name for r in calendar.list_objects()] == ["test1.ics", "test2.ics", "todo1.ics"]
    test1 = calendar.get_object("test1.ics")
    assert (test1.c_version, test1.c_creationdate, test1.c_lastmodified) == (3, 1795515959, 1795515961)
    assert test1.c_content.startswith("BEGIN:VCALENDAR\r\nPRODID:-//realsogo//transcripts//EN\r\n")
    assert calendar.get_object("test3.ics") is None                       # soft-deleted
    assert calendar.ctag() == 1795515961
    assert [(r.c_name, r.c_deleted) for r in calendar.changes_since(1795515959)] == \
        [("test1.ics", None), ("test3.ics", 1)]
    assert {r.c_name for r in calendar.quick_rows()} == {"test1.ics", "test2.ics", "todo1.ics", "webevent1"}
    assert [f.folder_id for f in folders.list("user3", "Contacts")] == ["personal"]
    contacts = folders.ensure_personal("user3", "Contacts")              # existing one
    assert contacts.c_folder_id == 52
    assert [r.c_name for r in contacts.list_objects()] == ["card1.vcf", "card2.vcf"]
    assert storage.profiles.get("user3") == ({}, {
        "Calendar": {"FoldersOrder": ["personal"], "FolderColors": {}, "EventsSortingState": ["start", "0"]},
        "ShowCompletedTasks": "0"})
    session = storage.sessions.get("3cua88JbHiPi5aPV")
    assert (len(session.value), session.creationdate) == (3010, 1795514140)
    engine, eas = storage.eas_cache("user3")
    with engine.connect() as conn:
        assert conn.execute(eas.select()).one().c_version == 24
    assert len(query(db, "SELECT * FROM sogo_folder_info")) == 13


def test_writes_keep_sogo_layout(sogo):
    db, storage = sogo
    now = storage.folders.clock.now
    calendar = storage.folders.get("user3", "Calendar", "personal")
    assert calendar.put_object("test1.ics", "BEGIN:VCALENDAR\r\nEND:VCALENDAR", dict(QUICK, c_uid="test1@realsogo"),
                               base_version=3) == (4, False)
    assert calendar.put_object("test3.ics", "BEGIN:VCALENDAR\r\nEND:VCALENDAR", QUICK) == (0, True)
    assert calendar.delete_object("todo1.ics")
    rows = query(db, "SELECT c_name, c_creationdate, c_lastmodified, c_version, c_deleted "
                     "FROM sogouser30216e744693 ORDER BY c_name")
    assert rows == [("test1.ics", 1795515959, now, 4, None), ("test2.ics", 1795515959, 1795515959, 0, None),
                    ("test3.ics", now, now, 0, None), ("todo1.ics", 1795515959, now, 0, 1)]
    quick = query(db, "SELECT c_name, c_uid, c_title FROM sogouser30216e744693_quick ORDER BY c_name")
    assert quick == [("test1.ics", "test1@realsogo", "New"), ("test2.ics", "test2@realsogo", "Weekly standup"),
                     ("test3.ics", "new@sogod", "New"), ("webevent1", "webevent1", "Created via web JSON")]

    storage.profiles.set_defaults("user3", {"SOGoLanguage": "French"})
    [(defaults, settings)] = query(db, "SELECT c_defaults, c_settings FROM sogo_user_profile WHERE c_uid = 'user3'")
    assert defaults == '{"SOGoLanguage":"French"}' and settings.startswith('{"Calendar":')
    storage.profiles.set_settings("user5", {"Mail": {}})
    assert query(db, "SELECT c_defaults, c_settings FROM sogo_user_profile WHERE c_uid = 'user5'") == \
        [(None, '{"Mail":{}}')]

    calendar.set_roles("user1", None, ["PublicViewer"])
    assert query(db, "SELECT c_uid, c_object, c_role FROM sogouser30216e744693_acl") == \
        [("user1", "/user3/Calendar/personal", "PublicViewer")]


def test_new_folders_look_like_sogo_ones(sogo, postgresql_server):
    db, storage = sogo
    folder = storage.folders.ensure_personal("user5", "Calendar")
    [row] = query(db, "SELECT * FROM sogo_folder_info WHERE c_path2 = 'user5'")
    folder_id, path, p1, p2, p3, p4, name, location, quick, acl, ftype = row
    assert folder_id == 110                                         # the SERIAL goes on
    assert (path, p1, p2, p3, p4, name, ftype) == (
        "/Users/user5/Calendar/personal", "Users", "user5", "Calendar", "personal", "Personal Calendar",
        "Appointment")
    base = f"postgresql://sogo:sogo@127.0.0.1:{postgresql_server.port}/{db.name}"
    table = folder.content_table.name
    assert re.fullmatch(r"sogouser5[0-9a-f]{11}", table)
    assert (location, quick, acl) == (f"{base}/{table}", f"{base}/{table}_quick", f"{base}/{table}_acl")
    conn = db.connect()
    try:
        for ours, sogos in ((table, "sogouser30216e744693"), (f"{table}_quick", "sogouser30216e744693_quick"),
                            (f"{table}_acl", "sogouser30216e744693_acl")):
            assert pg_layout(conn, ours) == pg_layout(conn, sogos)
        book = storage.folders.create("user5", "Contacts", "work", "Work")
        assert pg_layout(conn, book.quick_table.name) == pg_layout(conn, "sogouser302234d43582_quick")
    finally:
        conn.close()


def test_combined_mode(postgresql_server):
    db = sogo_database(postgresql_server, combined=True)
    storage = Storage.from_config(db.sogo_config(combined=True))
    storage.create_missing_tables()
    storage.folders.clock = Clock(now := 1795600000)
    try:
        calendar = storage.folders.get("user1", "Calendar", "personal")
        assert calendar.c_folder_id == 1 and calendar.content_table.name == "sogo_store"
        row = calendar.get_object("combined1.ics")
        assert (row.c_version, row.c_lastmodified) == (6, 1795515899)
        assert calendar.ctag() == 1795515899
        assert [r.c_title for r in calendar.quick_rows()] == ["combined"]
        contacts = storage.folders.get("user1", "Contacts", "personal")
        assert [r.c_name for r in contacts.list_objects()] == ["combined1.vcf"]
        assert calendar.get_object("combined1.vcf") is None

        assert calendar.put_object("combined1.ics", "X", QUICK, base_version=6) == (7, False)
        assert calendar.put_object("new.ics", "Y", QUICK) == (0, True)
        contacts.delete_object("combined1.vcf")
        assert query(db, "SELECT c_folder_id, c_name, c_version, c_deleted, c_lastmodified FROM sogo_store "
                         "ORDER BY 1, 2") == [(1, "combined1.ics", 7, None, now), (1, "new.ics", 0, None, now),
                                              (2, "combined1.vcf", 6, 1, now)]
        assert query(db, "SELECT c_folder_id, c_name FROM sogo_quick_appointment ORDER BY 2") == \
            [(1, "combined1.ics"), (1, "new.ics")]
        assert query(db, "SELECT count(*) FROM sogo_quick_contact") == [(0,)]

        work = storage.folders.create("user1", "Calendar", "work", "Work")
        assert work.c_folder_id == 3
        [(location,)] = query(db, "SELECT c_location FROM sogo_folder_info WHERE c_folder_id = 3")
        assert location.startswith(f"postgresql://sogo:sogo@127.0.0.1:{postgresql_server.port}/{db.name}/sogouser1")
        tables = {r[0] for r in query(db, "SELECT table_name FROM information_schema.tables "
                                          "WHERE table_schema = 'public'")}
        assert not any(t.startswith("sogouser") for t in tables)          # no per-folder tables
        work.put_object("w.ics", "W", QUICK)
        work.set_roles("user2", None, ["PublicViewer"])
        assert query(db, "SELECT c_folder_id, c_object, c_uid, c_role FROM sogo_acl") == \
            [(3, "/user1/Calendar/work", "user2", "PublicViewer")]
        storage.folders.delete(work)
        assert query(db, "SELECT count(*) FROM sogo_store WHERE c_folder_id = 3") == [(0,)]
        assert query(db, "SELECT count(*) FROM sogo_acl") == [(0,)]
        assert query(db, "SELECT count(*) FROM sogo_store") == [(3,)]
    finally:
        database.dispose_all()
