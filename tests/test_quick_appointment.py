"""Appointment quick rows and iCalendar validation (tier 1, pure).

Expected rows come from real SOGo 5.8: ``tests/fixtures/ical/sogo-5.8/`` holds
the rows SOGo wrote for the reference transcripts, and every other
``tests/fixtures/ical/*.ics`` was PUT into a real SOGo 5.8 (Debian
5.8.0-2+deb12u4, SOGoTimeZone Europe/Berlin, user3@example.com) whose quick and
alarm rows are the ``.json`` beside it. Where sogod deliberately differs, the
``.json`` says so under ``sogo_deviations``.
"""

from __future__ import annotations

import json
import os
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sogod.caldav.ical import InvalidCalendar, main_component, parse_calendar, parse_timezone, uid_of
from sogod.caldav.quick import APPOINTMENT_COLUMNS, alarm_rows, appointment_quick_row, plist_description
from sogod.store import tables

FIXTURES = Path(__file__).parent / "fixtures" / "ical"
SOGO = FIXTURES / "sogo-5.8"
CASES = sorted(p for p in FIXTURES.glob("*.ics"))
FUZZ = int(os.environ.get("SOGOD_FUZZ", "300"))  # hypothesis examples per property


# --------------------------------------------------------------------------- real SOGo rows

def psql_records(path: Path) -> dict[str, list[dict[str, str]]]:
    """``psql -x`` output → {section title: [record…]}, multi-line values joined."""
    sections: dict[str, list[dict[str, str]]] = {}
    records = None
    key = None
    for line in path.read_text().splitlines():
        if line.startswith("### "):
            records = sections.setdefault(line[4:].strip(), [])
            continue
        if records is None:
            continue
        if line.startswith("-[ RECORD"):
            records.append({})
            key = None
            continue
        m = re.match(r"^(\w*)\s*\| ?(.*)$", line)
        if not m or not records:
            continue
        name, value = m.groups()
        more = value.rstrip().endswith("+")
        value = value.rstrip()
        value = value[:-1].rstrip() if more else value
        value = value.replace("\\r", "\r") + ("\n" if more else "")
        if name:
            key = name
            records[-1][key] = value
        elif key:
            records[-1][key] += value
    return sections


def _transcript(name: str, part: str) -> str:
    """The body of a transcript's request (``>>> REQUEST``) or response (``<<< RESPONSE``)."""
    text = (SOGO / name).read_text().split("### reformatted", 1)[0]
    request, response = text.split(">>> REQUEST", 1)[1].split("<<< RESPONSE", 1)
    message = request if part == "request" else response
    return message.split("\n\n", 1)[1].strip("\n") + "\n"


def sample_rows(kind: str) -> list[tuple[str, str, dict[str, str]]]:
    """(file, content, SOGo's quick row) for every quick row SOGo wrote of ``kind``
    ('Calendar' or 'Contacts'); truncated contents come from the GET transcripts."""
    gets = {"test2.ics": "27-get-event-recurring.txt", "webevent1": "89-get-web-created-event.txt"}
    out = []
    for path in (SOGO / "sample-rows.txt", SOGO / "sample-rows-combined.txt"):
        sections = psql_records(path)
        for title, rows in sections.items():
            if f"/{kind}/" not in title or not title.endswith("quick table rows"):
                continue
            folder = title.split(" : ")[0]
            contents = next((recs for t, recs in sections.items()
                             if t.startswith(folder + " ->") and "content table" in t), [])
            by_name = {r["c_name"]: r["c_content"] for r in contents}
            for row in rows:
                name = row["c_name"]
                content = by_name.get(name, "")
                if not content.rstrip().endswith(("END:VCALENDAR", "END:VCARD")):
                    content = _transcript(gets[name], "response")
                expected = {k: v for k, v in row.items() if k not in ("c_name", "c_folder_id")}
                out.append((f"{path.name}:{name}", content, expected))
    return out


def assert_like_psql(ours: dict, expected: dict[str, str]) -> None:
    """psql shows NULL and '' alike: an empty cell matches either."""
    assert set(ours) == set(expected)
    for column, shown in expected.items():
        value = ours[column]
        if shown == "":
            assert value in (None, ""), column
        else:
            assert str(value) == shown, column


@pytest.mark.parametrize("name,content,expected", sample_rows("Calendar"), ids=[r[0] for r in sample_rows("Calendar")])
def test_real_sogo_rows(name, content, expected):
    cal = parse_calendar(content)
    assert_like_psql(appointment_quick_row(cal, owner_emails=["user3@example.com"], default_tz="UTC"), expected)


