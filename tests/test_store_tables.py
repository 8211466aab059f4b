"""Tables created by sogod compared column for column with SOGo's own DDL.

PostgreSQL: the reference is ``pg_dump`` of databases real SOGo 5.8 created
(/work/shared/fixtures/sogo-5.8/schema*.sql). MariaDB: the reference is the
DDL SOGo runs on MySQL, copied from its sources (tests/fixtures/store/).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import inspect

from sogod.store import Storage, database, tables
from sogod.store.folders import new_table_name

SOGO_FIXTURES = Path("/work/shared/fixtures/sogo-5.8")
STORE_FIXTURES = Path(__file__).parent / "fixtures" / "store"

REF_CALENDAR, REF_CONTACTS = "sogouser30216e744693", "sogouser302234d43582"


def pg_dump_script(name: str) -> str:
    """A pg_dump file without psql meta-commands (``\\restrict`` …)."""
    text = (SOGO_FIXTURES / name).read_text()
    return "\n".join(line for line in text.splitlines() if not line.startswith("\\"))


# --- layouts ------------------------------------------------------------------

def pg_layout(conn, table: str) -> dict:
    with conn.cursor() as cur:
        cur.execute("""SELECT column_name, ordinal_position, data_type, character_maximum_length,
                              numeric_precision, is_nullable, column_default, is_identity
                         FROM information_schema.columns
                        WHERE table_schema = 'public' AND table_name = %s
                        ORDER BY ordinal_position""", (table,))
        columns = cur.fetchall()
        cur.execute("""SELECT tc.constraint_type, tc.constraint_name, kcu.column_name, kcu.ordinal_position
                         FROM information_schema.table_constraints tc
                         JOIN information_schema.key_column_usage kcu
                           ON kcu.constraint_name = tc.constraint_name AND kcu.table_name = tc.table_name
                        WHERE tc.table_schema = 'public' AND tc.table_name = %s
                        ORDER BY 1, 2, 4""", (table,))
        constraints = cur.fetchall()
        cur.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s ORDER BY 1", (table,))
        indexes = cur.fetchall()
    assert columns, f"no table {table}"
    return _normalized(table, {"columns": columns, "constraints": constraints, "indexes": indexes})


def mysql_layout(conn, table: str) -> dict:
    with conn.cursor() as cur:
        cur.execute("""SELECT COLUMN_NAME, ORDINAL_POSITION, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT,
                              EXTRA, COLUMN_KEY, CHARACTER_SET_NAME, COLLATION_NAME
                         FROM information_schema.COLUMNS
                        WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s
                        ORDER BY ORDINAL_POSITION""", (table,))
        columns = cur.fetchall()
        cur.execute("""SELECT INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME, NON_UNIQUE
                         FROM information_schema.STATISTICS
                        WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s
                        ORDER BY 1, 2""", (table,))
        indexes = cur.fetchall()
        cur.execute("""SELECT ENGINE, TABLE_COLLATION FROM information_schema.TABLES
                        WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s""", (table,))
        options = cur.fetchall()
    assert columns, f"no table {table}"
    return _normalized(table, {"columns": columns, "indexes": indexes, "options": options})


def _normalized(table: str, layout: dict) -> dict:
    """Table names inside constraint, index and sequence names replaced by ``T``."""
    def norm(value):
        if isinstance(value, str):
            return re.sub(rf"\b{re.escape(table)}", "T", value)
        if isinstance(value, tuple):
            return tuple(norm(v) for v in value)
        return value
    return {k: [norm(row) for row in rows] for k, rows in layout.items()}


# --- our tables ---------------------------------------------------------------

def create_ours(db, *, combined: bool) -> dict[str, str]:
    """Create every table sogod would, in ``db``; return {reference name: our name}."""
    storage = Storage.from_config(db.sogo_config(combined=combined, SOGoEnableEMailAlarms="YES"))
    storage.create_missing_tables()
    names = {t: t for t in ("sogo_user_profile", "sogo_folder_info", "sogo_sessions_folder",
                            "sogo_alarms_folder")}
    if combined:
        names.update({t: t for t in ("sogo_store", "sogo_acl", "sogo_cache_folder",
                                     "sogo_quick_appointment", "sogo_quick_contact")})
        return names
    calendar = storage.folders.ensure_personal("user3", "Calendar")
    contacts = storage.folders.ensure_personal("user3", "Contacts")
    _engine, eas = storage.eas_cache("user3")
    names.update({
        REF_CALENDAR: calendar.content_table.name,
        f"{REF_CALENDAR}_quick": calendar.quick_table.name,
        f"{REF_CALENDAR}_acl": calendar.acl_table.name,
        REF_CONTACTS: contacts.content_table.name,
        f"{REF_CONTACTS}_quick": contacts.quick_table.name,
        f"{REF_CONTACTS}_acl": contacts.acl_table.name,
        "sogo_cache_folder_user3": eas.name,
    })
    return names


def assert_same_layouts(layout, ref, ours, names: dict[str, str]) -> None:
    """Each of our tables has the layout of the reference table it maps from."""
    ref_conn, our_conn = ref.connect(), ours.connect()
    try:
        for ref_name, our_name in names.items():
            ref_name = ref_name.partition("#")[0]
            assert layout(our_conn, our_name) == layout(ref_conn, ref_name), our_name
    finally:
        ref_conn.close()
        our_conn.close()
    database.dispose_all()


# --- PostgreSQL -----------------------------------------------------------------

@pytest.mark.parametrize("combined", [False, True], ids=["per-folder", "combined"])
def test_postgresql_tables_match_sogo_dump(postgresql_server, combined):
    ref = postgresql_server.new_database("ref")
    ref.execute_script(pg_dump_script("schema-combined.sql" if combined else "schema.sql"))
    ref.execute_script((STORE_FIXTURES / "sogo-alarms-postgresql.sql").read_text())
    ours = postgresql_server.new_database("ours")
    assert_same_layouts(pg_layout, ref, ours, create_ours(ours, combined=combined))


def test_postgresql_folder_id_is_serial_not_primary_key(postgresql_server):
    db = postgresql_server.new_database()
    create_ours(db, combined=False)
    conn = db.connect()
    with conn.cursor() as cur:
        cur.execute("SELECT column_default FROM information_schema.columns "
                    "WHERE table_name = 'sogo_folder_info' AND column_name = 'c_folder_id'")
        assert cur.fetchone()[0] == "nextval('sogo_folder_info_c_folder_id_seq'::regclass)"
        cur.execute("SELECT c_folder_id FROM sogo_folder_info ORDER BY c_folder_id")
        assert [r[0] for r in cur.fetchall()] == [1, 2]
    conn.close()
    database.dispose_all()


# --- MariaDB ---------------------------------------------------------------------

def test_mariadb_tables_match_sogo_mysql_ddl(mariadb_server):
    ref = mariadb_server.new_database("ref")
    ref.execute_script((STORE_FIXTURES / "sogo-mysql.sql").read_text())
    ours = mariadb_server.new_database("ours")
    names = create_ours(ours, combined=True)
    names.update(create_ours(ours, combined=False))
    for contacts_table in (REF_CONTACTS, f"{REF_CONTACTS}_acl"):      # same DDL as the calendar's
        names[REF_CALENDAR + contacts_table[len(REF_CONTACTS):] + "#contacts"] = names.pop(contacts_table)
    assert_same_layouts(mysql_layout, ref, ours, names)


def test_mariadb_folder_id_is_serial(mariadb_server):
    db = mariadb_server.new_database()
    create_ours(db, combined=False)
    conn = db.connect()
    layout = mysql_layout(conn, "sogo_folder_info")
    conn.close()
    folder_id = layout["columns"][0]
    assert folder_id[:3] == ("c_folder_id", 1, "bigint(20) unsigned")
    assert folder_id[5] == "auto_increment"
    assert ("c_folder_id", 1, "c_folder_id", 0) in layout["indexes"]      # SERIAL's UNIQUE
    assert ("PRIMARY", 1, "c_path", 0) in layout["indexes"]
    database.dispose_all()


# --- SQLite (sogod only) ----------------------------------------------------------

@pytest.mark.parametrize("combined", [False, True], ids=["per-folder", "combined"])
def test_sqlite_has_the_same_columns(sqlite_url, combined):
    names = create_ours(sqlite_url, combined=combined)
    engine = database.get_engine(sqlite_url.url("x"))
    insp = inspect(engine)
    for ref_name, our_name in names.items():
        columns = [c["name"] for c in insp.get_columns(our_name)]
        assert columns == [c.name for c in _factory_for(ref_name, our_name).columns]
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    database.dispose_all()


def _factory_for(ref_name: str, name: str):
    fixed = {
        "sogo_user_profile": tables.user_profile_table, "sogo_folder_info": tables.folder_info_table,
        "sogo_sessions_folder": tables.sessions_table, "sogo_alarms_folder": tables.alarms_table,
        "sogo_store": tables.store_table, "sogo_acl": tables.combined_acl_table,
        "sogo_cache_folder": tables.cache_folder_table,
    }
    if name in fixed:
        return fixed[name](name)
    if name.startswith("sogo_quick_"):
        return tables.quick_table(name, name[len("sogo_quick_"):].capitalize(), True)
    if name.startswith("sogo_cache_folder_"):
        return tables.eas_cache_table(name)
    if name.endswith("_acl"):
        return tables.acl_table(name)
    if name.endswith("_quick"):
        return tables.quick_table(name, "Appointment" if ref_name.startswith(REF_CALENDAR) else "Contact")
    return tables.content_table(name)


# --- names -------------------------------------------------------------------------

def test_table_names_follow_sogo():
    for uid, prefix in (("user3", "sogouser3"), ("jean-pierre.dupont@example.com", "sogojeanpier"),
                        ("Ärger_42", "sogorger42")):
        name = new_table_name(uid)
        assert re.fullmatch(rf"{prefix}[0-9a-f]{{3}}[0-7][0-9a-f]{{7}}", name), name
    # like the real ones: sogo + user3 + 021 + 6e744693
    assert re.fullmatch(r"sogo(\w{1,8})[0-9a-f]{3}[0-9a-f]{8}", REF_CALENDAR)


def test_eas_cache_table_names():
    assert tables.eas_cache_table_name("user3") == "sogo_cache_folder_user3"
    assert tables.eas_cache_table_name("jean-pierre@example.com") == \
        "sogo_cache_folder_jean_pierre_A_example_D_com"
    assert tables.eas_cache_table_name("1abc") == "sogo_cache_folder__1abc"
