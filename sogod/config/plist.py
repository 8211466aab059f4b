"""GNUstep/OpenStep text property lists: the format of sogo.conf.

``loads`` follows the grammar GNUstep's parser accepts (``plparse`` is the
reference in the tests): dictionaries ``{ key = value; }`` whose last ``;``
may be missing, arrays ``( a, b, )``, quoted strings with C escapes, unquoted
strings of letters, digits and ``!#$%&*+-./:?@^_|~``, ``//`` and ``/* */``
comments, the typed values ``<*I5>``, ``<*R1.5>``, ``<*BY>``,
``<*D2002-03-04 12:00:00 +0000>``, hex data ``<0fbd 77>`` and GNUstep's base64
data ``<[D70=]>``. Like GNUstep, a document of ``key = value;`` pairs without
braces is read as a dictionary (the "strings file" form).

Bare words such as ``YES`` or ``5`` stay strings: the schema converts them.
Dictionaries come back as :class:`PlistDict`, which remembers the line of
each key so that later checks can say ``sogo.conf line 12: …``.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import datetime
import plistlib
import re

UNQUOTED_CHARS = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&*+-./:?@^_|~")
# What ``dumps`` writes without quotes: a narrower set that every reader accepts.
_BARE_RE = re.compile(r"[A-Za-z0-9_$./:-]+")
_DELIMITERS = frozenset(";,)}=")
_SIMPLE_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
_DATE_FORMAT = "%Y-%m-%d %H:%M:%S %z"
EMPTY = "empty configuration"


class ConfigError(Exception):
    """A configuration problem; ``str()`` is a message fit for an administrator."""


class PlistError(ConfigError):
    """A syntax error: ``str()`` is ``"{source} line {line}: {message}"``."""

    def __init__(self, source: str, line: int, message: str):
        self.source, self.line, self.message = source, line, message
        super().__init__(f"{source} line {line}: {message}")


class PlistDict(dict):
    """A dictionary read from a property list, with where each key was written.

    ``source``: the file name given to the parser; ``line``: the line of the
    opening ``{``; ``lines``: key -> line of the key; ``duplicates``: one
    ``(key, earlier_line, later_line)`` per key written twice (the last value
    is kept, as GNUstep does).
    """

    def __init__(self, *args, source: str = "", line: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.source = source
        self.line = line
        self.lines: dict[str, int] = {}
        self.duplicates: list[tuple[str, int, int]] = []


# --------------------------------------------------------------------------- reading

class _Parser:
    def __init__(self, text: str, source: str):
        self.text = text
        self.source = source
        self.pos = 0
        self.end = len(text)
        self._newlines = [i for i, c in enumerate(text) if c == "\n"]

    def line_at(self, pos: int) -> int:
        return bisect.bisect_left(self._newlines, pos) + 1

    def error(self, message: str, pos: int | None = None) -> PlistError:
        return PlistError(self.source, self.line_at(self.pos if pos is None else pos), message)

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < self.end else ""

    def skip(self) -> None:
        """Skip white space and comments."""
        text = self.text
        while self.pos < self.end:
            c = text[self.pos]
            if c.isspace():
                self.pos += 1
            elif text.startswith("//", self.pos):
                newline = text.find("\n", self.pos)
                self.pos = self.end if newline < 0 else newline + 1
            elif text.startswith("/*", self.pos):
                close = text.find("*/", self.pos + 2)
                if close < 0:
                    raise self.error("unterminated /* comment (no closing */)")
                self.pos = close + 2
            else:
                return

    # -- document

    def document(self):
        self.skip()
        if self.pos >= self.end:
            raise self.error(EMPTY, 0)
        if self._looks_like_strings_file():
            return self.strings_file()
        value = self.value(context="the configuration")
        self.skip()
        if self.pos < self.end:
            raise self.error("unexpected text after the end of the configuration "
                             f"(starting with {self._excerpt()})")
        return value

    def _looks_like_strings_file(self) -> bool:
        """``key = value;`` at the top level, without braces (GNUstep accepts it)."""
        if self.peek() in "{(<":
            return False
        start = self.pos
        try:
            self.string()
            self.skip()
            return self.peek() in ("=", ";")
        except PlistError:
            return False
        finally:
            self.pos = start

    def strings_file(self) -> PlistDict:
        result = PlistDict(source=self.source, line=self.line_at(self.pos))
        while True:
            self.skip()
            if self.pos >= self.end:
                return result
            key_pos = self.pos
            c = self.peek()
            if c != '"' and c not in UNQUOTED_CHARS and c not in ";=":
                raise self.error(f"unexpected character {c!r} (is the opening '{{' of the "
                                 "configuration missing?)")
            key = self.string()
            self.skip()
            value = ""
            if self.peek() == "=":
                self.pos += 1
                self.skip()
                if self.pos >= self.end:
                    raise self.error(f"expected a value for {key!r}")
                if self.peek() in "{(<":
                    raise self.error(f"value of {key!r}: a file without surrounding {{ }} "
                                     "may only hold strings; wrap the whole file in { }")
                value = self.string()
                self.skip()
            if self.peek() != ";":
                raise self.error(f"expected ';' after value of {key!r}",
                                 self._last_nonspace(self.pos))
            self.pos += 1
            self._store(result, key, value, key_pos)

    # -- values

    def value(self, context: str):
        c = self.peek()
        if c == "{":
            return self.dictionary()
        if c == "(":
            return self.array()
        if c == "<":
            return self.angle()
        if c == "":
            raise self.error(f"unexpected end of file: expected {context}")
        if c == '"' or c in UNQUOTED_CHARS or c in _DELIMITERS:
            return self.string()
        raise self.error(f"unexpected character {c!r} in {context} (quote the value with \"…\")")

    def string(self) -> str:
        if self.peek() == '"':
            return self.quoted()
        start = self.pos
        text = self.text
        while self.pos < self.end and text[self.pos] in UNQUOTED_CHARS:
            self.pos += 1
        # Like GNUstep, nothing before a delimiter reads as the empty string.
        return text[start:self.pos]

    def quoted(self) -> str:
        opening = self.pos
        text = self.text
        self.pos += 1
        out: list[str] = []
        while True:
            stop = self._next_special()
            out.append(text[self.pos:stop])
            self.pos = stop
            if stop >= self.end:
                raise self.error('unterminated quoted string (no closing ")', opening)
            if text[stop] == '"':
                self.pos += 1
                return _join_surrogates("".join(out))
            self.pos += 1  # the backslash
            if self.pos >= self.end:
                raise self.error('unterminated quoted string (no closing ")', opening)
            out.append(self._escape())

    def _next_special(self) -> int:
        quote = self.text.find('"', self.pos)
        backslash = self.text.find("\\", self.pos)
        candidates = [i for i in (quote, backslash) if i >= 0]
        return min(candidates) if candidates else self.end

    def _escape(self) -> str:
        text = self.text
        c = text[self.pos]
        if c in _SIMPLE_ESCAPES:
            self.pos += 1
            return _SIMPLE_ESCAPES[c]
        if c in "01234567":
            digits = _take(text, self.pos, "01234567", 3)
            self.pos += len(digits)
            return chr(int(digits, 8))
        if c in "Uu":
            digits = _take(text, self.pos + 1, "0123456789abcdefABCDEF", 4)
            if not digits:
                raise self.error(f"\\{c} must be followed by hexadecimal digits")
            self.pos += 1 + len(digits)
            return chr(int(digits, 16))
        self.pos += 1
        return c  # \" \\ \' and unknown escapes stand for the character itself

    def dictionary(self) -> PlistDict:
        opening = self.pos
        result = PlistDict(source=self.source, line=self.line_at(opening))
        self.pos += 1
        while True:
            self.skip()
            c = self.peek()
            if c == "}":
                self.pos += 1
                return result
            if c == "":
                raise self._unclosed("dictionary", "}", opening)
            key_pos = self.pos
            if c in "{(<":
                raise self.error("a dictionary key must be a string")
            if c in "),":
                raise self.error(f"unexpected {c!r} in the dictionary opened on line "
                                 f"{self.line_at(opening)} (is a '}}' missing?)")
            key = self.value(context="a key")
            self.skip()
            if self.peek() != "=":
                if self.pos >= self.end:
                    raise self._unclosed("dictionary", "}", opening)
                raise self.error(f"expected '=' after the key {key!r}")
            self.pos += 1
            self.skip()
            if self.pos >= self.end:
                raise self._unclosed("dictionary", "}", opening)
            value = self.value(context=f"the value of {key!r}")
            value_end = self.pos
            self._store(result, key, value, key_pos)
            self.skip()
            c = self.peek()
            if c == ";":
                self.pos += 1
            elif c == "}":
                continue  # GNUstep tolerates a missing ';' before '}'
            elif c == "":
                raise self._unclosed("dictionary", "}", opening)
            elif self.pos == value_end and self.text[value_end - 1] in UNQUOTED_CHARS:
                raise self.error(f"unexpected character {c!r} in the value of {key!r} "
                                 '(quote the value with "…")')
            else:
                raise self.error(f"expected ';' after value of {key!r}", value_end - 1)

    def _store(self, result: PlistDict, key: str, value, key_pos: int) -> None:
        line = self.line_at(key_pos)
        if key in result:
            result.duplicates.append((key, result.lines[key], line))
        result[key] = value
        result.lines[key] = line

    def array(self) -> list:
        opening = self.pos
        self.pos += 1
        result: list = []
        while True:
            self.skip()
            c = self.peek()
            if c == ")":
                self.pos += 1
                return result
            if c == "":
                raise self._unclosed("array", ")", opening)
            result.append(self.value(context="an array element"))
            element_end = self.pos
            self.skip()
            c = self.peek()
            if c == ",":
                self.pos += 1
            elif c == ")":
                continue
            elif c == "":
                raise self._unclosed("array", ")", opening)
            elif self.pos == element_end and self.text[element_end - 1] in UNQUOTED_CHARS:
                raise self.error(f"unexpected character {c!r} in an array element "
                                 '(quote the value with "…")')
            else:
                raise self.error("expected ',' or ')' after an array element (in the array "
                                 f"opened on line {self.line_at(opening)})", element_end - 1)

    def angle(self):
        opening = self.pos
        close = self.text.find(">", opening)
        if close < 0:
            raise self.error("unterminated <…> value (no closing >)", opening)
        body = self.text[opening + 1:close]
        self.pos = close + 1
        if body.startswith("*"):
            return self._typed(body[1:], opening)
        if body.startswith("[") and body.endswith("]"):
            try:
                return base64.b64decode(body[1:-1], validate=True)
            except (binascii.Error, ValueError):
                raise self.error("invalid base64 in <[…]> data", opening) from None
        return self._hex(body, opening)

    def _typed(self, body: str, opening: int):
        kind, content = body[:1], body[1:].strip()
        try:
            if kind == "I":
                return int(content)
            if kind == "R":
                return float(content)
            if kind == "B":
                if content in ("Y", "YES"):
                    return True
                if content in ("N", "NO"):
                    return False
                raise ValueError
            if kind == "D":
                return datetime.datetime.strptime(content, _DATE_FORMAT)
        except ValueError:
            raise self.error(f"invalid value in <*{body}>", opening) from None
        raise self.error(f"unknown typed value <*{body}> (expected <*I…>, <*R…>, <*B…> or <*D…>)",
                         opening)

    def _hex(self, body: str, opening: int) -> bytes:
        digits = "".join(body.split())
        bad = next((c for c in digits if c not in "0123456789abcdefABCDEF"), None)
        if bad is not None:
            raise self.error(f"invalid character {bad!r} in <…> data (hexadecimal digits expected)",
                             opening)
        if len(digits) % 2:
            raise self.error("odd number of hexadecimal digits in <…> data", opening)
        return bytes.fromhex(digits)

    def _unclosed(self, what: str, closer: str, opening: int) -> PlistError:
        return self.error(f"unterminated {what}: the '{self.text[opening]}' opened on this line "
                          f"has no closing '{closer}'", opening)

    def _last_nonspace(self, pos: int) -> int:
        while pos > 0 and self.text[pos - 1].isspace():
            pos -= 1
        return max(pos - 1, 0)

    def _excerpt(self) -> str:
        return repr(self.text[self.pos:self.pos + 20].split("\n")[0])


def _take(text: str, start: int, allowed: str, limit: int) -> str:
    end = start
    while end < len(text) and end - start < limit and text[end] in allowed:
        end += 1
    return text[start:end]


def _join_surrogates(text: str) -> str:
    """``\\UD83D\\UDE00`` (UTF-16 escapes) into one character; lone halves become U+FFFD."""
    if not any("\ud800" <= c <= "\udfff" for c in text):
        return text
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def loads(text: str, source: str = "sogo.conf"):
    """Parse a whole property-list document; ``source`` names it in error messages."""
    if text.startswith("\ufeff"):
        text = text[1:]
    return _Parser(text, source).document()


def load_file(path: str) -> PlistDict:
    """Read a configuration file: OpenStep text (UTF-8, else latin-1) or an XML plist."""
    with open(path, "rb") as f:
        data = f.read()
    head = data.lstrip()[:64]
    if head.startswith(b"<?xml") or head.startswith(b"<plist") or head.startswith(b"<!DOCTYPE plist"):
        return _load_xml(data, path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    result = loads(text, source=path)
    if not isinstance(result, dict):
        raise PlistError(path, 1, "the configuration must be a dictionary: { key = value; … }")
    return result


def _load_xml(data: bytes, path: str) -> PlistDict:
    try:
        value = plistlib.loads(data, fmt=plistlib.FMT_XML)
    except Exception as exc:  # expat and plistlib raise several kinds
        raise PlistError(path, getattr(exc, "lineno", 1) or 1, f"invalid XML property list: {exc}") from None
    if not isinstance(value, dict):
        raise PlistError(path, 1, "the configuration must be a dictionary")
    return _to_plist_dict(value, path)


def _to_plist_dict(value, source: str):
    if isinstance(value, dict):
        return PlistDict({k: _to_plist_dict(v, source) for k, v in value.items()}, source=source)
    if isinstance(value, list):
        return [_to_plist_dict(v, source) for v in value]
    return value


# --------------------------------------------------------------------------- writing

def dumps(obj, indent: int | None = 2, *, sort_keys: bool = False) -> str:
    """OpenStep text for ``obj`` (what ``sogo-tool dump-defaults`` prints).

    ``indent=None`` or ``0`` writes everything on one line, a form fit for
    ``-Key value`` on a command line.
    """
    out: list[str] = []
    _write(obj, out, 0, indent or 0, sort_keys)
    return "".join(out)


def _write(obj, out: list[str], depth: int, indent: int, sort_keys: bool) -> None:
    pad, inner = " " * (indent * depth), " " * (indent * (depth + 1))
    if isinstance(obj, dict):
        if not obj:
            out.append("{}")
            return
        items = sorted(obj.items(), key=lambda kv: str(kv[0])) if sort_keys else obj.items()
        out.append("{\n" if indent else "{")
        for key, value in items:
            if not isinstance(key, str):
                raise TypeError(f"dictionary keys must be strings, not {type(key).__name__}")
            out.append(f"{inner}{quote(key)} = " if indent else f"{quote(key)} = ")
            _write(value, out, depth + 1, indent, sort_keys)
            out.append(";\n" if indent else "; ")
        out.append(f"{pad}}}")
    elif isinstance(obj, (list, tuple)):
        if not obj:
            out.append("()")
            return
        out.append("(\n" if indent else "(")
        for i, value in enumerate(obj):
            out.append(inner if indent else "")
            _write(value, out, depth + 1, indent, sort_keys)
            last = i == len(obj) - 1
            out.append(("\n" if last else ",\n") if indent else ("" if last else ", "))
        out.append(f"{pad})")
    else:
        out.append(_scalar(obj))


def _scalar(obj) -> str:
    if isinstance(obj, bool):
        return "YES" if obj else "NO"
    if isinstance(obj, (int, float)):
        return repr(obj)
    if isinstance(obj, str):
        return quote(obj)
    if isinstance(obj, (bytes, bytearray)):
        return f"<{bytes(obj).hex()}>"
    if isinstance(obj, datetime.datetime):
        stamp = obj if obj.tzinfo else obj.replace(tzinfo=datetime.timezone.utc)
        return f"<*D{stamp.strftime(_DATE_FORMAT)}>"
    raise TypeError(f"cannot write a {type(obj).__name__} in a property list")


def quote(text: str) -> str:
    """``text`` bare when every reader takes it as is, else in quotes with C escapes."""
    if _BARE_RE.fullmatch(text) and "//" not in text and "/*" not in text:
        return text
    out = ['"']
    for c in text:
        if c in '"\\':
            out.append("\\" + c)
        elif c == "\n":
            out.append("\\n")
        elif c == "\t":
            out.append("\\t")
        elif c == "\r":
            out.append("\\r")
        elif ord(c) < 32 or ord(c) == 127:
            out.append(f"\\{ord(c):03o}")
        else:
            out.append(c)
    out.append('"')
    return "".join(out)