def test_sample_rows_cover_every_stored_object():
    names = {n.split(":")[1] for n, _, _ in sample_rows("Calendar")}
    assert names == {"test1.ics", "test2.ics", "todo1.ics", "webevent1", "combined1.ics"}


@pytest.mark.parametrize("put,stored", [("26-put-event-recurring-tz-attendees.txt", "test2.ics"),
                                        ("29-put-todo.txt", "todo1.ics")])
def test_put_body_gives_the_stored_row(put, stored):
    """The row of what the client sent equals the row SOGo computed after adjusting it
    (here: the organizer's own attendee entry dropped)."""
    body = _transcript(put, "request")
    [expected] = [e for n, _, e in sample_rows("Calendar") if n.endswith(":" + stored)]
    cal = parse_calendar(body)
    assert_like_psql(appointment_quick_row(cal, owner_emails=["user3@example.com"]), expected)


# --------------------------------------------------------------------------- own fixtures

def load(case: Path) -> dict:
    return json.loads(case.with_suffix(".json").read_text())


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_fixture_quick_row(case):
    spec = load(case)
    cal = parse_calendar(case.read_bytes())
    kw = dict(owner_emails=spec["owner_emails"], default_tz=spec["default_tz"], now=spec["now"])
    assert appointment_quick_row(cal, **kw) == spec["quick"]
    assert alarm_rows(cal, **kw) == spec["alarms"]


def test_every_fixture_has_expectations():
    assert len(CASES) >= 45
    assert all(c.with_suffix(".json").exists() for c in CASES)


def test_columns_are_the_quick_table_columns():
    table = tables.quick_table("sogotest_quick", "Appointment")
    assert set(APPOINTMENT_COLUMNS) == set(table.c.keys()) - {"c_name"}
    cal = parse_calendar((FIXTURES / "attributes.ics").read_bytes())
    assert tuple(appointment_quick_row(cal)) == APPOINTMENT_COLUMNS


def test_floating_time_follows_the_user_zone():
    cal = parse_calendar((FIXTURES / "floating.ics").read_bytes())
    berlin = appointment_quick_row(cal, default_tz="Europe/Berlin")["c_startdate"]
    tokyo = appointment_quick_row(cal, default_tz="Asia/Tokyo")["c_startdate"]
    assert berlin - tokyo == 7 * 3600
    assert appointment_quick_row(cal, default_tz="No/Such_Zone")["c_startdate"] == \
        appointment_quick_row(cal, default_tz="UTC")["c_startdate"]


def test_now_as_datetime_or_epoch():
    cal = parse_calendar((FIXTURES / "alarm-recurring-display.ics").read_bytes())
    when = datetime(2026, 11, 24, 12, 56, 16, tzinfo=timezone.utc)
    assert appointment_quick_row(cal, now=when) == appointment_quick_row(cal, now=int(when.timestamp()))
    assert appointment_quick_row(cal, now=when)["c_nextalarm"] == 1795596600


def test_email_alarms_disabled_or_foreign_owner():
    cal = parse_calendar((FIXTURES / "alarm-email-attendee.ics").read_bytes())
    now = 1795524976
    assert alarm_rows(cal, owner_emails=["USER3@example.com"], now=now) == [
        {"c_uid": "alarm-email-attendee@sogod", "c_recurrence_id": 0, "c_alarm_number": 1,
         "c_alarm_date": 1800005400}]
    assert alarm_rows(cal, owner_emails=["user4@example.com"], now=now) == []
    assert alarm_rows(cal, owner_emails=["user3@example.com"], now=now, email_alarms=False) == []


def test_missing_class_takes_the_user_default():
    cal = parse_calendar((FIXTURES / "no-end.ics").read_bytes())
    assert appointment_quick_row(cal, events_classification="CONFIDENTIAL")["c_classification"] == 2
    todo = parse_calendar((FIXTURES / "task-no-dates.ics").read_bytes())
    assert appointment_quick_row(todo, events_classification="PRIVATE")["c_classification"] == 0
    assert appointment_quick_row(todo, tasks_classification="PRIVATE")["c_classification"] == 1


def test_organizer_is_another_local_user():
    cal = parse_calendar((FIXTURES / "attributes.ics").read_bytes())
    lookup = {"boss@example.org": ["the.boss@example.org", "boss@example.org", "dave@example.org"]}
    row = appointment_quick_row(cal, organizer_emails=lambda e: lookup.get(e.lower(), ()))
    assert row["c_orgmail"] == "the.boss@example.org"
    assert "dave@example.org" not in row["c_partmails"].split("\n")


