"""sogod.config.plist: the sogo.conf parser and writer, with GNUstep as the reference.

The GNUstep tests run Debian's gnustep-base-runtime tools (plparse, plmerge).
They fail, not skip, when the tools are missing: install the package.
"""

from __future__ import annotations

import datetime
import os
import plistlib
import shutil
import subprocess
from pathlib import Path

import pytest

from sogod.config import ConfigError, PlistDict, PlistError, dumps, load_file, loads

FIXTURES = Path(__file__).parent / "fixtures" / "config"
VALID = sorted(p.name for p in FIXTURES.glob("*.conf"))
INVALID = sorted(p.name for p in (FIXTURES / "errors").glob("*.conf"))


def fixture(name: str) -> PlistDict:
    return load_file(str(FIXTURES / name))


# --------------------------------------------------------------------------- the guide's examples

def test_guide_summary_configuration():
    conf = fixture("guide-summary.conf")
    assert isinstance(conf, PlistDict)
    assert conf["SOGoProfileURL"] == "postgresql://sogo:sogo@localhost:5432/sogo/sogo_user_profile"
    assert conf["SOGoCalendarDefaultRoles"] == ["PublicViewer", "ConfidentialDAndTViewer"]
    assert conf["SOGoAppointmentSendEMailNotifications"] == "YES"  # the schema converts
    assert conf["SOGoTimeZone"] == "America/Montreal"
    assert conf["SOGoSMTPServer"] == "127.0.0.1"
    [source] = conf["SOGoUserSources"]
    assert isinstance(source, PlistDict)
    assert source["baseDN"] == "ou=users,dc=acme,dc=com"
    assert source["port"] == "389"  # bare numbers stay strings, as in GNUstep
    assert source["displayName"] == "Shared Addresses"


def test_guide_multidomain_configuration():
    conf = fixture("guide-multidomain.conf")
    assert set(conf["domains"]) == {"acme.com", "coyote.com"}
    coyote = conf["domains"]["coyote.com"]
    assert coyote["SOGoIMAPServer"] == "imap.coyote.com"
    assert coyote["SOGoUserSources"][0]["id"] == "public_coyote"
    assert conf["SOGoDomainsVisibility"] == [["acme.com", "coyote.com"]]


def test_guide_sql_source():
    [source] = fixture("guide-sql-source.conf")["SOGoUserSources"]
    assert source == {"type": "sql", "id": "directory",
                      "viewURL": "postgresql://sogo:sogo@127.0.0.1:5432/sogo/sogo_view",
                      "canAuthenticate": "YES", "isAddressBook": "YES",
                      "userPasswordAlgorithm": "md5"}


# --------------------------------------------------------------------------- grammar

def test_comments_everywhere_but_inside_strings():
    conf = fixture("comments.conf")
    assert conf == {
        "WOPort": "127.0.0.1:20000", "WOWorkersCount": "3",
        "SOGoPageTitle": "Not // a comment",
        "SOGoHelpURL": "http://help.example.com/*not a comment*/",
        "SOGoZipPath": "/usr/bin/zip", "SOGoSuperUsernames": ["admin", "root"],
    }


def test_comment_at_end_of_file_without_newline():
    assert loads("{ a = b; } // done") == {"a": "b"}
    assert loads("{ a = b; } /* done */") == {"a": "b"}


def test_slashes_inside_an_unquoted_word_are_not_a_comment():
    assert loads("{ a = http://x/y; b = c//d\n; }") == {"a": "http://x/y", "b": "c//d"}


def test_typed_values():
    conf = fixture("typed.conf")
    assert conf["WOWorkersCount"] == 5 and type(conf["WOWorkersCount"]) is int
    assert conf["WOListenQueueSize"] == 7
    assert conf["WOWatchDogRequestTimeout"] == 1.5
    assert conf["WONoDetach"] is True and conf["WOUseWatchDog"] is False
    assert conf["Created"] == datetime.datetime(2002, 3, 4, 12, 0, tzinfo=datetime.timezone.utc)
    assert conf["Data"] == bytes.fromhex("0fbd77")
    assert conf["Empty"] == b""
    assert conf["Bare"] == "42" and conf["Yes"] == "YES"


