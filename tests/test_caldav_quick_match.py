"""The quick-row shortcut of calendar-query (sogod/caldav/quick_match.py) never
disagrees with the full filter: random events (UTC, TZID, floating, all-day,
DURATION, zero length, no end, recurring, overrides) against random ranges."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

from defusedxml.ElementTree import fromstring
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from sogod.caldav.filters import parse_filter
from sogod.caldav.quick import appointment_quick_row
from sogod.caldav.quick_match import decide, plain_time_range

PARIS = """BEGIN:VTIMEZONE\r
TZID:Europe/Paris\r
BEGIN:DAYLIGHT\r
TZOFFSETFROM:+0100\r
TZOFFSETTO:+0200\r
DTSTART:19700329T020000\r
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r
END:DAYLIGHT\r
BEGIN:STANDARD\r
TZOFFSETFROM:+0200\r
TZOFFSETTO:+0100\r
DTSTART:19701025T030000\r
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r
END:STANDARD\r
END:VTIMEZONE\r
"""
BASE = datetime(2026, 3, 1, tzinfo=timezone.utc)


def _stamp(moment: datetime, style: str, name: str) -> str:
    if style == "utc":
        return f"{name}:{moment:%Y%m%dT%H%M%S}Z"
    if style == "tzid":
        return f"{name};TZID=Europe/Paris:{moment:%Y%m%dT%H%M%S}"
    if style == "floating":
        return f"{name}:{moment:%Y%m%dT%H%M%S}"
    return f"{name};VALUE=DATE:{moment:%Y%m%d}"


@st.composite
def events(draw):
    style = draw(st.sampled_from(["utc", "tzid", "floating", "date"]))
    start = BASE + timedelta(minutes=draw(st.integers(0, 60 * 24 * 60)))
    length = timedelta(minutes=draw(st.sampled_from([0, 15, 60, 24 * 60, 3 * 24 * 60])))
    if style == "date":
        start = start.replace(hour=0, minute=0)
        length = timedelta(days=max(1, length.days))
    ending = draw(st.sampled_from(["dtend", "duration", "none"]))
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//t//EN"]
    body = ["BEGIN:VEVENT", "UID:e1", "DTSTAMP:20260101T000000Z", _stamp(start, style, "DTSTART")]
    if ending == "dtend":
        body.append(_stamp(start + length, style, "DTEND"))
    elif ending == "duration":
        body.append(f"DURATION:PT{int(length.total_seconds())}S")
    if draw(st.booleans()):
        body.append("RRULE:FREQ=DAILY;COUNT=3")
    body.append("END:VEVENT")
    text = "\r\n".join(lines) + "\r\n" + (PARIS if style == "tzid" else "") + "\r\n".join(body) + "\r\n"
    if draw(st.booleans()):          # an override of the second instance
        rid = start + timedelta(days=1)
        text += "\r\n".join(["BEGIN:VEVENT", "UID:e1", "DTSTAMP:20260101T000000Z",
                             _stamp(rid, style, "RECURRENCE-ID"),
                             _stamp(rid + timedelta(hours=2), style, "DTSTART"), "END:VEVENT"]) + "\r\n"
    return text + "END:VCALENDAR\r\n"


@st.composite
def ranges(draw):
    start = BASE + timedelta(minutes=draw(st.integers(-60 * 24, 60 * 24 * 62)))
    end = start + timedelta(minutes=draw(st.integers(1, 60 * 24 * 10)))
    left = draw(st.booleans())
    right = draw(st.booleans()) or not left
    attrs = (f' start="{start:%Y%m%dT%H%M%SZ}"' if left else "") + (f' end="{end:%Y%m%dT%H%M%SZ}"' if right else "")
    return parse_filter(fromstring(
        '<C:filter xmlns:C="urn:ietf:params:xml:ns:caldav"><C:comp-filter name="VCALENDAR">'
        f'<C:comp-filter name="VEVENT"><C:time-range{attrs}/></C:comp-filter></C:comp-filter></C:filter>'))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events(), ranges(), st.sampled_from(["UTC", "Europe/Paris", "America/New_York"]))
def test_quick_decision_agrees_with_the_filter(content, query, tz):
    calendar = Calendar.from_ical(content)
    quick = SimpleNamespace(**appointment_quick_row(calendar, default_tz=tz))
    decided = decide(plain_time_range(query), quick, content)
    if decided is not None:
        assert decided == query.matches(calendar, default_tz=tz), (content, quick)


def test_the_shortcut_is_taken_for_plain_events():
    content = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n" + PARIS + "BEGIN:VEVENT\r\nUID:x\r\n"
               "DTSTART;TZID=Europe/Paris:20260310T100000\r\nDTEND;TZID=Europe/Paris:20260310T110000\r\n"
               "END:VEVENT\r\nEND:VCALENDAR\r\n")
    calendar = Calendar.from_ical(content)
    quick = SimpleNamespace(**appointment_quick_row(calendar))
    query = parse_filter(fromstring(
        '<C:filter xmlns:C="urn:ietf:params:xml:ns:caldav"><C:comp-filter name="VCALENDAR">'
        '<C:comp-filter name="VEVENT"><C:time-range start="20260310T085959Z" end="20260310T090001Z"/>'
        '</C:comp-filter></C:comp-filter></C:filter>'))
    assert decide(plain_time_range(query), quick, content) is True           # 09:00Z-10:00Z
    later = parse_filter(fromstring(
        '<C:filter xmlns:C="urn:ietf:params:xml:ns:caldav"><C:comp-filter name="VCALENDAR">'
        '<C:comp-filter name="VEVENT"><C:time-range start="20260310T100000Z"/>'
        '</C:comp-filter></C:comp-filter></C:filter>'))
    assert decide(plain_time_range(later), quick, content) is False          # ends exactly at 10:00Z
