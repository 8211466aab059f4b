"""Text-match collations shared by CalDAV and CardDAV filters (pure functions).

RFC 4790 defines ``i;octet`` (code points compared as they are) and
``i;ascii-casemap`` (only the ASCII letters a-z fold to A-Z, everything else is
compared as is). RFC 5051 defines ``i;unicode-casemap``: every character is
mapped to its simple titlecase form, then the string is normalised with NFKD,
so "é" equals "É" and "Ｆ" (full width) equals "f"; "ß" stays "ß" because its
simple titlecase is itself (unlike ``str.casefold``).

RFC 4791 §9.7.5 (CalDAV) and RFC 6352 §10.5.4 (CardDAV) make
``i;ascii-casemap`` the default; CardDAV adds the ``match-type`` attribute
(equals, contains, starts-with, ends-with), which we also accept for CalDAV.
A collation we do not know raises :class:`UnsupportedCollation`: the caller
answers 403 with the ``supported-collation`` precondition.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

__all__ = [
    "DEFAULT_COLLATION", "MATCH_TYPES", "SUPPORTED_COLLATIONS",
    "UnsupportedCollation", "UnsupportedMatchType", "fold", "text_match",
]

DEFAULT_COLLATION = "i;ascii-casemap"
SUPPORTED_COLLATIONS = ("i;ascii-casemap", "i;octet", "i;unicode-casemap")
MATCH_TYPES = ("equals", "contains", "starts-with", "ends-with")

_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


class UnsupportedCollation(ValueError):
    """A collation outside :data:`SUPPORTED_COLLATIONS` (precondition supported-collation)."""

    def __init__(self, collation: str):
        super().__init__(f"unsupported collation {collation!r}")
        self.collation = collation


class UnsupportedMatchType(ValueError):
    """A match-type outside :data:`MATCH_TYPES`."""

    def __init__(self, match_type: str):
        super().__init__(f"unsupported match-type {match_type!r}")
        self.match_type = match_type


@lru_cache(maxsize=4096)
def _simple_titlecase(ch: str) -> str:
    """The one-character titlecase mapping of UnicodeData.txt, approximated.

    Python only exposes the full mappings (SpecialCasing.txt), which may
    expand a character ("ß" -> "Ss"); when they do, the simple mapping is the
    character itself unless a one-character uppercase exists.
    """
    titled = ch.title()
    if len(titled) == 1:
        return titled
    upper = ch.upper()
    return upper if len(upper) == 1 else ch


def _unicode_casemap(value: str) -> str:
    return unicodedata.normalize("NFKD", "".join(_simple_titlecase(ch) for ch in value))


def fold(value: str, collation: str = DEFAULT_COLLATION) -> str:
    """The canonical form of ``value`` under ``collation``: equal forms compare equal.

    Also usable as a sort key (e.g. for CardDAV ordering).
    """
    if collation == "i;ascii-casemap":
        return value.translate(_ASCII_UPPER)
    if collation == "i;octet":
        return value
    if collation == "i;unicode-casemap":
        return _unicode_casemap(value)
    raise UnsupportedCollation(collation)


def text_match(value: str, needle: str, *, collation: str = DEFAULT_COLLATION,
               match_type: str = "contains", negate: bool = False) -> bool:
    """Whether ``value`` matches ``needle`` (RFC 4791 §9.7.5, RFC 6352 §10.5.4).

    ``negate`` inverts the result (``negate-condition="yes"``). Comparing code
    points is the same as comparing UTF-8 octets for all four match types.
    """
    if match_type not in MATCH_TYPES:
        raise UnsupportedMatchType(match_type)
    haystack, pattern = fold(value, collation), fold(needle, collation)
    if match_type == "contains":
        found = pattern in haystack
    elif match_type == "equals":
        found = haystack == pattern
    elif match_type == "starts-with":
        found = haystack.startswith(pattern)
    else:
        found = haystack.endswith(pattern)
    return found != negate