@pytest.mark.parametrize("text, value", [
    ("<*I-5>", -5), ("<*I +12 >", 12), ("<*R-1e3>", -1000.0), ("<*BYES>", True), ("<*BNO>", False),
    ("<*D2002-03-04 12:00:00 +0100>",
     datetime.datetime(2002, 3, 4, 12, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=1)))),
    ("<0F BD\n77>", b"\x0f\xbd\x77"), ("<[D713]>", b"\x0f\xbd\x77"), ("<[]>", b""),
])
def test_typed_value_forms(text, value):
    assert loads(f"{{ v = {text}; }}")["v"] == value


def test_unquoted_words_gnustep_accepts():
    conf = fixture("unquoted.conf")
    assert conf["SOGoSuperUsernames"] == ["admin@example.com", "*", "sogo-admin"]
    assert conf["SOGoSMTPServer"] == "smtp.example.com:587"
    assert conf["SOGoIMAPServer"] == "imaps://imap.example.com:993"
    assert conf["NGImap4ConnectionGroupIdPrefix"] == "$"
    assert conf["SOGoMailLabelsColors"] == {"$label1": ["Important", "#FF0000"]}
    assert conf["Odd"] == "a+b!c#d%e&f?g^h|i~j"
    assert conf["192.168.1.1"] == "10.0.0.1"


def test_missing_semicolon_before_closing_brace():
    conf = fixture("missing-semicolon.conf")
    assert conf["SOGoMailDomain"] == "example.org"
    assert conf["SOGoUserSources"][0]["viewURL"] == "postgresql://sogo:sogo@localhost/sogo/sogo_view"
    assert conf["domains"] == {"example.com": {"SOGoMailDomain": "example.com"}}
    assert loads("{ a = { b = c }; }") == {"a": {"b": "c"}}


def test_nested_structures_and_escapes():
    conf = fixture("nested.conf")
    assert conf["a"] == {"b": {"c": ["d", ["e", "f"], {"g": "h"}, []]}, "empty": {}}
    assert conf["list"] == ["quoted, with comma", ["nested", "array"], {"key": "value"}]
    assert conf["quoted key"] == ('value\twith\ttabs\nand a newline, a "quote", '
                                  'a backslash \\ and ABC')
    assert conf["unicode"] == "été"


@pytest.mark.parametrize("escaped, text", [
    (r"\n\t\r\a\b\f\v", "\n\t\r\a\b\f\v"), (r"\"\\\'", "\"\\'"), (r"\101\1011", "AA1"),
    (r"\0", "\0"), (r"\U00e9\u00E9", "éé"), (r"\U41x", "Ax"), (r"\q\e", "qe"),
    (r"\UD83D\UDE00", "\U0001F600"), ("multi\nline", "multi\nline"), ("", ""),
])
def test_quoted_string_escapes(escaped, text):
    assert loads(f'{{ s = "{escaped}"; }}')["s"] == text


def test_empty_values_read_as_empty_strings_like_gnustep():
    assert loads("{ a = ; }") == {"a": ""}
    assert loads("( a, , b )") == ["a", "", "b"]


def test_trailing_comma_in_arrays():
    assert loads("( a, b, )") == ["a", "b"]
    assert loads("()") == [] and loads("{}") == {}


def test_strings_file_form_without_braces():
    conf = fixture("strings-file.conf")
    assert conf == {"WOPort": "127.0.0.1:20001", "WOWorkersCount": "4",
                    "SOGoMailDomain": "example.com"}
    assert conf.lines == {"WOPort": 3, "WOWorkersCount": 4, "SOGoMailDomain": 5}
    assert loads("a = b; c;") == {"a": "b", "c": ""}


def test_strings_file_form_holds_strings_only():
    with pytest.raises(PlistError, match=r"sogo.conf line 2: value of 'X': a file without "):
        loads("WOPort = 1;\nX = (a);\n")
    with pytest.raises(PlistError, match=r"line 1: expected ';' after value of 'a'"):
        loads("a = b")


def test_non_dictionary_documents():
    assert loads("(a, b)") == ["a", "b"]
    assert loads('"just a string"') == "just a string"
    assert loads("word") == "word"