def test_event_without_dtstart_starts_at_the_users_day_start():
    text = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:nostart\r\nSUMMARY:x\r\n"
            "END:VEVENT\r\nEND:VCALENDAR\r\n")
    now = datetime(2026, 5, 4, 22, 30, tzinfo=timezone.utc)  # 5 May, 00:30 in Berlin
    row = appointment_quick_row(parse_calendar(text), default_tz="Europe/Berlin", now=now)
    assert row["c_startdate"] == int(datetime(2026, 5, 5, 6, 0, tzinfo=timezone.utc).timestamp())
    assert row["c_enddate"] == row["c_startdate"] + 3600


def test_journal_row():
    row = appointment_quick_row(parse_calendar((FIXTURES / "journal.ics").read_bytes()))
    assert row["c_component"] == "vjournal" and row["c_startdate"] == 1768435200


def test_plist_description_quotes_like_gnustep():
    assert plist_description({"rules": ["FREQ=DAILY"], "exDates": ["20260101T000000Z"]}) == \
        '{exDates = (20260101T000000Z); rules = ("FREQ=DAILY"); }'
    assert plist_description(["a_b", "/x", "", 'q"\\', "é", "a\tb\x01", "😀"]) == \
        '("a_b", "/x", "", "q\\"\\\\", "\\U00E9", "a\tb\\001", "\\UD83D\\UDE00")'


# --------------------------------------------------------------------------- validation

VALID = (FIXTURES / "attributes.ics").read_text()
EVENT = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//EN\r\n{body}END:VCALENDAR\r\n")
VEVENT = "BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260101T100000Z\r\n{extra}END:VEVENT\r\n"

GARBAGE = {
    "empty": b"",
    "blank": b"   \r\n",
    "text": b"this is not a calendar",
    "binary": bytes(range(256)) * 4,
    "nul": b"BEGIN:VCALENDAR\r\n\x00\r\nEND:VCALENDAR\r\n",
    "latin1": "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:é\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n".encode("latin-1"),
    "vcard": b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:x\r\nEND:VCARD\r\n",
    "unterminated": b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\n",
    "empty calendar": EVENT.format(body="").encode(),
    "no uid": EVENT.format(body="BEGIN:VEVENT\r\nDTSTART:20260101T100000Z\r\nEND:VEVENT\r\n").encode(),
    "mixed kinds": EVENT.format(body=VEVENT.format(uid="a", extra="")
                                + VEVENT.format(uid="a", extra="").replace("VEVENT", "VTODO")).encode(),
    "two uids": EVENT.format(body=VEVENT.format(uid="a", extra="") + VEVENT.format(uid="b", extra="")).encode(),
    "two masters": EVENT.format(body=VEVENT.format(uid="a", extra="") * 2).encode(),
    "bad date": EVENT.format(body=VEVENT.format(uid="a", extra="DTEND:2026XX01\r\n")).encode(),
    "bad rrule": EVENT.format(body=VEVENT.format(uid="a", extra="RRULE:FREQ=SOMETIMES\r\n")).encode(),
    "bad exdate": EVENT.format(body=VEVENT.format(uid="a", extra="EXDATE:yesterday\r\n")).encode(),
    "bad trigger": EVENT.format(body=VEVENT.format(uid="a", extra="BEGIN:VALARM\r\nACTION:DISPLAY\r\n"
                                                    "TRIGGER:soon\r\nEND:VALARM\r\n")).encode(),
    "broken line": EVENT.format(body=VEVENT.format(uid="a", extra="this line has no colon\r\n")).encode(),
    "freebusy": EVENT.format(body="BEGIN:VFREEBUSY\r\nUID:f\r\nEND:VFREEBUSY\r\n").encode(),
    "two calendars": (EVENT.format(body=VEVENT.format(uid="a", extra="")) * 2).encode(),
    "huge garbage line": b"BEGIN:VCALENDAR\r\n" + b"x" * 2_000_000 + b"\r\nEND:VCALENDAR\r\n",
}


@pytest.mark.parametrize("data", GARBAGE.values(), ids=GARBAGE.keys())
def test_garbage_is_invalid(data):
    with pytest.raises(InvalidCalendar) as info:
        parse_calendar(data)
    assert str(info.value)


