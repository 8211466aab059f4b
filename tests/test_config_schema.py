"""sogod.config.schema: the table of every SOGo key, value conversion, validation."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from sogod.config import KEYS, SOURCE_KEYS, ConfigValueError, Key, load_file, loads
from sogod.config.schema import (FUTURE_KEYS, LEGACY_NAMES, coerce, lookup, validate,
                                 validate_source, validate_user)

FIXTURES = Path(__file__).parent / "fixtures" / "config"
GUIDE = Path(os.environ.get("SOGOD_GUIDE", "/work/shared/docs/sogo-installation-guide.txt"))
SECTIONS = {"general", "database", "authentication", "domains", "mail", "sieve", "web", "calendar",
            "contacts", "ldap", "activesync", "debug", "sogod"}

# Where sogod's level differs from the guide's table, because SOGo's code reads the key
# at another level than the guide prints.
LEVEL_EXCEPTIONS = {
    "SOGoTimeZone": "U",  # guide D; every user can change their time zone
    "SOGoXSRFValidationEnabled": "S",  # guide D; SOGo reads only the system value
    "SOGoUIxAdditionalPreferences": "S",  # guide D; SOGo reads only the system value
}


def guide_entries() -> list[tuple[str, str]]:
    entries = []
    for line in (FIXTURES / "guide-keys.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            kind, name = line.split()
            entries.append((kind, name))
    return entries


def extract_from_guide(text: str) -> list[tuple[str, str]]:
    """The guide's parameter tables: a line holding only S, D or U, then the key's name."""
    lines = text.splitlines()
    found: list[tuple[str, str]] = []
    for i, line in enumerate(lines):
        if line.strip() in ("S", "D", "U"):
            following = next(x for x in lines[i + 1:] if x.strip())
            name = following.split()[0]
            if not name.startswith("Parameter") and (line.strip(), name) not in found:
                found.append((line.strip(), name))
    blocks = [("ldap", "A dictionary that defines an LDAP source",
               "The following parameters can be defined along"),
              ("sql", "A dictionary that defines a SQL source", "Here is an example of an SQL-based")]
    for kind, start, end in blocks:
        first = next(n for n, x in enumerate(lines) if start in x)
        last = next(n for n, x in enumerate(lines) if n > first and end in x)
        for line in lines[first + 1:last]:
            match = re.fullmatch(r"([A-Za-z]+) ?(?:\((?:optional|deprecated)\))?", line.strip())
            if match:
                found.append((kind, match.group(1)))
    return found


# --------------------------------------------------------------------------- completeness

def test_every_key_of_the_guide_is_in_the_schema():
    missing = []
    for kind, name in guide_entries():
        if kind in ("ldap", "sql"):
            if name not in SOURCE_KEYS:
                missing.append(f"{kind} source key {name}")
            continue
        key = KEYS.get(LEGACY_NAMES.get(name, name))
        if key is None:
            missing.append(name)
            continue
        expected = LEVEL_EXCEPTIONS.get(key.name, kind)
        assert key.level == expected, f"{name}: level {key.level}, the guide says {kind}"
    assert missing == []


def test_names_the_guide_uses_for_old_keys_are_legacy_names():
    names = {name for kind, name in guide_entries()}
    assert {"SOGoMailMessageCheck", "SOGoMailPollingIntervals",
            "SOGoSAML2CertiticateLocation"} <= names
    assert LEGACY_NAMES["SOGoMailMessageCheck"] == "SOGoRefreshViewCheck"


def test_schema_size_and_record_sanity():
    assert 200 <= len(KEYS) <= 260
    assert len(SOURCE_KEYS) >= 40
    for name, key in {**KEYS, **SOURCE_KEYS}.items():
        assert key.name == name and isinstance(key, Key)
        assert key.help and key.help[0].isupper() and key.help.endswith("."), name
        assert len(key.help) < 300, name
    for key in KEYS.values():
        assert key.section in SECTIONS, key.name
    for key in SOURCE_KEYS.values():
        assert key.level == "D" and key.section in {"sources", "ldap", "sql"}


def test_defaults_have_the_type_of_their_key():
    for key in [*KEYS.values(), *SOURCE_KEYS.values()]:
        if key.default is not None:
            assert coerce(key, key.default, where="built-in") == key.default, key.name


def test_lookup():
    assert lookup("WOPort") is KEYS["WOPort"]
    assert lookup("NoSuchKey") is None


def test_no_key_is_both_current_and_legacy_or_future():
    assert not (KEYS.keys() & LEGACY_NAMES.keys())
    assert not (KEYS.keys() & FUTURE_KEYS)
    assert set(LEGACY_NAMES.values()) <= KEYS.keys()


# --------------------------------------------------------------------------- what SOGo really does

@pytest.mark.parametrize("name, type_, default, unit", [
    ("WOWorkersCount", "int", 1, None), ("WOListenQueueSize", "int", 5, None),
    ("WOPort", "string", "127.0.0.1:20000", None), ("WOLogFile", "string", "/var/log/sogo/sogo.log", None),
    ("WOPidFile", "string", "/var/run/sogo/sogo.pid", None),
    ("WOWatchDogRequestTimeout", "float", 10, "minutes"), ("WONoDetach", "bool", False, None),
    ("WOUseWatchDog", "bool", True, None), ("WORespawnDelay", "int", 5, "seconds"),
    ("WOMaxUploadSize", "int", 0, "KB"), ("WOHttpAdaptorSendTimeout", "float", 120, "seconds"),
    ("WOHttpAdaptorReceiveTimeout", "float", 120, "seconds"),
    ("WOSendMail", "string", "/usr/lib/sendmail", None), ("SxVMemLimit", "int", 384, "MB"),
    ("MySQL4Encoding", "string", None, None), ("SOGoMemcachedHost", "string", None, None),
    ("SOGoCacheCleanupInterval", "float", 300, "seconds"),
    ("SOGodTrustedProxies", "array", ["127.0.0.1", "::1"], None), ("SOGodUser", "string", "sogo", None),
    ("SOGodEmbeddedUsersURL", "url", None, None),
])
def test_process_and_sogod_keys(name, type_, default, unit):
    key = KEYS[name]
    assert (key.type, key.default, key.unit, key.level) == (type_, default, unit, "S")


def test_memcached_default_is_documented_as_none():
    assert "no memcached" in KEYS["SOGoMemcachedHost"].help


@pytest.mark.parametrize("name", ["SOGoProfileURL", "OCSFolderInfoURL", "OCSSessionsFolderURL",
                                  "OCSEMailAlarmsFolderURL", "OCSStoreURL", "OCSAclURL",
                                  "OCSCacheFolderURL"])
def test_storage_urls(name):
    assert (KEYS[name].type, KEYS[name].default, KEYS[name].level) == ("url", None, "S")


@pytest.mark.parametrize("name, default", [
    # SOGo's built-in defaults where the guide says otherwise.
    ("SOGoLoginModule", "Mail"), ("SOGoMailComposeMessageType", "html"), ("SOGoGravatarEnabled", False),
    # Code fallbacks.
    ("SOGoMaximumFailedLoginInterval", 10), ("SOGoFailedLoginBlockInterval", 300),
    ("SOGoMaximumSubmissionInterval", 30), ("SOGoMessageSubmissionBlockInterval", 300),
    ("SOGoMaximumRequestInterval", 30), ("SOGoRequestBlockInterval", 300),
    ("SOGoMaximumPingInterval", 10), ("SOGoMaximumSyncInterval", 30), ("SOGoInternalSyncInterval", 10),
    # SOGoDefaults.plist.
    ("SOGoSMTPServer", "localhost"), ("SOGoMailingMechanism", "sendmail"), ("SOGoTimeZone", "UTC"),
    ("SOGoFreeBusyDefaultInterval", [7, 7]), ("SOGoRefreshViewIntervals", [1, 2, 5, 10, 20, 30, 60]),
    ("SOGoSelectedAddressBook", "personal"), ("SOGoXSRFValidationEnabled", False),
    ("NGImap4ConnectionGroupIdPrefix", "$"), ("SOGoSieveFolderEncoding", "UTF-7"),
])
def test_built_in_defaults(name, default):
    assert KEYS[name].default == default


def test_supported_languages_and_categories():
    languages = KEYS["SOGoSupportedLanguages"].default
    assert len(languages) == 33 and {"Hebrew", "Serbian", "English"} <= set(languages)
    assert len(KEYS["SOGoCalendarCategories"].default) == 22
    assert set(KEYS["SOGoCalendarCategoriesColors"].default) == set(KEYS["SOGoCalendarCategories"].default)


@pytest.mark.parametrize("name, type_", [
    ("Vacation", "dict"), ("Forward", "dict"), ("SOGoSieveFilters", "array"),
    ("AuxiliaryMailAccounts", "array"), ("MailAccounts", "array"),
])
def test_structured_user_keys(name, type_):
    assert (KEYS[name].type, KEYS[name].level) == (type_, "U")


def test_structured_types():
    assert KEYS["SOGoUserSources"].type == "array-of-dicts"
    assert KEYS["SOGoDomainsVisibility"].type == "array-of-arrays"
    assert KEYS["domains"].type == "dict"
    assert SOURCE_KEYS["bindFields"].type == "string-or-array"


# --------------------------------------------------------------------------- coercion

W = "sogo.conf line 12"


@pytest.mark.parametrize("value, result", [
    ("YES", True), ("NO", False), ("yes", True), ("no", False), ("true", True), ("False", False),
    ("1", True), ("0", False), ("2", True), ("-1", True), (" YES ", True), (True, True), (0, False),
    (3, True), (0.0, False), ("0.5", True),
])
def test_bool(value, result):
    assert coerce(KEYS["WONoDetach"], value, where=W) is result


@pytest.mark.parametrize("value", ["maybe", "", ["YES"], {"a": "b"}, b"\x01"])
def test_bool_refuses(value):
    with pytest.raises(ConfigValueError, match=r"^sogo.conf line 12: WONoDetach: expected YES or NO, got "):
        coerce(KEYS["WONoDetach"], value, where=W)


@pytest.mark.parametrize("value, result", [("5", 5), (5, 5), (" 7 ", 7), ("+3", 3), (4.0, 4)])
def test_int(value, result):
    assert coerce(KEYS["WOWorkersCount"], value, where=W) == result


def test_int_error_message_is_exact():
    with pytest.raises(ConfigValueError) as info:
        coerce(KEYS["WOWorkersCount"], "three", where=W)
    assert str(info.value) == "sogo.conf line 12: WOWorkersCount: expected an integer, got 'three'"
    assert (info.value.where, info.value.message) == (W, "WOWorkersCount: expected an integer, got 'three'")


@pytest.mark.parametrize("value", ["1.5", 1.5, True, "", "0x10", ["1"]])
def test_int_refuses(value):
    with pytest.raises(ConfigValueError, match="expected an integer"):
        coerce(KEYS["WOListenQueueSize"], value, where=W)


def test_int_bounds():
    with pytest.raises(ConfigValueError, match=r"^sogo.conf line 12: WOWorkersCount: must be at least 1, got 0$"):
        coerce(KEYS["WOWorkersCount"], "0", where=W)
    with pytest.raises(ConfigValueError, match=r"SOGoFirstDayOfWeek: must be at most 6, got 7"):
        coerce(KEYS["SOGoFirstDayOfWeek"], 7, where=W)


@pytest.mark.parametrize("value, result", [("1.5", 1.5), ("10", 10.0), (2, 2.0), (0.25, 0.25), (".5", 0.5)])
def test_float(value, result):
    assert coerce(KEYS["WOWatchDogRequestTimeout"], value, where=W) == result


@pytest.mark.parametrize("value", ["ten", "nan", "inf", True, ("1",)])
def test_float_refuses(value):
    with pytest.raises(ConfigValueError, match="WOWatchDogRequestTimeout: expected a number"):
        coerce(KEYS["WOWatchDogRequestTimeout"], value, where=W)


def test_float_bounds():
    with pytest.raises(ConfigValueError, match="must be at least 0, got -1"):
        coerce(KEYS["WOWatchDogRequestTimeout"], "-1", where=W)


def test_string():
    assert coerce(KEYS["WOPort"], "127.0.0.1:20001", where=W) == "127.0.0.1:20001"
    assert coerce(KEYS["WOPort"], 20001, where=W) == "20001"  # <*I20001>
    with pytest.raises(ConfigValueError, match=r"WOPort: expected a string, got an array"):
        coerce(KEYS["WOPort"], ["a"], where=W)
    with pytest.raises(ConfigValueError, match=r"expected a string, got YES"):
        coerce(KEYS["WOPort"], True, where=W)


def test_url():
    url = "postgresql://sogo:sogo@localhost:5432/sogo/sogo_user_profile"
    assert coerce(KEYS["SOGoProfileURL"], url, where=W) == url
    with pytest.raises(ConfigValueError, match=r"SOGoProfileURL: expected a database URL"):
        coerce(KEYS["SOGoProfileURL"], "sogo_user_profile", where=W)


def test_choices_are_case_insensitive_and_canonical():
    assert coerce(KEYS["SOGoMailingMechanism"], "SMTP", where=W) == "smtp"
    assert coerce(KEYS["SOGoAuthenticationType"], "CAS", where=W) == "cas"
    assert coerce(KEYS["SOGoAuthenticationType"], "", where=W) == ""
    assert coerce(KEYS["SOGoForwardConstraints"], "2", where=W) == 2
    with pytest.raises(ConfigValueError) as info:
        coerce(KEYS["SOGoMailingMechanism"], "smpt", where=W)
    assert str(info.value) == ("sogo.conf line 12: SOGoMailingMechanism: expected one of sendmail, "
                               "smtp, got 'smpt'")
    with pytest.raises(ConfigValueError, match=r"expected one of 0, 1, 2, got 3"):
        coerce(KEYS["SOGoForwardConstraints"], 3, where=W)


def test_arrays():
    assert coerce(KEYS["SOGoSuperUsernames"], ["admin", "root"], where=W) == ["admin", "root"]
    assert coerce(KEYS["SOGoRefreshViewIntervals"], ["1", "5"], where=W) == [1, 5]
    assert coerce(KEYS["SOGoSieveFilters"], [{"name": "x"}], where=W) == [{"name": "x"}]
    with pytest.raises(ConfigValueError) as info:
        coerce(KEYS["SOGoSuperUsernames"], "admin", where=W)
    assert str(info.value) == "sogo.conf line 12: SOGoSuperUsernames: expected an array ( … ), got 'admin'"
    with pytest.raises(ConfigValueError, match=r"SOGoRefreshViewIntervals: in the array: expected an integer"):
        coerce(KEYS["SOGoRefreshViewIntervals"], ["1", "often"], where=W)
    with pytest.raises(ConfigValueError, match=r"in the array: expected a string, got a dictionary"):
        coerce(KEYS["SOGoSuperUsernames"], [{"a": "b"}], where=W)


def test_dicts():
    junk = {"vendor": "generic", "limit": "10"}
    assert coerce(KEYS["SOGoMailJunkSettings"], junk, where=W) == junk
    with pytest.raises(ConfigValueError, match=r"SOGoMailJunkSettings: expected a dictionary \{ … \}, got 'x'"):
        coerce(KEYS["SOGoMailJunkSettings"], "x", where=W)


def test_string_or_array():
    key = SOURCE_KEYS["bindFields"]
    assert coerce(key, "sAMAccountName", where=W) == "sAMAccountName"
    assert coerce(key, ["sAMAccountName", "cn"], where=W) == ["sAMAccountName", "cn"]
    with pytest.raises(ConfigValueError):
        coerce(key, {"a": "b"}, where=W)


def test_array_of_arrays():
    key = KEYS["SOGoDomainsVisibility"]
    assert coerce(key, [["acme", "coyote"]], where=W) == [["acme", "coyote"]]
    with pytest.raises(ConfigValueError, match="expected an array of arrays"):
        coerce(key, ["acme", "coyote"], where=W)


def test_array_of_dicts_validates_sources():
    key = KEYS["SOGoUserSources"]
    [source] = coerce(key, [{"type": "sql", "id": "x", "viewURL": "mysql://u:p@h/db/t",
                             "canAuthenticate": "YES"}], where=W)
    assert source["canAuthenticate"] is True
    with pytest.raises(ConfigValueError, match="expected an array of dictionaries"):
        coerce(key, {"type": "sql"}, where=W)


# --------------------------------------------------------------------------- user sources

def sql(**extra):
    return {"type": "sql", "id": "users", "viewURL": "postgresql://u:p@h/db/sogo_users", **extra}


def ldap(**extra):
    return {"type": "ldap", "id": "public", "baseDN": "ou=users,dc=acme,dc=com",
            "hostname": "ldap://127.0.0.1:389", **extra}


def test_source_values_are_converted():
    warnings = []
    entry = validate_source(ldap(canAuthenticate="YES", isAddressBook="NO", listRequiresDot="0",
                                 bindFields="sAMAccountName", SearchFieldNames=["sn", "mail"],
                                 mapping={"fax": ["facsimiletelephonenumber"]}, scope="sub",
                                 SOGoLDAPQueryLimit="50"), W, warnings)
    assert entry["canAuthenticate"] is True and entry["isAddressBook"] is False
    assert entry["listRequiresDot"] is False and entry["scope"] == "SUB"
    assert entry["SOGoLDAPQueryLimit"] == 50 and entry["SearchFieldNames"] == ["sn", "mail"]
    assert warnings == []


@pytest.mark.parametrize("entry, message", [
    ({"id": "x"}, "sogo.conf line 12: source 'x': 'type' is missing (ldap or sql)"),
    ({"type": "nis", "id": "x"}, "sogo.conf line 12: source 'x': type: expected one of ldap, sql, got 'nis'"),
    ({"type": "sql", "viewURL": "mysql://h/d/t"}, "sogo.conf line 12: source: 'id' is required for a sql source"),
    ({"type": "sql", "id": "x"}, "sogo.conf line 12: source 'x': 'viewURL' is required for a sql source"),
    ({"type": "ldap", "id": "x", "hostname": "h"},
     "sogo.conf line 12: source 'x': 'baseDN' is required for a ldap source"),
    ({"type": "ldap", "id": "x", "baseDN": "dc=x"},
     "sogo.conf line 12: source 'x': 'hostname' is required for a ldap source"),
    (sql(canAuthenticate="perhaps"),
     "sogo.conf line 12: source 'users': canAuthenticate: expected YES or NO, got 'perhaps'"),
])
def test_source_errors(entry, message):
    with pytest.raises(ConfigValueError) as info:
        validate_source(entry, W)
    assert str(info.value) == message


def test_source_warnings_for_unknown_foreign_and_deprecated_keys():
    warnings = []
    entry = validate_source(sql(baseDN="dc=x", colour="blue"), W, warnings)
    assert "baseDN" not in entry and "colour" not in entry
    assert warnings == ["sogo.conf line 12: 'baseDN' does not apply to a sql source (source 'users'; ignored)",
                        "sogo.conf line 12: unknown key 'colour' in source 'users' (ignored)"]
    warnings = []
    assert validate_source(ldap(port="389"), W, warnings)["port"] == 389
    assert warnings == ["sogo.conf line 12: source 'public': port: deprecated: put the port in the "
                        "URL of 'hostname'"]


def test_source_errors_point_at_the_line_of_the_key():
    conf = loads('{\n SOGoUserSources = (\n  {\n   type = sql;\n   id = x;\n'
                 '   viewURL = "mysql://h/d/t";\n   canAuthenticate = perhaps;\n  }\n );\n}')
    with pytest.raises(ConfigValueError) as info:
        validate(conf)
    assert str(info.value) == ("sogo.conf line 7: source 'x': canAuthenticate: expected YES or NO, "
                               "got 'perhaps'")
    conf = loads("{\n SOGoUserSources = (\n  {\n   type = sql;\n   id = x;\n  }\n );\n}")
    with pytest.raises(ConfigValueError, match=r"^sogo.conf line 3: source 'x': 'viewURL' is required"):
        validate(conf)


# --------------------------------------------------------------------------- whole files

def test_guide_examples_validate():
    values, warnings = validate(load_file(str(FIXTURES / "guide-sql-source.conf")))
    assert warnings == []
    assert values["SOGoUserSources"][0]["canAuthenticate"] is True
    path = str(FIXTURES / "guide-summary.conf")
    values, warnings = validate(load_file(path))
    assert values["SOGoAppointmentSendEMailNotifications"] is True
    assert values["SOGoUserSources"][0]["port"] == 389
    assert warnings == [f"{path} line 37: source 'public': port: deprecated: put the port in the URL "
                        "of 'hostname'"]


def test_multidomain_example_validates_recursively():
    values, warnings = validate(load_file(str(FIXTURES / "guide-multidomain.conf")))
    assert len(warnings) == 2 and all("port: deprecated" in w for w in warnings)
    acme = values["domains"]["acme.com"]
    assert acme["SOGoUserSources"][0]["canAuthenticate"] is True
    assert values["domains"]["coyote.com"]["SOGoIMAPServer"] == "imap.coyote.com"
    assert values["SOGoEnableDomainBasedUID"] is True
    assert values["SOGoDomainsVisibility"] == [["acme.com", "coyote.com"]]
    assert values.lines["domains"] == 14 and values["domains"].lines["coyote.com"] == 36
    assert acme.lines["SOGoMailDomain"] == 16


def test_unknown_keys_are_warnings():
    conf = loads("{\n WOPort = 1;\n SOGoFooBar = x;\n SOGoTOTPEnabled = YES;\n"
                 " SOGoOpenIdScope = openid;\n SOGoCalendarDefaultCategoryColor = red;\n}")
    values, warnings = validate(conf)
    assert values == {"WOPort": "1"}
    assert warnings == [
        "sogo.conf line 3: unknown key 'SOGoFooBar' (ignored)",
        "sogo.conf line 4: 'SOGoTOTPEnabled' is a key of later SOGo versions that sogod does not "
        "support (ignored)",
        "sogo.conf line 5: 'SOGoOpenIdScope' is a key of later SOGo versions that sogod does not "
        "support (ignored)",
        "sogo.conf line 6: SOGoCalendarDefaultCategoryColor: removed in SOGo 2.3.1: set colours with "
        "SOGoCalendarCategoriesColors (ignored)",
    ]


def test_wrong_types_are_errors_with_file_and_line():
    conf = loads("{\n WOPort = 1;\n\n WOWorkersCount = three;\n}", source="/etc/sogo/sogo.conf")
    with pytest.raises(ConfigValueError) as info:
        validate(conf)
    assert str(info.value) == ("/etc/sogo/sogo.conf line 4: WOWorkersCount: expected an integer, "
                               "got 'three'")


def test_source_name_overrides_the_plist_source():
    with pytest.raises(ConfigValueError, match=r"^other.conf line 1: WONoDetach"):
        validate(loads("{ WONoDetach = maybe; }"), source_name="other.conf")


@pytest.mark.parametrize("old, new, raw, value", [
    ("SOGoFallbackIMAP4Server", "SOGoIMAPServer", "imap.example.com", "imap.example.com"),
    ("SOGoDefaultMailDomain", "SOGoMailDomain", "example.com", "example.com"),
    ("LDAPContactInfoAttribute", "SOGoLDAPContactInfoAttribute", "title", "title"),
    ("SOGoLDAPSources", "SOGoUserSources", [sql()], [sql()]),
    ("SOGoNoDraftDeleteAfterSend", "SOGoMailKeepDraftsAfterSend", "YES", True),
    ("SOGoShowTextAttachmentsInline", "SOGoMailAttachTextDocumentsInline", "YES", True),
    ("SOGoMailMessageCheck", "SOGoRefreshViewCheck", "every_minute", "every_minute"),
    ("SOGoMailPollingIntervals", "SOGoRefreshViewIntervals", ["1", "5"], [1, 5]),
    ("SOGoForceIMAPLoginWithEmail", "SOGoForceExternalLoginWithEmail", "YES", True),
    ("WOHttpAdaptorForkCount", "WOWorkersCount", "4", 4),
    ("SOGoSAML2CertiticateLocation", "SOGoSAML2CertificateLocation", "/etc/sogo/cert.pem",
     "/etc/sogo/cert.pem"),
])
def test_legacy_names_are_migrated_with_a_warning(old, new, raw, value):
    conf = loads("{\n}")
    conf[old], conf.lines[old] = raw, 2
    values, warnings = validate(conf)
    assert values == {new: value} and values.lines[new] == 2
    assert warnings == [f"sogo.conf line 2: defaults key '{old}' was renamed to '{new}' (read as {new})"]


def test_legacy_name_loses_to_the_current_name():
    values, warnings = validate(loads("{\n WOHttpAdaptorForkCount = 4;\n WOWorkersCount = 2;\n}"))
    assert values == {"WOWorkersCount": 2}
    assert warnings == ["sogo.conf line 2: 'WOHttpAdaptorForkCount' is the old name of "
                        "'WOWorkersCount', which is also set: 'WOHttpAdaptorForkCount' ignored"]


def test_legacy_names_inside_domains():
    values, warnings = validate(loads("{ domains = { a.com = { SOGoDefaultMailDomain = a.com; }; }; }"))
    assert values["domains"]["a.com"] == {"SOGoMailDomain": "a.com"}
    assert len(warnings) == 1 and "renamed" in warnings[0]


def test_system_keys_inside_a_domain_are_ignored_with_a_warning():
    conf = loads("{\n domains = {\n  acme.com = {\n   SOGoMailDomain = acme.com;\n   WOPort = 1;\n"
                 "   SOGoFooBar = 1;\n   domains = {};\n   SOGoLanguage = French;\n  };\n };\n}")
    values, warnings = validate(conf)
    assert values["domains"]["acme.com"] == {"SOGoMailDomain": "acme.com", "SOGoLanguage": "French"}
    assert warnings == ["sogo.conf line 5: S-level key WOPort ignored in domain acme.com",
                        "sogo.conf line 6: unknown key 'SOGoFooBar' (ignored)",
                        "sogo.conf line 7: S-level key domains ignored in domain acme.com"]


def test_domain_values_are_type_checked():
    with pytest.raises(ConfigValueError, match=r"^sogo.conf line 3: SOGoMailCustomFromEnabled: expected YES or NO"):
        validate(loads("{\n domains = { a.com = {\n SOGoMailCustomFromEnabled = maybe; }; };\n}"))


@pytest.mark.parametrize("text, message", [
    ("{\n domains = (a.com);\n}", "sogo.conf line 2: domains: expected a dictionary of domains "
                                  "{ example.com = { … }; }, got an array"),
    ("{\n domains = {\n  a.com = yes;\n };\n}", "sogo.conf line 3: domains: a.com: expected a "
                                               "dictionary { … }, got 'yes'"),
])
def test_malformed_domains(text, message):
    with pytest.raises(ConfigValueError) as info:
        validate(loads(text))
    assert str(info.value) == message


def test_duplicate_keys_are_warnings():
    values, warnings = validate(loads("{\n WOWorkersCount = 2;\n WOWorkersCount = 3;\n}"))
    assert values == {"WOWorkersCount": 3}
    assert warnings == ["sogo.conf line 3: 'WOWorkersCount' is set twice (also on line 2); "
                        "the last value is used"]


def test_deprecated_key_warns():
    values, warnings = validate(loads('{ WOApplicationRedirectURL = "https://mail.example.com/SOGo"; }'))
    assert values == {"WOApplicationRedirectURL": "https://mail.example.com/SOGo"}
    assert warnings == ["sogo.conf line 1: WOApplicationRedirectURL: obsolete: have the front-end proxy "
                        "send the x-webobjects-server-* headers instead"]


def test_validate_accepts_plain_dicts():
    values, warnings = validate({"WOWorkersCount": "3", "SOGoUserSources": [sql()]},
                                source_name="command line")
    assert values["WOWorkersCount"] == 3 and warnings == []
    with pytest.raises(ConfigValueError, match="^command line: WONoDetach"):
        validate({"WONoDetach": "maybe"}, source_name="command line")


# --------------------------------------------------------------------------- user layer

def test_validate_user_keeps_only_user_keys():
    values, warnings = validate_user({"SOGoLanguage": "French", "SOGoMailDomain": "x.org",
                                      "SOGoDayStartTime": "08:00", "SOGoFirstDayOfWeek": "1",
                                      "SOGoMailAutoSave": "x", "SomethingElse": 1,
                                      "Vacation": {"enabled": 1}}, where="user alice")
    assert values == {"SOGoLanguage": "French", "SOGoDayStartTime": "08:00",
                      "SOGoFirstDayOfWeek": 1, "Vacation": {"enabled": 1}}
    assert warnings == ["user alice: SOGoMailAutoSave: expected an integer, got 'x' (ignored)"]


def test_validate_user_reads_old_preference_names():
    values, _ = validate_user({"TimeZone": "Europe/Paris", "WeekStartDay": "1"}, where="user bob")
    assert values == {"SOGoTimeZone": "Europe/Paris", "SOGoFirstDayOfWeek": 1}
    values, _ = validate_user({"TimeZone": "Europe/Paris", "SOGoTimeZone": "UTC"}, where="user bob")
    assert values == {"SOGoTimeZone": "UTC"}
