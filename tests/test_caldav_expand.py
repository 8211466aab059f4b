"""calendar-data expand / limit-recurrence-set (RFC 4791 §9.6.5-9.6.6) and instances: pure units.

Expected outputs are the .ics files of tests/fixtures/caldav_filters/expand,
compared line by line within each component (property order is free).
SOGo 5.8 ignores <C:expand> (transcript 38 returns the stored object with its
RRULE, EXDATE, override and VTIMEZONE); we follow the RFC, and
expand/test2-january.ics is what transcript 38 should have returned for test2.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from icalendar import Calendar

from sogod.caldav import expand as expand_module
from sogod.caldav.expand import (
    Instance, component_instance, expand, instances, limit_recurrence_set, overlaps, resolve_tz,
)

FIXTURES = Path(__file__).parent / "fixtures" / "caldav_filters"
UTC = timezone.utc


def load(name: str) -> Calendar:
    return Calendar.from_ical((FIXTURES / name).read_bytes())


def utc(text: str) -> datetime:
    return datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def canonical(ics: bytes) -> list:
    """Unfolded content lines; each component's lines sorted, sub-components in order."""
    text = ics.decode("utf-8").replace("\r\n", "\n").replace("\n ", "")
    stack, out = [[]], None
    for line in filter(None, text.split("\n")):
        if line.startswith("BEGIN:"):
            stack.append([line])
        elif line.startswith("END:"):
            block = stack.pop()
            props = sorted(x for x in block[1:] if isinstance(x, str))
            subs = [x for x in block[1:] if not isinstance(x, str)]
            done = (block[0], props, subs)
            if stack[-1] or len(stack) > 1:
                stack[-1].append(done)
            else:
                out = done
        else:
            stack[-1].append(line)
    return out


def summary(cal: Calendar, name: str = "VEVENT") -> list[tuple]:
    """(RECURRENCE-ID, DTSTART, DTEND or DUE) of each instance, as iCalendar text."""
    rows = []
    for comp in cal.walk(name):
        end = comp.get("DTEND") or comp.get("DUE")
        rows.append(tuple(p.to_ical().decode() if p is not None else None
                          for p in (comp.get("RECURRENCE-ID"), comp["DTSTART"], end)))
    return rows


GOLDEN = [
    ("sogo-5.8/test2.ics", "20260101T000000Z", "20260201T000000Z", "UTC", "test2-january.ics"),
    ("event-weekly.ics", "20260301T000000Z", "20260501T000000Z", "UTC",
     "event-weekly-march-april.ics"),
    ("event-daily-infinite.ics", "20260306T000000Z", "20260312T000000Z", "UTC",
     "event-daily-infinite-dst.ics"),
    ("event-rdate.ics", "20260401T000000Z", "20260601T000000Z", "UTC", "event-rdate.ics"),
    ("event-allday-yearly.ics", "20250101T000000Z", "20270101T000000Z", "UTC",
     "event-allday-yearly.ics"),
    ("todo-recurring.ics", "20260110T000000Z", "20260201T000000Z", "UTC", "todo-recurring.ics"),
    ("event-floating.ics", "20260101T000000Z", "20260201T000000Z", "America/New_York",
     "event-floating-new-york.ics"),
]


@pytest.mark.parametrize("source, start, end, zone, expected", GOLDEN,
                         ids=[g[-1] for g in GOLDEN])
def test_expand_matches_expected_file(source, start, end, zone, expected):
    got = expand(load(source), utc(start), utc(end), default_tz=zone)
    assert canonical(got.to_ical()) == canonical((FIXTURES / "expand" / expected).read_bytes())


def test_paris_weekly_across_dst_with_exdate_override_and_cancellation():
    got = expand(load("event-weekly.ics"), utc("20260301T000000Z"), utc("20260501T000000Z"))
    assert summary(got) == [
        ("20260302T080000Z", "20260302T080000Z", "20260302T090000Z"),   # 09:00 CET
        ("20260309T080000Z", "20260309T080000Z", "20260309T090000Z"),
        # 16 March: EXDATE;TZID=Europe/Paris
        ("20260323T080000Z", "20260324T130000Z", "20260324T140000Z"),   # moved override
        ("20260330T070000Z", "20260330T070000Z", "20260330T080000Z"),   # 09:00 CEST
        ("20260406T070000Z", "20260406T070000Z", "20260406T080000Z"),   # cancelled, kept
    ]
    assert [str(c.get("STATUS")) for c in got.walk("VEVENT")][-1] == "CANCELLED"


