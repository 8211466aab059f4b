"""SOGo's ``filter`` qualifier syntax (an EOQualifier format) to an LDAP filter.

Pure functions, no I/O.  The grammar SOGo documents (guide §5.4)::

    expr   := term (OR term)*
    term   := factor (AND factor)*
    factor := NOT factor | '(' expr ')' | attribute op value
    op     := '=' | '<>' | '!=' | '>=' | '<=' | 'like' | 'caseInsensitiveLike'
    value  := 'quoted' | "quoted" | bare-word

``objectClass='mailUser' OR (mail='*' AND uid <> 'alice')`` becomes
``(|(objectClass=mailUser)(&(mail=*)(!(uid=alice))))``.  A value of ``*``
is a presence test and ``*`` inside a value is a wildcard (the filter is
written by the administrator); every other filter metacharacter of a value
is escaped.  A string that already is an LDAP filter (``(&…``, ``(|…``,
``(!…``) passes through unchanged.
"""

from __future__ import annotations

import re

from ldap.filter import escape_filter_chars


class FilterSyntaxError(ValueError):
    """The qualifier cannot be parsed."""


_TOKEN = re.compile(r"""
    \s*(?:
      (?P<open>\() | (?P<close>\)) |
      (?P<op><>|!=|>=|<=|=|<|>) |
      '(?P<sq>(?:[^'\\]|\\.)*)' | "(?P<dq>(?:[^"\\]|\\.)*)" |
      (?P<word>[^\s()'"=<>!]+)
    )""", re.X)

_KEYWORDS = {"and", "or", "not"}
_LIKE = {"like", "caseinsensitivelike"}


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise FilterSyntaxError(f"unexpected {text[pos:pos + 10]!r} in filter {text!r}")
        pos = m.end()
        kind = m.lastgroup
        if kind in ("sq", "dq"):
            out.append(("value", re.sub(r"\\(.)", r"\1", m.group(kind))))
        elif kind == "word" and m.group(kind).lower() in _KEYWORDS | _LIKE:
            word = m.group(kind).lower()
            out.append(("op", "like") if word in _LIKE else (word, word))
        else:
            out.append((kind, m.group(kind)))
    return out


def _value(value: str) -> str:
    """Escape a configured value, keeping ``*`` as the LDAP wildcard."""
    return "*".join(escape_filter_chars(part) for part in value.split("*"))


class _Parser:
    def __init__(self, tokens):
        self.tokens, self.pos = tokens, 0

    def peek(self):
        return self.tokens[self.pos] if self.pos < len(self.tokens) else (None, None)

    def take(self, kind=None):
        token = self.peek()
        if token[0] is None or (kind and token[0] != kind):
            raise FilterSyntaxError(f"expected {kind or 'more'} at token {self.pos + 1}")
        self.pos += 1
        return token

    def expr(self) -> str:
        parts = [self.term()]
        while self.peek()[0] == "or":
            self.take()
            parts.append(self.term())
        return parts[0] if len(parts) == 1 else "(|" + "".join(parts) + ")"

    def term(self) -> str:
        parts = [self.factor()]
        while self.peek()[0] == "and":
            self.take()
            parts.append(self.factor())
        return parts[0] if len(parts) == 1 else "(&" + "".join(parts) + ")"

    def factor(self) -> str:
        kind, _ = self.peek()
        if kind == "not":
            self.take()
            return "(!" + self.factor() + ")"
        if kind == "open":
            self.take()
            inner = self.expr()
            self.take("close")
            return inner
        _, attribute = self.take("word")
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9-]*(;[A-Za-z0-9-]+)*|[0-9.]+", attribute):
            raise FilterSyntaxError(f"bad attribute name {attribute!r}")
        _, op = self.take("op")
        kind, value = self.take()
        if kind not in ("value", "word"):
            raise FilterSyntaxError(f"expected a value after {attribute} {op}")
        if op == "like":
            op = "="
        if op in ("<", ">"):
            op += "="
        if op in ("<>", "!="):
            return f"(!({attribute}={_value(value)}))"
        return f"({attribute}{op}{_value(value)})"


def qualifier_to_ldap(text: str | None) -> str | None:
    """The LDAP filter for SOGo's ``filter`` value; None when empty."""
    if text is None or not str(text).strip():
        return None
    text = str(text).strip()
    if re.match(r"\(\s*[&|!]", text):
        return text
    parser = _Parser(_tokens(text))
    result = parser.expr()
    if parser.pos != len(parser.tokens):
        raise FilterSyntaxError(f"unexpected text after position {parser.pos + 1} in filter {text!r}")
    return result


def and_filters(*filters: str | None) -> str:
    """The conjunction of the non-empty filters (``(objectClass=*)`` when none)."""
    parts = [f for f in filters if f]
    if not parts:
        return "(objectClass=*)"
    return parts[0] if len(parts) == 1 else "(&" + "".join(parts) + ")"


def any_equal(attributes, value: str) -> str:
    """``(|(a=value)(b=value)…)`` with ``value`` escaped (user input)."""
    escaped = escape_filter_chars(value)
    parts = [f"({a}={escaped})" for a in dict.fromkeys(attributes)]
    return parts[0] if len(parts) == 1 else "(|" + "".join(parts) + ")"


def any_contains(attributes, value: str) -> str:
    """``(|(a=*value*)…)`` with ``value`` escaped (user input)."""
    escaped = escape_filter_chars(value)
    parts = [f"({a}=*{escaped}*)" for a in dict.fromkeys(attributes)]
    return parts[0] if len(parts) == 1 else "(|" + "".join(parts) + ")"
