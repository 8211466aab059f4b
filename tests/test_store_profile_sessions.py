"""User profiles and web sessions on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import insert, select

from sogod.store import Storage, database


class Clock:
    def __init__(self, now: int = 1_700_000_000):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def storage(any_database):
    storage = Storage.from_config(any_database.sogo_config())
    storage.create_missing_tables()
    yield storage
    database.dispose_all()


def stored_profile(storage, uid):
    t = storage.profiles.table
    with database.get_engine(storage.profile_url).connect() as conn:
        return conn.execute(select(t.c.c_defaults, t.c.c_settings).where(t.c.c_uid == uid)).first()


def test_profile_round_trip(storage):
    profiles = storage.profiles
    assert profiles.get("user3") == ({}, {})
    settings = {"Calendar": {"FoldersOrder": ["personal"], "FolderColors": {}},
                "ShowCompletedTasks": "0"}
    profiles.set_settings("user3", settings)
    # as SOGo: the first write inserts only its own column
    assert tuple(stored_profile(storage, "user3")) == (
        None, '{"Calendar":{"FoldersOrder":["personal"],"FolderColors":{}},"ShowCompletedTasks":"0"}')
    assert profiles.get("user3") == ({}, settings)
    defaults = {"SOGoLanguage": "French", "SOGoMailSignature": "Å bientôt 🍕"}
    profiles.set_defaults("user3", defaults)
    profiles.set_defaults("user3", defaults)            # unchanged row: still an update
    assert profiles.get("user3") == (defaults, settings)
    profiles.set_settings("user3", {})
    assert profiles.get("user3") == (defaults, {})
    assert stored_profile(storage, "user3").c_settings == "{}"
    assert profiles.get("someone-else") == ({}, {})
    with pytest.raises(TypeError):
        profiles.set_defaults("user3", ["not", "a", "dict"])


def test_profile_tolerates_legacy_values(storage, caplog):
    t = storage.profiles.table
    with database.get_engine(storage.profile_url).begin() as conn:
        conn.execute(insert(t).values(c_uid="old", c_defaults='{ SOGoLanguage = French; }',
                                      c_settings='["not an object"]'))
        conn.execute(insert(t).values(c_uid="blank", c_defaults="", c_settings=None))
    with caplog.at_level(logging.WARNING, logger="sogod.store.profile"):
        assert storage.profiles.get("old") == ({}, {})
    assert "legacy" in caplog.text
    assert storage.profiles.get("blank") == ({}, {})
    storage.profiles.set_defaults("old", {"SOGoLanguage": "French"})
    assert storage.profiles.get("old") == ({"SOGoLanguage": "French"}, {})


def test_session_round_trip(storage):
    sessions = storage.sessions
    sessions.clock = clock = Clock()
    assert sessions.get("nope") is None
    value = "x" * 4096                                  # VARCHAR(4096) since SOGo 5.6
    created = sessions.put("3cua88JbHiPi5aPV", value)
    assert (created.value, created.creationdate, created.lastseen) == (value, clock.now, clock.now)
    assert sessions.get("3cua88JbHiPi5aPV") == created
    clock.now += 60
    assert sessions.touch("3cua88JbHiPi5aPV") is True
    assert sessions.get("3cua88JbHiPi5aPV").lastseen == clock.now
    assert sessions.touch("nope") is False
    replaced = sessions.put("3cua88JbHiPi5aPV", "new")
    assert (replaced.value, replaced.creationdate) == ("new", clock.now - 60)
    assert sessions.put("3cua88JbHiPi5aPV", "new") == replaced          # unchanged row
    assert sessions.touch("3cua88JbHiPi5aPV") is True                   # same second
    with pytest.raises(ValueError):
        sessions.put("k", "x" * 4097)
    assert sessions.delete("3cua88JbHiPi5aPV") is True
    assert sessions.delete("3cua88JbHiPi5aPV") is False


def test_session_expiry(storage):
    sessions = storage.sessions
    sessions.clock = clock = Clock(1000)
    sessions.put("old", "a")
    clock.now = 2000
    sessions.put("recent", "b")
    clock.now = 2500
    assert sessions.expire(1000) == 1                   # last seen before 1500
    assert sessions.get("old") is None and sessions.get("recent") is not None
    assert sessions.expire(1000) == 0
