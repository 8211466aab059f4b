"""The daemon on a real PostgreSQL database, driven by the python `caldav` library.

The flows of test_caldav_client.py run here unchanged, once with one table set
per folder (SOGo's default) and once with OCSStoreURL/OCSAclURL/OCSCacheFolderURL
(the combined layout); the users live in a SQL source on the same database.
"""

from __future__ import annotations

import shutil
from datetime import datetime, timezone

import caldav
import pytest

from .sogod_env import Daemon, unprivileged_dir
# The same client flows as against the embedded SQLite daemon; they use `server` and `principal`.
from .test_caldav_client import (  # noqa: F401
    principal, test_another_user_cannot_reach_my_calendar, test_discovery_finds_the_personal_calendar,
    test_recurring_event_with_exceptions, test_save_search_update_delete, test_sync_tokens, test_todos,
)

pytestmark = pytest.mark.daemon


def write_config(directory, storage: dict, users_url: str):
    lines = [f'  {key} = "{value}";' for key, value in storage.items()]
    config = directory / "sogo.conf"
    config.write_text("{\n" + "\n".join(lines) + f"""
  SOGodEmbeddedUsersURL = "{users_url}";
  SOGoUserSources = (
    {{ type = sql; id = users; viewURL = "{users_url}"; canAuthenticate = YES; isAddressBook = YES;
       displayName = "Users"; userPasswordAlgorithm = ssha256; prependPasswordScheme = YES; }}
  );
  SOGoMailDomain = "example.com";
  SOGoTimeZone = "UTC";
  SOGoLanguage = English;
}}
""")
    return config


@pytest.fixture(scope="module", params=["per-folder", "combined"])
def database(request, postgresql_server):
    db = postgresql_server.new_database("caldavpg")
    return db, request.param == "combined"


@pytest.fixture(scope="module")
def server(database):
    from sogod.auth.embedded_users import EmbeddedUsers
    from sogod.store import database as store_database
    db, combined = database
    users = EmbeddedUsers(db.url("sogo_users"))
    users.ensure_table()
    users.add("demo", "demo", cn="Demo User", mail="demo@example.com")
    users.add("bob", "bobpw", cn="Bob", mail="bob@example.com")
    store_database.dispose_all()
    directory = unprivileged_dir()
    config = write_config(directory, db.sogo_config(combined=combined), db.url("sogo_users"))
    daemon = Daemon(config).start()
    yield daemon
    daemon.stop()
    shutil.rmtree(directory, ignore_errors=True)


def test_the_tables_of_the_layout_are_used(server, database):
    db, combined = database
    client = caldav.DAVClient(url=server.url + "/SOGo/dav/", username="demo", password="demo")
    cal = client.principal().calendar(cal_id="personal")
    cal.save_event(dtstart=datetime(2026, 7, 1, 10, tzinfo=timezone.utc),
                   dtend=datetime(2026, 7, 1, 11, tzinfo=timezone.utc), summary="on pg", uid="pg-1")
    conn = db.connect()
    try:
        cur = conn.cursor()
        cur.execute("SELECT c_location FROM sogo_folder_info "
                    "WHERE c_path2 = 'demo' AND c_path4 = 'personal' AND c_path3 = 'Calendar'")
        location = cur.fetchone()[0]
        if combined:
            cur.execute("SELECT count(*) FROM sogo_store WHERE c_name LIKE 'pg-1%'")
        else:
            table = location.rsplit("/", 1)[1]
            cur.execute(f"SELECT count(*) FROM {table} WHERE c_name LIKE 'pg-1%'")
        assert cur.fetchone()[0] == 1
    finally:
        conn.close()
    cal.event_by_uid("pg-1").delete()


def test_principal_search_on_the_sql_source(server):
    client = caldav.DAVClient(url=server.url + "/SOGo/dav/", username="demo", password="demo")
    found = client.search_principals(name="Bob")
    assert [str(p.url).rstrip("/").rsplit("/", 1)[1] for p in found] == ["bob"]
    assert client.search_principals(name="%") == []          # LIKE wildcards are escaped
    assert len(client.search_principals()) == 2
