"""Contact quick rows and vCard validation (tier 1, pure).

Expected rows come from real SOGo 5.8: the rows it wrote for the reference
transcripts (``tests/fixtures/ical/sogo-5.8/sample-rows*.txt``) and, for every
``tests/fixtures/vcard/*.vcf``/``*.vlf``, the row it wrote when that file was
PUT into it (the ``.json`` beside it).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sogod.carddav.quick import CONTACT_COLUMNS, contact_quick_row
from sogod.carddav.vcard import InvalidVCard, parse_vcard, uid_of
from sogod.store import tables

from .test_quick_appointment import assert_like_psql, sample_rows

FIXTURES = Path(__file__).parent / "fixtures" / "vcard"
CASES = sorted(p for p in FIXTURES.iterdir() if p.suffix in (".vcf", ".vlf"))
FUZZ = int(os.environ.get("SOGOD_FUZZ", "300"))


@pytest.mark.parametrize("name,content,expected", sample_rows("Contacts"),
                         ids=[r[0] for r in sample_rows("Contacts")])
def test_real_sogo_rows(name, content, expected):
    assert_like_psql(contact_quick_row(parse_vcard(content)), expected)


def test_sample_rows_cover_every_stored_card():
    assert {n.split(":")[1] for n, _, _ in sample_rows("Contacts")} == {"card1.vcf", "card2.vcf", "combined1.vcf"}


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_fixture_quick_row(case):
    expected = json.loads(case.with_suffix(".json").read_text())["quick"]
    assert contact_quick_row(parse_vcard(case.read_bytes())) == expected


def test_columns_are_the_quick_table_columns():
    table = tables.quick_table("sogotest_quick", "Contact")
    assert set(CONTACT_COLUMNS) == set(table.c.keys()) - {"c_name"}
    for case in CASES:
        assert tuple(contact_quick_row(parse_vcard(case.read_bytes()))) == CONTACT_COLUMNS


def test_binary_photo_survives():
    text = (FIXTURES / "full-v3.vcf").read_text()
    card = parse_vcard(text)
    photo = card.contents["photo"][0]
    assert photo.value.startswith(b"\xff\xd8") and uid_of(card) == "full-v3@sogod"


def test_group_vcard_and_vlist():
    assert contact_quick_row(parse_vcard((FIXTURES / "apple-group.vcf").read_bytes()))["c_component"] == "vcard"
    row = contact_quick_row(parse_vcard((FIXTURES / "list.vlf").read_bytes()))
    assert row["c_component"] == "vlist" and row["c_cn"] == "My list"


def test_long_values_fit_their_columns():
    text = ("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:long\r\nFN:" + "F" * 400 + "\r\nEMAIL:" + "e" * 300
            + "@example.org\r\nEND:VCARD\r\n")
    row = contact_quick_row(parse_vcard(text))
    assert len(row["c_cn"]) == 255 and len(row["c_mail"]) == 312


GOOD = (FIXTURES / "work-only.vcf").read_text()
GARBAGE = {
    "empty": b"",
    "text": b"this is not a card",
    "binary": bytes(range(256)) * 4,
    "nul": b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:\x00\r\nEND:VCARD\r\n",
    "latin1": "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Jörg\r\nEND:VCARD\r\n".encode("latin-1"),
    "calendar": b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
    "unterminated": b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:x\r\n",
    "two cards": (GOOD * 2).encode(),
    "bad version": GOOD.replace("VERSION:3.0", "VERSION:9.9").encode(),
    "broken base64": b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:x\r\nPHOTO;ENCODING=b:abc\r\nEND:VCARD\r\n",
    "huge line": b"BEGIN:VCARD\r\nVERSION:3.0\r\n" + b"x" * 2_000_000 + b"\r\nEND:VCARD\r\n",
}


@pytest.mark.parametrize("data", GARBAGE.values(), ids=GARBAGE.keys())
def test_garbage_is_invalid(data):
    with pytest.raises(InvalidVCard) as info:
        parse_vcard(data)
    assert str(info.value)


@settings(max_examples=FUZZ, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000) | st.text(max_size=2000))
def test_random_input_never_raises_anything_else(data):
    try:
        card = parse_vcard(data)
    except InvalidVCard:
        return
    contact_quick_row(card)


CASE_TEXTS = [p.read_text() for p in CASES]


@settings(max_examples=FUZZ, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(CASE_TEXTS), st.integers(min_value=0, max_value=10_000), st.text(max_size=12))
def test_garbled_cards_raise_invalid_or_index(text, at, noise):
    at %= len(text)
    try:
        card = parse_vcard(text[:at] + noise + text[at:])
    except InvalidVCard:
        return
    assert set(contact_quick_row(card)) == set(CONTACT_COLUMNS)