def test_line_numbers_of_keys():
    conf = fixture("guide-summary.conf")
    assert conf.source == str(FIXTURES / "guide-summary.conf")
    assert conf.line == 1
    assert conf.lines["SOGoProfileURL"] == 2
    assert conf.lines["SOGoCalendarDefaultRoles"] == 9
    assert conf.lines["SOGoUserSources"] == 23
    source = conf["SOGoUserSources"][0]
    assert source.line == 24 and source.lines["type"] == 25 and source.lines["port"] == 37


def test_duplicate_keys_keep_the_last_value_and_are_recorded():
    conf = loads("{\n a = 1;\n b = 2;\n a = 3;\n}", source="x.conf")
    assert conf == {"a": "3", "b": "2"}
    assert conf.duplicates == [("a", 2, 4)]
    assert conf.lines["a"] == 4


def test_plist_dict_is_a_dict():
    conf = loads("{ a = b; }", source="here")
    assert isinstance(conf, dict) and conf == {"a": "b"} and conf.source == "here"


# --------------------------------------------------------------------------- errors

ERRORS = {
    "unterminated-string.conf": (3, 'unterminated quoted string (no closing ")'),
    "unterminated-comment.conf": (3, "unterminated /* comment (no closing */)"),
    "unterminated-dict.conf": (7, "unexpected ')' in the dictionary opened on line 4 "
                                  "(is a '}' missing?)"),
    "unterminated-root.conf": (1, "unterminated dictionary: the '{' opened on this line has no "
                                  "closing '}'"),
    "unterminated-array.conf": (4, "expected ',' or ')' after an array element (in the array "
                                   "opened on line 2)"),
    "unterminated-data.conf": (3, "unterminated <…> value (no closing >)"),
    "missing-semicolon.conf": (7, "expected ';' after value of 'WOPort'"),
    "missing-equals.conf": (2, "expected '=' after the key 'WOWorkersCount'"),
    "missing-comma.conf": (2, "expected ',' or ')' after an array element (in the array opened "
                              "on line 2)"),
    "garbage-after-root.conf": (4, "unexpected text after the end of the configuration "
                                   "(starting with '}')"),
    "empty.conf": (1, "empty configuration"),
    "blank.conf": (1, "empty configuration"),
    "bad-hex.conf": (2, "invalid character 'z' in <…> data (hexadecimal digits expected)"),
    "odd-hex.conf": (2, "odd number of hexadecimal digits in <…> data"),
    "bad-typed-int.conf": (2, "invalid value in <*Ithree>"),
    "bad-typed-bool.conf": (2, "invalid value in <*Bmaybe>"),
    "bad-typed-date.conf": (2, "invalid value in <*D2002-03-04>"),
    "unknown-typed.conf": (2, "unknown typed value <*X1> (expected <*I…>, <*R…>, <*B…> or <*D…>)"),
    "bad-character.conf": (2, "unexpected character '[' in the value of 'SOGoPageTitle' "
                              '(quote the value with "…")'),
    "array-key.conf": (2, "a dictionary key must be a string"),
}


def test_every_error_fixture_has_an_expected_message():
    assert sorted(ERRORS) == INVALID


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_error_messages_name_file_and_line(name):
    path = str(FIXTURES / "errors" / name)
    line, message = ERRORS[name]
    with pytest.raises(PlistError) as info:
        load_file(path)
    assert str(info.value) == f"{path} line {line}: {message}"
    assert (info.value.source, info.value.line, info.value.message) == (path, line, message)
    assert isinstance(info.value, ConfigError)


def test_default_source_name_is_sogo_conf():
    with pytest.raises(PlistError) as info:
        loads("{\n  WOPort = 1\n  X = 2;\n}")
    assert str(info.value) == "sogo.conf line 2: expected ';' after value of 'WOPort'"


def test_non_ascii_outside_quotes_is_refused():
    with pytest.raises(PlistError, match="unexpected character 'é'"):
        loads("{ a = café; }")


# --------------------------------------------------------------------------- files

def test_load_file_requires_a_dictionary(tmp_path):
    path = tmp_path / "sogo.conf"
    path.write_text("(a, b)\n")
    with pytest.raises(PlistError, match=r"line 1: the configuration must be a dictionary"):
        load_file(str(path))


