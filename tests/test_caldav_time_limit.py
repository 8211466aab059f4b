"""SOGoDAVCalendarStartTimeLimit: calendar-query windows narrowed as SOGo narrows them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from defusedxml.ElementTree import fromstring
from werkzeug.test import Client

from sogod.caldav.filters import parse_filter
from sogod.caldav.time_limit import limited
from sogod.config import load_system_defaults
from sogod.http.app import create_app

from .dav_helpers import multistatus
from .sogod_env import basic, embedded_config

NOW = datetime(2026, 6, 1, 12, tzinfo=timezone.utc)
DEMO = basic("demo", "demo")
CAL = "/SOGo/dav/demo/Calendar/personal/"


def _filter(attrs=""):
    return parse_filter(fromstring(
        '<C:filter xmlns:C="urn:ietf:params:xml:ns:caldav"><C:comp-filter name="VCALENDAR">'
        f'<C:comp-filter name="VEVENT">{f"<C:time-range {attrs}/>" if attrs else ""}</C:comp-filter>'
        '</C:comp-filter></C:filter>'))


def _range(query):
    tr = query.root.comp_filters[0].time_range
    return tr.start, tr.end


@pytest.mark.parametrize("attrs, expected", [
    ("", (NOW - timedelta(days=30), NOW + timedelta(days=30))),                        # no range: around now
    ('start="20250101T000000Z" end="20270101T000000Z"',
     (NOW - timedelta(days=30), NOW + timedelta(days=30))),                            # around now
    ('start="20260520T000000Z" end="20270101T000000Z"',
     (datetime(2026, 5, 20, tzinfo=timezone.utc), NOW + timedelta(days=30))),          # near start kept
    ('start="20200101T000000Z" end="20210101T000000Z"',
     (datetime(2020, 11, 2, tzinfo=timezone.utc), datetime(2021, 1, 1, tzinfo=timezone.utc))),  # all past: its end
    ('start="20300101T000000Z"',
     (datetime(2030, 1, 1, tzinfo=timezone.utc), datetime(2030, 3, 2, tzinfo=timezone.utc))),  # all future: its start
    ('start="20260525T000000Z" end="20260605T000000Z"',
     (datetime(2026, 5, 25, tzinfo=timezone.utc), datetime(2026, 6, 5, tzinfo=timezone.utc))),  # narrow: unchanged
])
def test_windows(attrs, expected):
    assert _range(limited(_filter(attrs), 60, now=NOW)) == expected


def test_no_limit_changes_nothing():
    query = _filter('start="20200101T000000Z"')
    assert limited(query, 0, now=NOW) is query


def _event(uid, when):
    start = when.strftime("%Y%m%dT%H%M%SZ")
    end = (when + timedelta(hours=1)).strftime("%Y%m%dT%H%M%SZ")
    return (f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\n"
            f"DTSTAMP:20260101T000000Z\r\nDTSTART:{start}\r\nDTEND:{end}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


QUERY = ('<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop>'
         '<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"/></C:comp-filter></C:filter>'
         '</C:calendar-query>')


@pytest.mark.parametrize("super_user", [False, True])
def test_queries_of_dav_clients(tmp_path, super_user):
    overrides = {"SOGoDAVCalendarStartTimeLimit": "60"}
    if super_user:
        overrides["SOGoSuperUsernames"] = ["demo"]
    client = Client(create_app(load_system_defaults(str(embedded_config(tmp_path)), overrides)))
    now = datetime.now(timezone.utc).replace(microsecond=0)
    for uid, days in (("old", -100), ("recent", -10), ("soon", 10), ("later", 100)):
        r = client.put(f"{CAL}{uid}.ics", data=_event(uid, now + timedelta(days=days)),
                       headers={**DEMO, "Content-Type": "text/calendar"})
        assert r.status_code == 201
    r = client.open(CAL, method="REPORT", data=QUERY, headers={**DEMO, "Depth": "1", "Content-Type": "application/xml"})
    assert r.status_code == 207
    found = {href.rsplit("/", 1)[1] for href in multistatus(r.data)}
    expected = {"old.ics", "recent.ics", "soon.ics", "later.ics"} if super_user else {"recent.ics", "soon.ics"}
    assert found == expected
