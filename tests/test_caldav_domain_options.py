"""Domain defaults read by the CalDAV server: SOGoHideSystemEMail (calendar-user-address-set)
and SOGoiPhoneForceAllDayTransparency (all-day events PUT by iOS)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from icalendar import Calendar
from werkzeug.test import Client

from sogod.auth.user import User
from sogod.caldav.transparency import is_iphone
from sogod.config import load_system_defaults
from sogod.dav.properties import calendar_addresses
from sogod.http.app import create_app

from .dav_helpers import hrefs, multistatus
from .sogod_env import basic, embedded_config
from .test_freebusy import periods

C = "{urn:ietf:params:xml:ns:caldav}"
DEMO = basic("demo", "demo")
CAL = "/SOGo/dav/demo/Calendar/personal/"
IOS = "iOS/17.5 (21F79) dataaccessd/1.0"
THUNDERBIRD = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Thunderbird/128.5.0"
USERS = [("bobby", "bobbypw", "Bobby Tables", "tables@example.org"),
         ("carol", "carolpw", "Carol Danvers", "carol@example.com"),
         ("nomail", "nomailpw", "No Mail", "")]


def make_client(tmp_path, conf_extra=""):
    config = embedded_config(tmp_path, extra_users=USERS, conf_extra=conf_extra)
    return Client(create_app(load_system_defaults(str(config), {})))


# --------------------------------------------------------------------------- SOGoHideSystemEMail

def address_set(client, uid, password):
    body = (b'<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
            b'<D:prop><C:calendar-user-address-set/></D:prop></D:propfind>')
    r = client.open(f"/SOGo/dav/{uid}/", method="PROPFIND", data=body,
                    headers={**basic(uid, password), "Depth": "0"})
    assert r.status_code == 207, r.data
    return hrefs(multistatus(r.data)[f"/SOGo/dav/{uid}/"]["200"][C + "calendar-user-address-set"])


@pytest.mark.parametrize("hide", [False, True])
def test_system_address_in_calendar_user_address_set(tmp_path, hide):
    client = make_client(tmp_path, f"  SOGoHideSystemEMail = {'YES' if hide else 'NO'};")
    # the source's addresses, as they are
    assert address_set(client, "bobby", "bobbypw") == ["mailto:tables@example.org", "/SOGo/dav/bobby/"]
    assert address_set(client, "carol", "carolpw") == ["mailto:carol@example.com", "/SOGo/dav/carol/"]
    # without an address of its own, the user gets the system one, unless it is hidden
    system = [] if hide else ["mailto:nomail@example.com"]
    assert address_set(client, "nomail", "nomailpw") == [*system, "/SOGo/dav/nomail/"]


def test_hide_system_email_is_read_per_domain(tmp_path):
    conf = tmp_path / "sogo.conf"
    conf.write_text('{ SOGoMailDomain = "example.com"; domains = {\n'
                    '  a.com = { SOGoMailDomain = a.com; SOGoHideSystemEMail = YES; };\n'
                    '  b.com = { SOGoMailDomain = b.com; }; }; }\n')
    ctx = SimpleNamespace(defaults=load_system_defaults(str(conf), {}))
    assert calendar_addresses(ctx, User(uid="jane", source_id="s", domain="a.com")) == []
    assert calendar_addresses(ctx, User(uid="john", source_id="s", domain="b.com")) == ["john@b.com"]
    assert calendar_addresses(ctx, User(uid="joe@b.com", source_id="s", domain="b.com")) == ["joe@b.com"]
    assert calendar_addresses(ctx, User(uid="jim", source_id="s", emails=("jim.x@a.com",), domain="a.com")) \
        == ["jim.x@a.com"]


# --------------------------------------------------------------------------- SOGoiPhoneForceAllDayTransparency

def event(uid, start, end, extra=""):
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN", "BEGIN:VEVENT", f"UID:{uid}",
             "DTSTAMP:20260101T000000Z", start, end, "SUMMARY:x", *([extra] if extra else []),
             "END:VEVENT", "END:VCALENDAR", ""]
    return "\r\n".join(lines).encode()


ALL_DAY = event("allday", "DTSTART;VALUE=DATE:20260115", "DTEND;VALUE=DATE:20260116")
TIMED = event("timed", "DTSTART:20260120T100000Z", "DTEND:20260120T110000Z")


def put(client, name, body, agent):
    r = client.put(CAL + name, data=body, headers={**DEMO, "Content-Type": "text/calendar", "User-Agent": agent})
    assert r.status_code == 201, r.data


def stored(client, name):
    """(TRANSP of the stored VEVENT, its quick row's c_isopaque)."""
    vevent = Calendar.from_ical(client.get(CAL + name, headers=DEMO).data).walk("VEVENT")[0]
    folder = client.application.app.services.storage.folders.get("demo", "Calendar", "personal")
    row = next(r for r in folder.quick_rows() if r.c_name == name)
    return str(vevent.get("TRANSP", "")), row.c_isopaque


def busy_days(client):
    r = client.get("/SOGo/dav/demo/freebusy.ifb?sday=20260101&eday=20260131", headers=DEMO)
    return [start[:8] for _, start, _ in periods(r.data)[1]]


def test_ios_all_day_events_become_transparent(tmp_path):
    client = make_client(tmp_path, "  SOGoiPhoneForceAllDayTransparency = YES;")
    put(client, "allday.ics", ALL_DAY, IOS)
    put(client, "timed.ics", TIMED, IOS)
    assert stored(client, "allday.ics") == ("TRANSPARENT", 0)
    assert stored(client, "timed.ics") == ("", 1)
    assert client.get(CAL + "timed.ics", headers=DEMO).data == TIMED     # untouched, byte for byte
    assert busy_days(client) == ["20260120"]


@pytest.mark.parametrize("setting, agent", [("YES", THUNDERBIRD), ("NO", IOS)])
def test_all_day_events_stay_opaque_otherwise(tmp_path, setting, agent):
    client = make_client(tmp_path, f"  SOGoiPhoneForceAllDayTransparency = {setting};")
    put(client, "allday.ics", ALL_DAY, agent)
    put(client, "timed.ics", TIMED, agent)
    assert stored(client, "allday.ics") == ("", 1)
    assert busy_days(client) == ["20260115", "20260120"]


def test_explicit_transp_opaque_is_overridden(tmp_path):
    client = make_client(tmp_path, "  SOGoiPhoneForceAllDayTransparency = YES;")
    put(client, "allday.ics", event("o", "DTSTART;VALUE=DATE:20260115", "DTEND;VALUE=DATE:20260116",
                                    "TRANSP:OPAQUE"), IOS)
    assert stored(client, "allday.ics") == ("TRANSPARENT", 0)


@pytest.mark.parametrize("agent, iphone", [
    (IOS, True),
    ("DAVKit/4.0 (728.4); iCalendar/1 (34.1); iPhone/3.0 7A341", True),
    ("macOS/14.5 (23F79) CalendarAgent/1000", False),
    ("DAVKit/4.0.3 (732.2); CalendarStore/4.0.3 (991); iCal/4.0.3 (1388); Mac OS X/10.6.4 (10F569)", False),
    (THUNDERBIRD, False),
    ("Outlook-iOS/723.4027091.prod.iphone (4.2406.0)", False),
    ("DAVx5/4.4.1-ose (2024/06/10; dav4jvm; okhttp/4.12.0) Android/14", False),
    (None, False),
])
def test_is_iphone(agent, iphone):
    assert is_iphone(agent) is iphone
