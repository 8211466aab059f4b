"""sogod.config.defaults and argv: the defaults chain and the -Key value arguments."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sogod.config import (KEYS, ConfigError, ConfigValueError, DomainDefaults, PlistError,
                          SystemDefaults, UserDefaults, load_system_defaults, parse_args)

FIXTURES = Path(__file__).parent / "fixtures" / "config"
MULTIDOMAIN = str(FIXTURES / "guide-multidomain.conf")


def write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.fixture
def conf(tmp_path):
    return write(tmp_path / "sogo.conf", """{
    WOWorkersCount = 2;
    WOPort = "127.0.0.1:20001";
    SOGoMailDomain = example.com;
    SOGoUserSources = ( { type = sql; id = file; viewURL = "mysql://u:p@h/db/t"; } );
    domains = { example.com = { SOGoMailDomain = example.com; }; };
}
""")


# --------------------------------------------------------------------------- precedence

def test_command_line_beats_file_beats_built_in(conf):
    defaults = load_system_defaults(conf, {"WOWorkersCount": "5"})
    assert defaults.int("WOWorkersCount") == 5
    assert defaults.get("WOPort") == "127.0.0.1:20001"
    assert defaults.get("WOLogFile") == "/var/log/sogo/sogo.log"
    assert defaults.source_of("WOWorkersCount") == "command line"
    assert defaults.source_of("WOPort") == f"{conf} line 3"
    assert defaults.source_of("WOLogFile") == "built-in"
    assert defaults.source_of("SOGoProfileURL") is None
    assert defaults.path == conf


def test_layers_merge_per_top_level_key_only(conf):
    sources = '({ type = sql; id = argv; viewURL = "mysql://u:p@h/db/t2"; })'
    overrides, _ = parse_args(["-SOGoUserSources", sources, "-domains", "{ other.org = {}; }"])
    defaults = load_system_defaults(conf, overrides)
    assert [s["id"] for s in defaults["SOGoUserSources"]] == ["argv"]
    assert list(defaults["domains"]) == ["other.org"]
    assert defaults.source_of("domains") == "command line"


def test_without_a_file_only_built_in_defaults():
    defaults = load_system_defaults(None, {})
    assert defaults.path is None and defaults.warnings == []
    assert defaults.effective() == {k.name: k.default for k in KEYS.values()}


def test_missing_file_is_an_error_naming_it(tmp_path):
    path = str(tmp_path / "nope.conf")
    with pytest.raises(ConfigError) as info:
        load_system_defaults(path, {})
    assert str(info.value) == f"cannot read the configuration {path}: no such file"


def test_directory_instead_of_file(tmp_path):
    with pytest.raises(ConfigError, match="it is a directory"):
        load_system_defaults(str(tmp_path), {})


def test_syntax_errors_keep_file_and_line(tmp_path):
    path = write(tmp_path / "sogo.conf", "{\n WOPort = 1\n WOWorkersCount = 2;\n}\n")
    with pytest.raises(PlistError) as info:
        load_system_defaults(path, {})
    assert str(info.value) == f"{path} line 2: expected ';' after value of 'WOPort'"


def test_type_errors_keep_file_and_line(tmp_path):
    path = write(tmp_path / "sogo.conf", "{\n\n WOWorkersCount = three;\n}\n")
    with pytest.raises(ConfigValueError) as info:
        load_system_defaults(path, {})
    assert str(info.value) == f"{path} line 3: WOWorkersCount: expected an integer, got 'three'"
    assert isinstance(info.value, ConfigError)


def test_type_errors_on_the_command_line():
    with pytest.raises(ConfigValueError) as info:
        load_system_defaults(None, {"WOWorkersCount": "three"})
    assert str(info.value) == "command line: WOWorkersCount: expected an integer, got 'three'"


def test_empty_file_is_skipped_with_a_warning(tmp_path):
    path = write(tmp_path / "sogo.conf", "/* nothing yet */\n")
    defaults = load_system_defaults(path, {})
    assert defaults.warnings == [f"{path}: empty configuration (ignored)"]
    assert defaults.int("WOWorkersCount") == 1


def test_warnings_are_collected(tmp_path):
    path = write(tmp_path / "sogo.conf", "{\n SOGoFooBar = 1;\n WOHttpAdaptorForkCount = 3;\n}\n")
    defaults = load_system_defaults(path, {"SOGoBarBaz": "x"})
    assert defaults.warnings == [
        "command line: unknown key 'SOGoBarBaz' (ignored)",
        f"{path} line 2: unknown key 'SOGoFooBar' (ignored)",
        f"{path} line 3: defaults key 'WOHttpAdaptorForkCount' was renamed to 'WOWorkersCount' "
        "(read as WOWorkersCount)",
    ]
    assert defaults.int("WOWorkersCount") == 3
    assert defaults.get("SOGoFooBar") is None


def test_debconf_conf_is_read_below_sogo_conf(tmp_path, conf):
    debconf = write(tmp_path / "debconf.conf",
                    "{\n WOWorkersCount = 9;\n SOGoTimeZone = Europe/Paris;\n}\n")
    defaults = load_system_defaults(conf, {})
    assert defaults.int("WOWorkersCount") == 2
    assert defaults.get("SOGoTimeZone") == "Europe/Paris"
    assert defaults.source_of("SOGoTimeZone") == f"{debconf} line 3"


def test_extra_files_are_read_below_the_main_file(tmp_path, conf):
    extra = write(tmp_path / "extra.conf", "{ WOPort = 9; SOGoPageTitle = Mail; }")
    defaults = load_system_defaults(conf, {}, extra_files=[extra])
    assert defaults.get("WOPort") == "127.0.0.1:20001"
    assert defaults.get("SOGoPageTitle") == "Mail"
    assert load_system_defaults(None, {}, extra_files=[extra]).get("WOPort") == "9"


def test_xml_configuration(tmp_path):
    import plistlib
    path = tmp_path / "sogo.xml"
    path.write_bytes(plistlib.dumps({"WOWorkersCount": 4, "WONoDetach": True}))
    defaults = load_system_defaults(str(path), {})
    assert defaults.int("WOWorkersCount") == 4 and defaults.bool("WONoDetach") is True


# --------------------------------------------------------------------------- accessors

def test_typed_accessors(conf):
    defaults = load_system_defaults(conf, {"WONoDetach": "YES", "WOWatchDogRequestTimeout": "0.5",
                                           "SOGoSuperUsernames": ["admin"]})
    assert defaults.bool("WONoDetach") is True and defaults.bool("WOUseWatchDog") is True
    assert defaults.bool("SOGoDebugRequests") is False
    assert defaults.int("WOWorkersCount") == 2 and defaults.int("SOGoLDAPQueryLimit") == 0
    assert defaults.float("WOWatchDogRequestTimeout") == 0.5
    assert defaults.int("SOGoCacheCleanupInterval") == 300
    assert defaults.list("SOGoSuperUsernames") == ["admin"] and defaults.list("SOGoLoginDomains") == []
    assert defaults.list("SOGodTrustedProxies") == ["127.0.0.1", "::1"]
    assert defaults["SOGoMailDomain"] == "example.com"
    assert defaults.get("SOGoProfileURL") is None and defaults.get("SOGoProfileURL", "x") == "x"
    assert "SOGoMailDomain" in defaults and "SOGoProfileURL" not in defaults


def test_unknown_names_are_programming_errors():
    defaults = load_system_defaults(None, {})
    assert defaults.get("NoSuchKey") is None
    for accessor in (defaults.bool, defaults.int, defaults.float, defaults.list,
                     defaults.__getitem__):
        with pytest.raises(KeyError, match="not a known configuration key"):
            accessor("NoSuchKey")
    with pytest.raises(KeyError):
        defaults["SOGoProfileURL"]  # known, but set nowhere


def test_accessors_convert_untyped_layers():
    defaults = SystemDefaults([("test", {"WONoDetach": "YES", "WOWorkersCount": "3",
                                         "WOWatchDogRequestTimeout": "2"})])
    assert defaults.bool("WONoDetach") is True and defaults.int("WOWorkersCount") == 3
    assert defaults.float("WOWatchDogRequestTimeout") == 2.0
    assert defaults.get("WOPort") == "127.0.0.1:20000"  # built-ins added at the bottom
    bad = SystemDefaults([("test", {"WONoDetach": "maybe"})])
    with pytest.raises(ConfigValueError, match="^test: WONoDetach: expected YES or NO"):
        bad.bool("WONoDetach")
    assert SystemDefaults([], builtins=False).get("WOPort") is None


def test_built_in_values_are_copies():
    first = load_system_defaults(None, {})
    first.list("SOGodTrustedProxies")  # a copy
    first["SOGodTrustedProxies"].append("10.0.0.1")
    assert load_system_defaults(None, {})["SOGodTrustedProxies"] == ["127.0.0.1", "::1"]
    assert KEYS["SOGodTrustedProxies"].default == ["127.0.0.1", "::1"]


def test_effective_lists_every_key(conf):
    effective = load_system_defaults(conf, {"WOWorkersCount": "7"}).effective()
    assert set(effective) == set(KEYS)
    assert effective["WOWorkersCount"] == 7 and effective["SOGoProfileURL"] is None
    assert effective["SOGoMailDomain"] == "example.com"


def test_unit_helpers():
    defaults = load_system_defaults(None, {"WOWatchDogRequestTimeout": "1.5",
                                           "WOMaxUploadSize": "10", "SxVMemLimit": "2"})
    assert defaults.watchdog_timeout_seconds() == 90
    assert defaults.max_upload_bytes() == 10240
    assert defaults.vmem_limit_bytes() == 2 * 1024 * 1024
    builtin = load_system_defaults(None, {})
    assert builtin.watchdog_timeout_seconds() == 600
    assert builtin.max_upload_bytes() is None
    assert builtin.vmem_limit_bytes() == 384 * 1024 * 1024
    assert load_system_defaults(None, {"SxVMemLimit": "0"}).vmem_limit_bytes() is None


# --------------------------------------------------------------------------- domains

def test_domain_layer_over_system():
    defaults = load_system_defaults(MULTIDOMAIN, {})
    coyote = defaults.domain("coyote.com")
    assert isinstance(coyote, DomainDefaults)
    assert coyote.get("SOGoIMAPServer") == "imap.coyote.com"
    assert coyote.source_of("SOGoIMAPServer") == f"{MULTIDOMAIN} line 38"
    assert coyote.get("SOGoTimeZone") == "America/Montreal"  # from the system level
    assert coyote.get("SOGoDraftsFolderName") == "Drafts"  # built-in
    assert coyote["SOGoUserSources"][0]["id"] == "public_coyote"
    acme = defaults.domain("acme.com")
    assert acme.get("SOGoIMAPServer") == "localhost"
    assert defaults.domain("unknown.org").get("SOGoMailDomain") == "localhost"
    assert defaults.domain(None).get("SOGoTimeZone") == "America/Montreal"


def test_system_keys_never_come_from_a_domain(tmp_path):
    path = write(tmp_path / "sogo.conf",
                 "{\n WOPort = 1;\n domains = { a.com = { WOPort = 2; SOGoMailDomain = a.com; }; };\n}\n")
    defaults = load_system_defaults(path, {})
    assert defaults.domain("a.com").get("WOPort") == "1"
    assert defaults.warnings == [f"{path} line 3: S-level key WOPort ignored in domain a.com"]
    # Even from a hand-made layer that was never validated.
    raw = SystemDefaults([("test", {"domains": {"b.com": {"WOPort": "3", "SOGoMailDomain": "b.com"}}})])
    assert raw.domain("b.com").get("WOPort") == "127.0.0.1:20000"
    assert raw.domain("b.com").get("SOGoMailDomain") == "b.com"


# --------------------------------------------------------------------------- users

def test_user_layer_over_domain_over_system():
    defaults = load_system_defaults(MULTIDOMAIN, {})
    user = defaults.user("alice", {"SOGoLanguage": "French", "SOGoIMAPServer": "evil.example",
                                   "WOPort": "1"}, "coyote.com")
    assert isinstance(user, UserDefaults)
    assert user.get("SOGoLanguage") == "French" and user.source_of("SOGoLanguage") == "user alice"
    assert user.get("SOGoIMAPServer") == "imap.coyote.com"  # D-level: not from the user
    assert user.get("WOPort") == "127.0.0.1:20000"  # S-level: not from the user
    assert user.get("SOGoTimeZone") == "America/Montreal"
    assert defaults.user("bob", None, None).get("SOGoLanguage") == "English"


def test_user_values_are_typed_and_bad_ones_ignored():
    user = load_system_defaults(None, {}).user("alice", {"SOGoFirstDayOfWeek": "1",
                                                         "SOGoMailAutoSave": "often",
                                                         "SOGoGravatarEnabled": 1}, None)
    assert user.int("SOGoFirstDayOfWeek") == 1 and user.bool("SOGoGravatarEnabled") is True
    assert user.int("SOGoMailAutoSave") == 5  # the stored value is unusable: the default applies
    assert user.warnings == ["user alice: SOGoMailAutoSave: expected an integer, got 'often' (ignored)"]


def test_user_set_accepts_only_user_keys():
    user = load_system_defaults(None, {}).user("alice", {}, None)
    user.set("SOGoLanguage", "German")
    user.set("SOGoMailShowSubscribedFoldersOnly", "YES")
    assert user.get("SOGoLanguage") == "German" and user.bool("SOGoMailShowSubscribedFoldersOnly")
    with pytest.raises(ConfigValueError) as info:
        user.set("SOGoMailDomain", "x.org")
    assert str(info.value) == "user alice: SOGoMailDomain: a D-level key cannot be set by a user"
    with pytest.raises(ConfigValueError, match="^user alice: WOPort: an S-level key"):
        user.set("WOPort", "1")
    with pytest.raises(ConfigValueError, match="^user alice: unknown key 'Nope'"):
        user.set("Nope", "1")
    with pytest.raises(ConfigValueError, match="^user alice: SOGoFirstDayOfWeek: must be at most 6"):
        user.set("SOGoFirstDayOfWeek", 9)


def test_user_to_json_keeps_what_it_does_not_know():
    stored = {"SOGoLanguage": "French", "SOGoMailDomain": "kept.org", "SOGoFutureThing": [1, 2],
              "SOGoMailAutoSave": "often", "TimeZone": "Europe/Paris", "SOGoDayStartTime": "08:00"}
    user = load_system_defaults(None, {}).user("alice", stored, None)
    user.set("SOGoLanguage", "Dutch")
    user.set("SOGoMailComposeMessageType", "TEXT")
    result = user.to_json()
    assert result == {"SOGoLanguage": "Dutch", "SOGoMailDomain": "kept.org",
                      "SOGoFutureThing": [1, 2], "SOGoMailAutoSave": "often",
                      "SOGoTimeZone": "Europe/Paris", "SOGoDayStartTime": "08:00",
                      "SOGoMailComposeMessageType": "text"}
    json.dumps(result)
    assert stored["SOGoLanguage"] == "French"  # the caller's dict is untouched


def test_user_delete_falls_back_to_the_domain():
    defaults = load_system_defaults(MULTIDOMAIN, {})
    user = defaults.user("alice", {"SOGoTimeZone": "Asia/Tokyo", "TimeZone": "Europe/Paris"},
                         "acme.com")
    assert user.get("SOGoTimeZone") == "Asia/Tokyo"
    user.delete("SOGoTimeZone")
    assert user.get("SOGoTimeZone") == "America/Montreal"
    assert user.to_json() == {}


# --------------------------------------------------------------------------- argv

def test_parse_args_pairs_and_rest():
    overrides, rest = parse_args(["--config", "/tmp/x.conf", "-WOWorkersCount", "3", "-WOLogFile",
                                  "-", "--check", "-h", "positional", "-WONoDetach", "YES"])
    assert overrides == {"WOWorkersCount": "3", "WOLogFile": "-", "WONoDetach": "YES"}
    assert rest == ["--config", "/tmp/x.conf", "--check", "-h", "positional"]


def test_parse_args_plist_values():
    overrides, _ = parse_args(["-SOGoSuperUsernames", "(admin, root)", "-SOGoPageTitle", '"My Mail"',
                               "-SOGoMailJunkSettings", "{ vendor = generic; }", "-Data", "<0f>",
                               "-SOGoCalendarDefaultReminder", "-PT15M"])
    assert overrides == {"SOGoSuperUsernames": ["admin", "root"], "SOGoPageTitle": "My Mail",
                         "SOGoMailJunkSettings": {"vendor": "generic"}, "Data": b"\x0f",
                         "SOGoCalendarDefaultReminder": "-PT15M"}


def test_parse_args_known_lower_case_key():
    overrides, rest = parse_args(["-domains", "{ a.com = { SOGoMailDomain = a.com; }; }", "-p", "x"])
    assert overrides == {"domains": {"a.com": {"SOGoMailDomain": "a.com"}}}
    assert rest == ["-p", "x"]


def test_parse_args_key_without_value():
    with pytest.raises(ConfigError) as info:
        parse_args(["-WOWorkersCount", "2", "-WOPort"])
    assert str(info.value) == "-WOPort needs a value (e.g. -WOPort 127.0.0.1:20000)"
    with pytest.raises(ConfigError, match=r"^-WONoDetach needs a value \(e.g. -WONoDetach NO\)$"):
        parse_args(["-WONoDetach"])
    with pytest.raises(ConfigError, match=r"^-SomeKey needs a value"):
        parse_args(["-SomeKey"])


def test_parse_args_bad_plist_value():
    with pytest.raises(ConfigError) as info:
        parse_args(["-SOGoSuperUsernames", "(admin, root"])
    assert str(info.value) == ("command line: -SOGoSuperUsernames: unterminated array: the '(' "
                               "opened on this line has no closing ')'")


def test_command_line_overrides_a_real_file(conf):
    overrides, rest = parse_args(["-WOPort", "127.0.0.1:21000", "-SOGoSuperUsernames", "(admin)"])
    defaults = load_system_defaults(conf, overrides)
    assert defaults.get("WOPort") == "127.0.0.1:21000"
    assert defaults.list("SOGoSuperUsernames") == ["admin"] and rest == []


def test_embedded_style_overrides_are_typed():
    defaults = load_system_defaults(None, {"WONoDetach": "YES", "WOLogFile": "-",
                                           "WOPidFile": "/tmp/sogod.pid"})
    assert defaults.bool("WONoDetach") is True and defaults.get("WOLogFile") == "-"