def test_new_york_daily_across_dst_with_exdate_in_its_zone():
    got = expand(load("event-daily-infinite.ics"), utc("20260306T000000Z"), utc("20260312T000000Z"))
    assert [row[1] for row in summary(got)] == [
        "20260306T140000Z", "20260307T140000Z",   # 09:00 EST
        "20260308T130000Z", "20260309T130000Z",   # 09:00 EDT from 8 March
        "20260311T130000Z",                       # 10 March excluded
    ]


def test_expanded_output_has_no_recurrence_no_timezone_and_utc_only():
    got = expand(load("event-weekly.ics"), utc("20260301T000000Z"), utc("20260501T000000Z"))
    text = got.to_ical().decode()
    for forbidden in ("VTIMEZONE", "RRULE", "RDATE", "EXDATE", "TZID"):
        assert forbidden not in text
    assert all("RECURRENCE-ID" in c for c in got.walk("VEVENT"))


def test_non_recurring_components_keep_no_recurrence_id_and_leave_tzid():
    got = expand(load("event-duration.ics"), utc("20260115T000000Z"), utc("20260116T000000Z"))
    (event,) = got.walk("VEVENT")
    assert "RECURRENCE-ID" not in event
    assert event["DTSTART"].to_ical() == b"20260115T090000Z"
    assert event["DURATION"].to_ical() == b"PT2H"
    assert not got.walk("VTIMEZONE")


def test_expand_leaves_the_input_alone():
    cal = load("event-weekly.ics")
    before = cal.to_ical()
    expand(cal, utc("20260301T000000Z"), utc("20260501T000000Z"))
    assert cal.to_ical() == before


def test_expand_outside_every_instance_gives_an_empty_calendar():
    got = expand(load("event-count.ics"), utc("20270101T000000Z"), utc("20270201T000000Z"))
    assert got.name == "VCALENDAR" and not got.subcomponents
    assert str(got["PRODID"]) == "-//sogod//caldav filter fixtures//EN"


def test_expand_keeps_other_components():
    got = expand(load("freebusy.ics"), utc("20260101T000000Z"), utc("20260201T000000Z"))
    assert [c.name for c in got.subcomponents] == ["VFREEBUSY"]


def test_expand_keeps_alarms_inside_instances():
    got = expand(load("alarm-recurring.ics"), utc("20260301T000000Z"), utc("20260303T000000Z"))
    assert [len(e.walk("VALARM")) for e in got.walk("VEVENT")] == [1, 1]
    assert [r[1] for r in summary(got)] == ["20260301T080000Z", "20260302T080000Z"]


def test_expand_uses_the_rfc_overlap_rule_at_the_edges():
    cal = load("event-count.ics")   # 12:00-13:00Z on 1, 2 and 3 February
    got = expand(cal, utc("20260201T130000Z"), utc("20260202T120000Z"))
    assert not got.subcomponents
    got = expand(cal, utc("20260201T125959Z"), utc("20260202T120001Z"))
    assert [r[1] for r in summary(got)] == ["20260201T120000Z", "20260202T120000Z"]


# -- limit-recurrence-set ------------------------------------------------------

def test_limit_keeps_an_override_for_its_original_slot():
    got = limit_recurrence_set(load("event-weekly.ics"), utc("20260323T070000Z"),
                               utc("20260323T090000Z"))
    expected = (FIXTURES / "expand" / "limit-event-weekly-moved.ics").read_bytes()
    assert canonical(got.to_ical()) == canonical(expected)


@pytest.mark.parametrize("start, end, summaries", [
    ("20260324T120000Z", "20260324T140000Z", ["Weekly in Paris", "Weekly in Paris (moved to Tuesday)"]),
    ("20260406T000000Z", "20260407T000000Z", ["Weekly in Paris", "Weekly in Paris (cancelled)"]),
    ("20260302T000000Z", "20260303T000000Z", ["Weekly in Paris"]),
])
def test_limit_recurrence_set(start, end, summaries):
    got = limit_recurrence_set(load("event-weekly.ics"), utc(start), utc(end))
    assert [str(e["SUMMARY"]) for e in got.walk("VEVENT")] == summaries
    assert len(got.walk("VTIMEZONE")) == 1
    assert "RRULE" in got.walk("VEVENT")[0]


