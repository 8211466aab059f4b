"""Engine registry, fork safety, errors without passwords, creation races,
several writer processes, and Storage built from a configuration."""

from __future__ import annotations

import gc
import logging
import multiprocessing

import pytest
from sqlalchemy import text

from sogod.store import (
    Storage, StoreError, StoreUnavailable, database, ensure_table, parse_store_url, tables,
)

QUICK = dict(c_uid="u", c_title="t", c_classification=0, c_isopaque=1, c_status=1, c_component="vevent")


@pytest.fixture(autouse=True)
def _fresh_registry():
    database.dispose_all()
    yield
    database.dispose_all()


def test_one_engine_per_database(postgresql_server):
    one, two = postgresql_server.new_database(), postgresql_server.new_database()
    engine = database.get_engine(one.url("sogo_user_profile"))
    assert database.get_engine(parse_store_url(one.url("sogo_folder_info"))) is engine
    assert database.get_engine(two.url("sogo_user_profile")) is not engine
    database.dispose_all()
    assert database.get_engine(one.url("sogo_user_profile")) is not engine


def _backend_pid_in_child(url, queue):
    database.dispose_all()                             # what sogod's post_fork does
    gc.collect()                                       # inherited connections must stay open
    with database.get_engine(url).connect() as conn:
        queue.put(conn.execute(text("SELECT pg_backend_pid()")).scalar())
    database.dispose_all()
    gc.collect()
    queue.put("done")


def test_fork_does_not_share_or_break_connections(postgresql_server):
    url = postgresql_server.new_database().url("t")
    engine = database.get_engine(url)
    with engine.connect() as conn:
        parent_pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_backend_pid_in_child, args=(url, queue))
    child.start()
    child_pid = queue.get(timeout=30)
    assert queue.get(timeout=30) == "done"
    child.join(30)
    assert child.exitcode == 0
    assert child_pid != parent_pid
    with engine.connect() as conn:                     # the parent's pooled connection survived
        assert conn.execute(text("SELECT pg_backend_pid()")).scalar() == parent_pid


def test_unreachable_database_names_url_without_password():
    from tests.services import free_port
    port = free_port()
    cfg = {"SOGoProfileURL": f"postgresql://sogo:s3cr%40t@127.0.0.1:{port}/sogo/sogo_user_profile",
           "OCSFolderInfoURL": f"postgresql://sogo:s3cr%40t@127.0.0.1:{port}/sogo/sogo_folder_info"}
    with pytest.raises(StoreUnavailable) as err:
        Storage.from_config(cfg).create_missing_tables()
    message = str(err.value)
    assert f"postgresql://sogo:***@127.0.0.1:{port}/sogo/sogo_user_profile" in message
    assert "s3cr" not in message


@pytest.mark.parametrize("server", ["postgresql_server", "mariadb_server"])
def test_wrong_password_is_reported_without_it(request, server):
    db = request.getfixturevalue(server).new_database()
    url = db.url("sogo_user_profile").replace("sogo:sogo@", "sogo:Wr0ngPw@")
    storage = Storage(profile_url=url, folder_info_url=db.url("sogo_folder_info"))
    with pytest.raises(StoreUnavailable) as err:
        storage.profiles.get("user1")
    assert "Wr0ngPw" not in str(err.value) and ":***@" in str(err.value)


def test_missing_sqlite_directory(tmp_path):
    url = f"sqlite://{tmp_path}/missing/sogo.db/sogo_user_profile"
    with pytest.raises(StoreUnavailable, match="unable to open database file"):
        ensure_table(url, tables.user_profile_table)


def _ensure_in_child(url, barrier, queue):
    database.dispose_all()
    barrier.wait(timeout=30)
    try:
        ensure_table(url, tables.folder_info_table)
        ensure_table(parse_store_url(url).for_table("sogo_acl"), tables.combined_acl_table)
        queue.put("ok")
    except Exception as exc:                            # reported to the test
        queue.put(repr(exc))


def test_table_creation_race(any_database):
    url = any_database.url("sogo_folder_info")
    ctx = multiprocessing.get_context("fork")
    barrier, queue = ctx.Barrier(3), ctx.Queue()
    procs = [ctx.Process(target=_ensure_in_child, args=(url, barrier, queue)) for _ in range(3)]
    for p in procs:
        p.start()
    assert [queue.get(timeout=60) for _ in procs] == ["ok"] * 3
    for p in procs:
        p.join(30)