REAL_CLIENTS = {
    "lf endings": VALID.replace("\r\n", "\n"),
    "folded": EVENT.format(body=VEVENT.format(uid="a", extra="SUMMARY:a very long summary that"
                                              "\r\n  goes on after a fold\r\nX-APPLE-TRAVEL-ADVISORY-BEHAVIOR:AUTOMATIC\r\n")),
    "x component": EVENT.format(body="BEGIN:X-CALENDARSERVER-PERUSER\r\nUID:a\r\nEND:X-CALENDARSERVER-PERUSER\r\n"
                                + VEVENT.format(uid="a", extra="")),
    "odd priority": EVENT.format(body=VEVENT.format(uid="a", extra="PRIORITY:high\r\nSEQUENCE:x\r\n")),
    "bom": "\ufeff" + VALID,
    "thunderbird": EVENT.format(body=VEVENT.format(uid="a", extra="X-MOZ-GENERATION:1\r\nX-MOZ-LASTACK:20260101T000000Z\r\n"
                                                   "BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER;VALUE=DURATION:-PT15M\r\n"
                                                   "DESCRIPTION:Default Mozilla Description\r\nEND:VALARM\r\n")),
}


@pytest.mark.parametrize("text", REAL_CLIENTS.values(), ids=REAL_CLIENTS.keys())
def test_real_client_shapes_are_accepted(text):
    cal = parse_calendar(text.encode())
    row = appointment_quick_row(cal)
    assert row["c_uid"] == uid_of(cal) and set(row) == set(APPOINTMENT_COLUMNS)


def test_priority_and_sequence_read_like_atoi():
    cal = parse_calendar(REAL_CLIENTS["odd priority"])
    row = appointment_quick_row(cal)
    assert (row["c_priority"], row["c_sequence"]) == (0, 0)


def test_main_component_prefers_the_master():
    cal = parse_calendar((FIXTURES / "recur-override-first.ics").read_bytes())
    assert main_component(cal).get("RECURRENCE-ID") is None
    assert uid_of(cal) == "recur-override-first@sogod"


def test_parse_timezone():
    outlook = (FIXTURES / "tzid-outlook-vtimezone.ics").read_text()
    tz = parse_timezone(outlook.split("BEGIN:VEVENT")[0] + "END:VCALENDAR\n")
    assert str(tz["TZID"]) == "W. Europe Standard Time"
    for bad in ("", "garbage", VALID):
        with pytest.raises(InvalidCalendar):
            parse_timezone(bad)


LINES = VALID.replace("\r\n", "\n").strip("\n").split("\n")


@settings(max_examples=FUZZ, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000) | st.text(max_size=2000))
def test_random_input_never_raises_anything_else(data):
    try:
        cal = parse_calendar(data)
    except InvalidCalendar:
        return
    appointment_quick_row(cal)


@settings(max_examples=FUZZ, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(range(len(LINES))), min_size=1, max_size=len(LINES) + 5),
       st.text(max_size=30), st.integers(min_value=0, max_value=len(LINES) - 1))
def test_mangled_calendars_raise_invalid_or_index(order, noise, where):
    """Lines dropped, duplicated, reordered or garbled: InvalidCalendar or a row."""
    lines = [LINES[i] for i in order]
    lines.insert(where % len(lines), noise)
    try:
        cal = parse_calendar("\r\n".join(lines) + "\r\n")
    except InvalidCalendar:
        return
    row = appointment_quick_row(cal, now=0)
    assert set(row) == set(APPOINTMENT_COLUMNS)


CASE_TEXTS = [p.read_text() for p in CASES]


@settings(max_examples=FUZZ, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(CASE_TEXTS), st.integers(min_value=0, max_value=10_000), st.text(max_size=12))
def test_garbled_values_raise_invalid_or_index(text, at, noise):
    """A value garbled anywhere in a real fixture: InvalidCalendar or a complete row."""
    at %= len(text)
    mangled = text[:at] + noise + text[at:]
    try:
        cal = parse_calendar(mangled)
    except InvalidCalendar:
        return
    assert set(appointment_quick_row(cal, now=1795524976)) == set(APPOINTMENT_COLUMNS)
    alarm_rows(cal, owner_emails=["user3@example.com"], now=1795524976)


def test_dates_outside_int4_are_clamped():
    text = EVENT.format(body=VEVENT.format(uid="far", extra="RRULE:FREQ=YEARLY;COUNT=200\r\n")
                        .replace("20260101T100000Z", "21000101T100000Z"))
    row = appointment_quick_row(parse_calendar(text))
    assert row["c_startdate"] == row["c_enddate"] == row["c_cycleenddate"] == 2147483647