# -- instances and overlaps ----------------------------------------------------

def test_instances_skip_cancelled_overrides_on_request():
    events = load("event-weekly.ics").walk("VEVENT")
    tz = resolve_tz("UTC")
    every = list(instances(events, tz, utc("20260301T000000Z"), utc("20260501T000000Z")))
    kept = list(instances(events, tz, utc("20260301T000000Z"), utc("20260501T000000Z"),
                          include_cancelled=False))
    assert len(every) - len(kept) == 1
    assert [i.generated for i in kept] == [True, True, False, True]


def test_open_ended_instances_are_capped(monkeypatch):
    monkeypatch.setattr(expand_module, "MAX_OPEN_INSTANCES", 5)
    events = load("event-daily-infinite.ics").walk("VEVENT")
    got = list(instances(events, UTC, utc("20260301T000000Z"), None))
    assert len(got) == 5


def test_a_series_starting_long_ago_answers_an_open_start_quickly():
    cal = Calendar.from_ical(
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:old\r\nDTSTART:19700101T100000Z\r\n"
        "RRULE:FREQ=DAILY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    first = next(instances(cal.walk("VEVENT"), UTC, None, utc("20260101T000000Z")))
    assert first.start == datetime(1970, 1, 1, 10, tzinfo=first.start.tzinfo)


@pytest.mark.parametrize("rule", ["FREQ=SOMETIMES", "FREQ=WEEKLY;UNTIL=garbage",
                                  "FREQ=DAILY;COUNT=-3"])
def test_a_broken_rule_leaves_the_master_as_a_single_instance(rule):
    cal = Calendar.from_ical(
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:20260101T100000Z\r\n"
        f"RRULE:{rule}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    got = list(instances(cal.walk("VEVENT"), UTC, utc("20250101T000000Z"), utc("20270101T000000Z")))
    assert [i.start for i in got] == [datetime(2026, 1, 1, 10, tzinfo=got[0].start.tzinfo)]


def test_overrides_without_master_stand_alone():
    cal = Calendar.from_ical(
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nRECURRENCE-ID:20260105T100000Z\r\n"
        "DTSTART:20260105T110000Z\r\nDTEND:20260105T120000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    (only,) = instances(cal.walk("VEVENT"), UTC)
    assert only.recurrence_id == datetime(2026, 1, 5, 10, tzinfo=only.recurrence_id.tzinfo)
    got = expand(cal, utc("20260105T000000Z"), utc("20260106T000000Z"))
    assert summary(got) == [("20260105T100000Z", "20260105T110000Z", "20260105T120000Z")]


def test_zero_length_dtend_counts_as_zero_duration():
    cal = Calendar.from_ical(
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:z\r\nDTSTART:20260105T100000Z\r\n"
        "DTEND:20260105T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    inst = component_instance(cal.walk("VEVENT")[0])
    assert overlaps(inst, utc("20260105T100000Z"), utc("20260105T110000Z"), UTC)
    assert not overlaps(inst, utc("20260105T090000Z"), utc("20260105T100000Z"), UTC)


def test_instance_of_a_date_with_a_sub_day_duration():
    cal = Calendar.from_ical(
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:d\r\nDTSTART;VALUE=DATE:20260105\r\n"
        "DURATION:PT12H\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    inst = component_instance(cal.walk("VEVENT")[0])
    assert inst.start == date(2026, 1, 5) and inst.end == datetime(2026, 1, 5, 12)
    assert not overlaps(inst, utc("20260105T120000Z"), utc("20260106T000000Z"), UTC)


def test_resolve_tz():
    assert resolve_tz(None) is UTC
    assert resolve_tz("Nowhere/Special") is UTC
    assert resolve_tz("Europe/Paris").utcoffset(datetime(2026, 7, 1)) == timedelta(hours=2)
    fixed = timezone(timedelta(hours=3))
    assert resolve_tz(fixed) is fixed


def test_instance_is_a_plain_value():
    event = load("event-single.ics").walk("VEVENT")[0]
    assert component_instance(event) == Instance(
        event, datetime(2026, 1, 15, 10, tzinfo=event["DTSTART"].dt.tzinfo),
        datetime(2026, 1, 15, 11, tzinfo=event["DTSTART"].dt.tzinfo), None, False)