def _write_many(cfg, worker, barrier, queue):
    database.dispose_all()
    folder = Storage.from_config(cfg).folders.ensure_personal("user1", "Calendar")
    barrier.wait(timeout=30)
    try:
        for i in range(40):
            folder.put_object(f"w{worker}-{i}.ics", "x", QUICK)
            folder.put_object("shared.ics", f"{worker}-{i}", QUICK)     # same row from everyone
            folder.ctag()
        queue.put("ok")
    except Exception as exc:
        queue.put(repr(exc))


def test_sqlite_several_writer_processes(sqlite_url):
    cfg = sqlite_url.sogo_config()
    storage = Storage.from_config(cfg)
    storage.create_missing_tables()
    storage.folders.ensure_personal("user1", "Calendar")
    database.dispose_all()
    ctx = multiprocessing.get_context("fork")
    barrier, queue = ctx.Barrier(3), ctx.Queue()
    procs = [ctx.Process(target=_write_many, args=(cfg, n, barrier, queue)) for n in range(3)]
    for p in procs:
        p.start()
    assert [queue.get(timeout=120) for _ in procs] == ["ok"] * 3
    for p in procs:
        p.join(30)
    folder = storage.folders.get("user1", "Calendar", "personal")
    assert len(folder.list_objects()) == 3 * 40 + 1
    assert folder.get_object("shared.ics").c_version == 3 * 40 - 1


def test_storage_from_config(tmp_path, caplog):
    db = f"sqlite://{tmp_path}/s.db"
    base = {"SOGoProfileURL": f"{db}/sogo_user_profile", "OCSFolderInfoURL": f"{db}/sogo_folder_info"}
    with pytest.raises(StoreError, match="OCSFolderInfoURL"):
        Storage.from_config({"SOGoProfileURL": base["SOGoProfileURL"]})
    storage = Storage.from_config(base)
    assert not storage.combined and storage.sessions is None
    with caplog.at_level(logging.WARNING, logger="sogod.store.storage"):
        partial = Storage.from_config(dict(base, OCSStoreURL=f"{db}/sogo_store", OCSAclURL=f"{db}/sogo_acl"))
    assert not partial.combined and "combined mode needs" in caplog.text
    combined = Storage.from_config(dict(base, OCSStoreURL=f"{db}/sogo_store", OCSAclURL=f"{db}/sogo_acl",
                                        OCSCacheFolderURL=f"{db}/sogo_cache_folder"))
    assert combined.combined
    alarms = Storage.from_config(dict(base, SOGoEnableEMailAlarms="YES"))
    with pytest.raises(StoreError, match="OCSEMailAlarmsFolderURL"):
        alarms.create_missing_tables()


def test_mysql_encoding_is_the_connection_charset(mariadb_server):
    db = mariadb_server.new_database()
    storage = Storage.from_config(db.sogo_config(MySQL4Encoding="utf8"))
    engine = database.get_engine(storage.profile_url)
    assert engine.url.query["charset"] == "utf8"
    with engine.connect() as conn:
        assert conn.execute(text("SELECT @@character_set_client")).scalar() in ("utf8", "utf8mb3")
    storage = Storage.from_config(db.sogo_config())
    with database.get_engine(storage.profile_url).connect() as conn:
        assert conn.execute(text("SELECT @@character_set_client")).scalar() == "utf8mb4"


def test_eas_cache_tables(any_database):
    storage = Storage.from_config(any_database.sogo_config())
    storage.create_missing_tables()
    engine, table = storage.eas_cache("jean-pierre@example.com")
    assert table.name == "sogo_cache_folder_jean_pierre_A_example_D_com"
    with engine.begin() as conn:
        conn.execute(table.insert().values(c_path="/dev1", c_type=200, c_creationdate=1, c_lastmodified=1))
        row = conn.execute(table.select()).one()
    assert (row.c_version, row.c_deleted) == (0, 0)
    combined = Storage.from_config(any_database.sogo_config(combined=True))
    combined.create_missing_tables()
    assert combined.eas_cache("user1")[1].name == "sogo_cache_folder"
