"""sogo-tool: dump-defaults and the built-in user table, run as commands."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sogod.config import loads

from .sogod_env import ROOT, embedded_config

TOOL = [sys.executable, "-m", "sogo_tool"]


def tool(*args, stdin=None):
    return subprocess.run(TOOL + list(args), cwd=ROOT, capture_output=True, text=True, input=stdin, timeout=60)


@pytest.fixture
def config(tmp_path):
    return embedded_config(tmp_path)


def test_dump_defaults_prints_the_effective_configuration(config):
    result = tool("--config", str(config), "-WOWorkersCount", "7", "dump-defaults", "all")
    assert result.returncode == 0, result.stderr
    values = loads(result.stdout)
    assert values["WOWorkersCount"] == "7"                 # command line wins
    assert values["SOGoMailDomain"] == "example.com"       # from the file
    assert values["SxVMemLimit"] == "384"                  # built-in default
    assert values["SOGoUserSources"][0]["type"] == "sql"


def test_dump_defaults_f_converts_an_xml_plist(tmp_path):
    xml = tmp_path / "defaults.plist"
    xml.write_text('<?xml version="1.0" encoding="UTF-8"?><plist version="1.0"><dict>'
                   "<key>SOGoTimeZone</key><string>Europe/Paris</string>"
                   "<key>WOWorkersCount</key><integer>3</integer></dict></plist>")
    result = tool("dump-defaults", "-f", str(xml))
    assert result.returncode == 0, result.stderr
    assert loads(result.stdout) == {"SOGoTimeZone": "Europe/Paris", "WOWorkersCount": "3"}


def test_user_add_list_passwd_remove(config):
    from sogod.auth.directory import UserDirectory
    from sogod.cache import LocalCache
    from sogod.config import load_system_defaults
    from sogod.store import database

    def authenticate(login, password):
        directory = UserDirectory.from_config(load_system_defaults(str(config), {}), LocalCache())
        try:
            return directory.authenticate(login, password)
        finally:
            database.dispose_all()

    c = ["--config", str(config)]
    assert tool(*c, "user", "add", "carol", "--cn", "Carol Danvers", "--mail", "carol@example.com",
                stdin="first-pw\n").returncode == 0
    listing = tool(*c, "user", "list").stdout.splitlines()
    assert "carol\tCarol Danvers\tcarol@example.com" in listing and any(l.startswith("demo\t") for l in listing)
    assert authenticate("carol", "first-pw").cn == "Carol Danvers"

    assert tool(*c, "user", "passwd", "carol", stdin="second-pw\n").returncode == 0
    assert authenticate("carol", "first-pw") is None
    assert authenticate("carol", "second-pw") is not None

    again = tool(*c, "user", "add", "carol", stdin="x\n")
    assert again.returncode == 1 and "already exists" in again.stderr
    assert tool(*c, "user", "remove", "carol").returncode == 0
    assert authenticate("carol", "second-pw") is None
    missing = tool(*c, "user", "remove", "carol")
    assert missing.returncode == 1 and "no user" in missing.stderr


@pytest.mark.parametrize("args, message", [
    (["user", "add", "bad/name"], "invalid user id"),
    (["user", "add", "empty"], "empty password"),
    (["user", "frobnicate"], "user add"),
])
def test_user_errors_are_clear(config, args, message):
    result = tool("--config", str(config), *args, stdin="\n")
    assert result.returncode in (1, 2)
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_config_is_a_message_not_a_traceback(tmp_path):
    conf = tmp_path / "sogo.conf"
    conf.write_text('{ WOPort = "127.0.0.1:1"\n  WOWorkersCount = 2; }')
    result = tool("--config", str(conf), "dump-defaults")
    assert result.returncode == 1 and "sogo.conf line 1" in result.stderr and "Traceback" not in result.stderr


def test_no_command_prints_usage():
    result = tool()
    assert result.returncode == 2 and "dump-defaults" in result.stderr


def test_expire_sessions_drops_idle_rows_quietly(config):
    import time

    from sogod.config import load_system_defaults
    from sogod.store import Storage, database
    storage = Storage.from_config(load_system_defaults(str(config), {}))
    storage.create_missing_tables()
    storage.sessions.put("fresh", "value-1")
    storage.sessions.put("stale", "value-2")
    storage.sessions.clock = lambda: time.time() - 2 * 3600
    storage.sessions.touch("stale")                     # last seen two hours ago
    database.dispose_all()
    result = tool("--config", str(config), "expire-sessions", "60")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")   # cron mails any output
    assert storage.sessions.get("stale") is None and storage.sessions.get("fresh") is not None


@pytest.mark.parametrize("args", [[], ["soon"], ["-5"], ["1", "2"]])
def test_expire_sessions_usage(config, args):
    result = tool("--config", str(config), "expire-sessions", *args)
    assert result.returncode == 2 and "usage: sogo-tool expire-sessions MINUTES" in result.stderr
