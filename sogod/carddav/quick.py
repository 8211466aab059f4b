"""Quick rows of address-book objects, as SOGo 5.8 computes them.

``contact_quick_row`` returns every column of the contact quick table but
``c_name``, following ``-[NGVCard quickRecordFromContent:…]`` and
``-[NGVList quickRecordFromContent:…]`` (SoObjects/Contacts/NGVCard+SOGo.m,
NGVList+SOGo.m): a missing FN, N, ORG or X-AIM reads as ``""``, a missing
TEL, EMAIL, ADR or CATEGORIES as NULL; the preferred TEL/EMAIL/ADR is the first
with TYPE=pref, else the first with TYPE=work, else the first one.
"""

from __future__ import annotations

from .vcard import field, first, flattened, is_void, lines, parts, types

CONTACT_COLUMNS = ("c_givenname", "c_cn", "c_sn", "c_screenname", "c_l", "c_mail", "c_o", "c_ou",
                   "c_telephonenumber", "c_categories", "c_component", "c_hascertificate")
_WIDTH = 255  # every column but c_mail is VARCHAR(255)


def _preferred(card, name: str):
    found = lines(card, name)
    if not found:
        return None
    for wanted in ("pref", "work"):
        for line in found:
            if wanted in types(line):
                return line
    return found[0]


def _emails(card) -> list[str]:
    """NGVCard+SOGo -emails: the preferred address first, then the others in reverse."""
    preferred = _preferred(card, "EMAIL")
    preferred = flattened(preferred).lower() if preferred is not None else None
    out: list[str] = []
    for line in reversed(lines(card, "EMAIL")):
        email = flattened(line)
        if email.lower() == preferred:
            out.insert(0, email)
        else:
            out.append(email)
    return out


def contact_quick_row(card) -> dict:
    """Every column of the contact quick table but ``c_name``."""
    if card.name.upper() == "VLIST":
        row = dict.fromkeys(CONTACT_COLUMNS)
        row.update(c_cn=flattened(first(card, "FN")), c_component="vlist")
        return _truncate(row)
    n, org = first(card, "N"), first(card, "ORG")
    tel, adr = _preferred(card, "TEL"), _preferred(card, "ADR")
    emails = _emails(card)
    categories = first(card, "CATEGORIES")
    cats = [p.strip(" ") for p in parts(categories)] if categories is not None and flattened(categories) else []
    key = first(card, "KEY")
    row = {
        "c_givenname": field(n, 1),
        "c_cn": flattened(first(card, "FN")),
        "c_sn": field(n, 0),
        "c_screenname": flattened(first(card, "X-AIM")),
        "c_l": field(adr, 3) if adr is not None and not is_void(adr) else None,
        "c_mail": ",".join(emails) if emails else None,
        "c_o": field(org, 0),
        "c_ou": field(org, 1),
        "c_telephonenumber": flattened(tel) if tel is not None else None,
        "c_categories": ",".join(cats) if cats else None,
        "c_component": "vcard",
        "c_hascertificate": int(key is not None and not is_void(key)),
    }
    return _truncate(row)


def _truncate(row: dict) -> dict:
    for column, value in row.items():
        if column != "c_mail" and isinstance(value, str) and len(value) > _WIDTH:
            row[column] = value[:_WIDTH]
    return row