def test_load_file_reads_utf8_then_latin1(tmp_path):
    utf8, latin1 = tmp_path / "utf8.conf", tmp_path / "latin1.conf"
    utf8.write_bytes('{ SOGoPageTitle = "Café"; }'.encode("utf-8"))
    latin1.write_bytes('{ SOGoPageTitle = "Café"; }'.encode("latin-1"))
    assert load_file(str(utf8))["SOGoPageTitle"] == "Café"
    assert load_file(str(latin1))["SOGoPageTitle"] == "Café"


def test_load_file_skips_a_byte_order_mark(tmp_path):
    path = tmp_path / "bom.conf"
    path.write_bytes(b"\xef\xbb\xbf{ a = b; }")
    assert load_file(str(path)) == {"a": "b"}


def test_load_file_reads_xml_plists(tmp_path):
    path = tmp_path / "defaults.xml"
    value = {"WOPort": "127.0.0.1:20000", "WOWorkersCount": 3, "WONoDetach": True,
             "SOGoUserSources": [{"type": "sql", "id": "x"}], "Data": b"\x01"}
    path.write_bytes(plistlib.dumps(value, fmt=plistlib.FMT_XML))
    conf = load_file(str(path))
    assert conf == value and isinstance(conf, PlistDict)
    assert isinstance(conf["SOGoUserSources"][0], PlistDict)
    assert conf.source == str(path)


def test_invalid_xml_plist_is_a_plist_error(tmp_path):
    path = tmp_path / "broken.xml"
    path.write_text('<?xml version="1.0"?>\n<plist><dict><key>a</key>\n</plist>\n')
    with pytest.raises(PlistError, match=r"broken.xml line \d+: invalid XML property list"):
        load_file(str(path))


# --------------------------------------------------------------------------- writing

def test_dumps_layout():
    value = {"b": "two words", "a": ["x", "y"], "c": {"k": "v"}, "d": [], "e": {}}
    assert dumps(value) == (
        '{\n  b = "two words";\n  a = (\n    x,\n    y\n  );\n  c = {\n    k = v;\n  };\n'
        "  d = ();\n  e = {};\n}"
    )
    assert dumps(value, sort_keys=True).splitlines()[1] == "  a = ("
    assert dumps(value, indent=4).splitlines()[2] == "    a = ("


def test_dumps_on_one_line():
    assert dumps({"a": ["x", "y"], "b": {"c": "d"}}, indent=0) == "{a = (x, y); b = {c = d; }; }"
    assert dumps(["a"], indent=None) == "(a)"


@pytest.mark.parametrize("value, text", [
    (True, "YES"), (False, "NO"), (5, "5"), (-2, "-2"), (1.5, "1.5"), (b"\x0f\xbd", "<0fbd>"),
    ("plain_word-1.2:3/$x", "plain_word-1.2:3/$x"), ("", '""'), ("two words", '"two words"'),
    ("user@example.com", '"user@example.com"'), ("*", '"*"'), ("http://x", '"http://x"'),
    ("/*x", '"/*x"'), ('say "hi"\\', r'"say \"hi\"\\"'), ("a\nb\tc\x01", r'"a\nb\tc\001"'),
    ("été", '"été"'),
    (datetime.datetime(2002, 3, 4, 12, 0, tzinfo=datetime.timezone.utc),
     "<*D2002-03-04 12:00:00 +0000>"),
])
def test_dumps_scalars(value, text):
    assert dumps(value) == text


def test_dumps_refuses_what_a_plist_cannot_hold():
    with pytest.raises(TypeError):
        dumps({"a": None})
    with pytest.raises(TypeError):
        dumps({1: "a"})


def test_typed_values_round_trip():
    value = {"i": 5, "f": 1.5, "b": True, "d": b"\x00\xff",
             "t": datetime.datetime(2002, 3, 4, 12, 0, tzinfo=datetime.timezone.utc)}
    back = loads(dumps(value))
    assert back["d"] == value["d"] and back["t"] == value["t"]
    assert back["i"] == "5" and back["b"] == "YES"  # bare, as SOGo writes them


