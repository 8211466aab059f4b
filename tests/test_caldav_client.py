"""End to end: the python `caldav` library against the started daemon."""

from __future__ import annotations

import shutil
from datetime import datetime, timezone

import caldav
import pytest

from .sogod_env import Daemon, embedded_config, unprivileged_dir

pytestmark = pytest.mark.daemon

RECURRING = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
BEGIN:VTIMEZONE
TZID:Europe/Paris
BEGIN:STANDARD
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
UID:weekly-1
DTSTAMP:20260101T000000Z
DTSTART;TZID=Europe/Paris:20260105T090000
DTEND;TZID=Europe/Paris:20260105T100000
RRULE:FREQ=WEEKLY;COUNT=10
EXDATE;TZID=Europe/Paris:20260112T090000
SUMMARY:Standup
END:VEVENT
BEGIN:VEVENT
UID:weekly-1
DTSTAMP:20260101T000000Z
RECURRENCE-ID;TZID=Europe/Paris:20260119T090000
DTSTART;TZID=Europe/Paris:20260120T140000
DTEND;TZID=Europe/Paris:20260120T150000
SUMMARY:Standup (moved)
END:VEVENT
END:VCALENDAR
"""


@pytest.fixture(scope="module")
def server():
    directory = unprivileged_dir()
    config = embedded_config(directory, extra_users=[("bob", "bobpw", "Bob", "bob@example.com")])
    daemon = Daemon(config).start()
    yield daemon
    daemon.stop()
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def principal(server):
    client = caldav.DAVClient(url=server.url + "/SOGo/dav/", username="demo", password="demo")
    return client.principal()


def test_discovery_finds_the_personal_calendar(principal):
    names = [c.get_display_name() for c in principal.calendars()]
    assert "Personal Calendar" in names


def test_save_search_update_delete(principal):
    cal = principal.make_calendar(name="Client test", cal_id="clienttest")
    event = cal.save_event(dtstart=datetime(2026, 3, 1, 10, tzinfo=timezone.utc),
                           dtend=datetime(2026, 3, 1, 11, tzinfo=timezone.utc), summary="Review", uid="rev-1")
    found = cal.search(start=datetime(2026, 3, 1, tzinfo=timezone.utc), end=datetime(2026, 3, 2, tzinfo=timezone.utc),
                       event=True)
    assert [e.icalendar_component["SUMMARY"] for e in found] == ["Review"]
    event.icalendar_component["SUMMARY"] = "Review (v2)"
    event.save()
    assert cal.event_by_uid("rev-1").icalendar_component["SUMMARY"] == "Review (v2)"
    event.delete()
    assert cal.search(start=datetime(2026, 3, 1, tzinfo=timezone.utc), end=datetime(2026, 3, 2, tzinfo=timezone.utc),
                      event=True) == []
    cal.delete()


def test_recurring_event_with_exceptions(principal):
    cal = principal.calendar(cal_id="personal")
    cal.save_event(RECURRING)
    # The week of Jan 12 is excluded; Jan 19's instance moved to Jan 20.
    hits = cal.search(start=datetime(2026, 1, 12, tzinfo=timezone.utc), end=datetime(2026, 1, 13, tzinfo=timezone.utc),
                      event=True)
    assert hits == []
    hits = cal.search(start=datetime(2026, 1, 20, tzinfo=timezone.utc), end=datetime(2026, 1, 21, tzinfo=timezone.utc),
                      event=True, expand=True)
    assert [str(h.icalendar_component["SUMMARY"]) for h in hits] == ["Standup (moved)"]
    cal.event_by_uid("weekly-1").delete()


def test_todos(principal):
    cal = principal.calendar(cal_id="personal")
    todo = cal.save_todo(summary="Write docs", uid="todo-1", due=datetime(2026, 4, 1, tzinfo=timezone.utc))
    assert [str(t.icalendar_component["SUMMARY"]) for t in cal.todos()] == ["Write docs"]
    todo.complete()
    assert cal.todos() == []
    assert len(cal.todos(include_completed=True)) == 1
    todo.delete()


def test_sync_tokens(principal):
    cal = principal.make_calendar(name="Sync", cal_id="synctest")
    cal.save_event(dtstart=datetime(2026, 5, 1, 10, tzinfo=timezone.utc),
                   dtend=datetime(2026, 5, 1, 11, tzinfo=timezone.utc), summary="one", uid="sync-1")
    objects = cal.objects_by_sync_token(load_objects=True)
    assert len(list(objects)) == 1
    cal.save_event(dtstart=datetime(2026, 5, 2, 10, tzinfo=timezone.utc),
                   dtend=datetime(2026, 5, 2, 11, tzinfo=timezone.utc), summary="two", uid="sync-2")
    updates = cal.objects_by_sync_token(sync_token=objects.sync_token, load_objects=True)
    uids = {str(o.icalendar_component["UID"]) for o in updates}
    assert "sync-2" in uids
    cal.delete()


def test_another_user_cannot_reach_my_calendar(server, principal):
    bob = caldav.DAVClient(url=server.url + "/SOGo/dav/", username="bob", password="bobpw")
    foreign = caldav.Calendar(client=bob, url=server.url + "/SOGo/dav/demo/Calendar/personal/")
    with pytest.raises(caldav.lib.error.DAVError):
        foreign.save_event(dtstart=datetime(2026, 6, 1, 10, tzinfo=timezone.utc),
                           dtend=datetime(2026, 6, 1, 11, tzinfo=timezone.utc), summary="intrusion", uid="x-1")
