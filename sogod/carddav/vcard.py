"""vCard parsing and validation, and SOGo-compatible value accessors.

``parse_vcard`` returns the single ``vobject`` component of an address-book
object (a VCARD of version 2.1, 3.0 or 4.0, an Apple group vCard, or SOGo's
VLIST) or raises ``InvalidVCard``. Values are kept raw (``transform=False``):
the caller stores the original text, so a binary PHOTO or KEY is never
re-encoded.

The accessors read values the way SOGo's NGCards does (SOGo 5.8,
``SOPE/NGCards/NGCardsSaxHandler.m``): N, ADR and ORG are split into
``;``-separated fields of ``,``-separated parts, every other property is one
field of ``,``-separated parts, and a property's "flattened" value joins its
parts with ``,``. Bare vCard 2.1 parameters (``TEL;CELL;PREF:``) count as TYPE
values.
"""

from __future__ import annotations

import re

import vobject

from ..caldav.ical import card_fields, card_parts, decode_text

COMPONENTS = ("VCARD", "VLIST")
STRUCTURED = ("N", "ADR", "ORG")


class InvalidVCard(ValueError):
    """The data is not a vCard (or VLIST) SOGo would store."""


def parse_vcard(data: bytes | str):
    """Parse one address-book object resource (RFC 6352 §5.1)."""
    text = decode_text(data, InvalidVCard, "vCard data")
    if not re.match(r"\s*BEGIN:(VCARD|VLIST)\s*\r?\n", text, re.IGNORECASE):
        raise InvalidVCard("not a vCard (expected BEGIN:VCARD)")
    try:
        components = list(vobject.readComponents(text, transform=False))
    except Exception as exc:  # vobject raises ParseError, binascii.Error, ValueError...
        raise InvalidVCard(f"cannot parse vCard data: {str(exc)[:200]}") from None
    if len(components) != 1:
        raise InvalidVCard("an address-book object must hold exactly one vCard")
    card = components[0]
    if getattr(card, "name", "").upper() not in COMPONENTS:
        raise InvalidVCard("not a vCard (expected VCARD or VLIST)")
    if card.name.upper() == "VCARD":
        version = first(card, "VERSION")
        if version is not None and str(version.value).strip() not in ("2.1", "3.0", "4.0"):
            raise InvalidVCard(f"unsupported vCard version {str(version.value)[:20]!r}")
    return card


def uid_of(card) -> str:
    line = first(card, "UID")
    return flattened(line) if line is not None else ""


# --------------------------------------------------------------------------- accessors

def lines(card, name: str) -> list:
    """Every ``name`` property, group prefixes ignored, in document order."""
    name = name.upper()
    return [line for line in card.getChildren()
            if isinstance(line, vobject.base.ContentLine) and line.name.upper() == name]


def first(card, name: str):
    found = lines(card, name)
    return found[0] if found else None


def _raw(line) -> str:
    value = line.value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value if isinstance(value, str) else str(value)


def parts(line) -> list[str]:
    """An unstructured value split on unescaped commas (NGCards -asCardAttributeValues)."""
    if isinstance(line.value, (list, tuple)):  # vobject splits a few multi-valued properties
        return [v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in line.value]
    return card_parts(_raw(line))


def fields(line) -> list[list[str]]:
    """A structured value (N, ADR, ORG): fields split on ``;``, parts on ``,``,
    empty parts dropped (NGCards -vCardSubvalues)."""
    return [parts for _, parts in card_fields(_raw(line))]


def flattened(line) -> str:
    """The whole value as SOGo flattens it: parts joined by ``,``, fields by ``;``."""
    if line is None:
        return ""
    if line.name.upper() in STRUCTURED:
        return ";".join(",".join(f) for f in fields(line))
    return ",".join(parts(line))


def field(line, index: int) -> str:
    """One field of a structured value, its parts joined by ``,`` (``""`` if missing)."""
    if line is None:
        return ""
    found = fields(line)
    return ",".join(found[index]) if index < len(found) else ""


def types(line) -> list[str]:
    """Lower-cased TYPE values, bare 2.1 parameters included."""
    out = []
    for value in line.params.get("TYPE", []):
        out.extend(v.strip().strip('"').lower() for v in str(value).split(","))
    out.extend(str(v).lower() for v in getattr(line, "singletonparams", []))
    return out


def is_void(line) -> bool:
    """NGCards -isVoid: no non-empty value anywhere."""
    if line.name.upper() in STRUCTURED:
        return not any(any(f) for f in fields(line))
    return not any(p for p in parts(line))