TRICKY = {
    "empty": "", "space": " leading and trailing ", "quotes": '"\'', "backslashes": "\\\\n",
    "controls": "".join(chr(c) for c in range(1, 32)) + "\x7f", "unicode": "日本語 ü €",
    "comment-like": ["//", "/*", "*/", "a//b", "/*x*/"], "delimiters": "{}();,=<>",
    "keys": {"": "empty key", "with space": "x", "$label1": ["Important", "#FF0000"]},
    "nested": [[], {}, [[["deep"]]], {"a": {"b": {}}}],
    "numbers-as-strings": ["5", "-1", "1.5", "YES", "NO"],
}


def test_round_trip_of_string_valued_structures():
    assert loads(dumps(TRICKY)) == TRICKY
    assert loads(dumps(TRICKY, indent=0)) == TRICKY
    assert loads(dumps(TRICKY, sort_keys=True)) == TRICKY


@pytest.mark.parametrize("name", ["guide-summary.conf", "guide-multidomain.conf",
                                  "guide-sql-source.conf", "comments.conf", "nested.conf",
                                  "unquoted.conf", "missing-semicolon.conf"])
def test_round_trip_of_fixtures(name):
    conf = fixture(name)
    assert loads(dumps(conf)) == conf


# --------------------------------------------------------------------------- GNUstep, the reference

# Documents GNUstep accepts and sogod refuses on purpose.
STRICTER_THAN_GNUSTEP = {
    "array-key.conf": "GNUstep allows any value as a key; SOGo only ever looks up strings",
    "bad-typed-int.conf": "GNUstep silently reads <*Ithree> as 0",
    "blank.conf": "GNUstep reads blank text as an empty dictionary; SOGo skips such a file",
}


def gnustep(tool: str, *args: str, home: Path) -> subprocess.CompletedProcess:
    exe = shutil.which(tool)
    assert exe, f"{tool} is missing: apt-get install gnustep-base-runtime"
    env = dict(os.environ, HOME=str(home), LANG="C.UTF-8")
    return subprocess.run([exe, *args], capture_output=True, text=True, env=env, timeout=60,
                          cwd=str(home))


def gnustep_accepts(path: Path, home: Path) -> bool:
    result = gnustep("plparse", str(path), home=home)
    output = result.stdout + result.stderr
    return result.returncode == 0 and "Parse failed" not in output and "nil property list" not in output


def gnustep_reads(path: Path, home: Path):
    """What GNUstep reads from ``path``, written back by plmerge and read by us."""
    out = home / "merged.plist"
    out.unlink(missing_ok=True)
    result = gnustep("plmerge", str(out), str(path), home=home)
    assert result.returncode == 0 and out.exists(), result.stderr
    return load_file(str(out))


def sogod_accepts(path: Path) -> bool:
    try:
        load_file(str(path))
        return True
    except PlistError:
        return False


def test_gnustep_tools_are_installed():
    for tool in ("plparse", "plmerge"):
        assert shutil.which(tool), f"{tool} is missing: apt-get install gnustep-base-runtime"


@pytest.mark.parametrize("name", VALID + [f"errors/{n}" for n in INVALID])
def test_gnustep_accepts_exactly_what_sogod_accepts(name, tmp_path):
    path = FIXTURES / name
    ours, theirs = sogod_accepts(path), gnustep_accepts(path, tmp_path)
    if Path(name).name in STRICTER_THAN_GNUSTEP:
        assert theirs and not ours
    else:
        assert ours == theirs


@pytest.mark.parametrize("name", VALID)
def test_gnustep_reads_the_same_values(name, tmp_path):
    assert gnustep_reads(FIXTURES / name, tmp_path) == fixture(name)


@pytest.mark.parametrize("name", ["guide-multidomain.conf", "nested.conf", "typed.conf"])
def test_gnustep_reads_what_dumps_writes(name, tmp_path):
    conf = fixture(name)
    written = tmp_path / "dumped.conf"
    written.write_text(dumps(conf, sort_keys=True) + "\n", encoding="utf-8")
    assert gnustep_accepts(written, tmp_path)
    assert gnustep_reads(written, tmp_path) == loads(dumps(conf))


def test_gnustep_reads_tricky_strings_as_we_write_them(tmp_path):
    ascii_only = {k: v for k, v in TRICKY.items() if k != "unicode"}  # plparse is ASCII-only
    written = tmp_path / "tricky.conf"
    written.write_text(dumps(ascii_only) + "\n", encoding="utf-8")
    assert gnustep_reads(written, tmp_path) == ascii_only
