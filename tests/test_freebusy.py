"""Free/busy in-process: freebusy.ifb, the outbox POST (SOGo's and RFC 6638's forms),
the free-busy-query REPORT, access, and bad input."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone

import pytest
from icalendar import Calendar

from sogod.caldav.freebusy import Busy, crowded, merge

from .test_scheduling import BOB, DEMO, invitation, make_client, put

C = "{urn:ietf:params:xml:ns:caldav}"
D = "{DAV:}"
OUTBOX = "/SOGo/dav/demo/Calendar/personal/"


@pytest.fixture
def client(tmp_path):
    return make_client(tmp_path)


def event(uid, start, end, extra=""):
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN", "BEGIN:VEVENT", f"UID:{uid}",
             "DTSTAMP:20260101T000000Z", f"DTSTART:{start}", f"DTEND:{end}", "SUMMARY:x"]
    lines += [line for line in extra.split("|") if line] + ["END:VEVENT", "END:VCALENDAR", ""]
    return "\r\n".join(lines).encode()


def periods(data: bytes):
    fb = Calendar.from_ical(data).walk("VFREEBUSY")[0]
    values = fb.get("FREEBUSY") or []
    values = values if isinstance(values, list) else [values]
    result = []
    for value in values:
        start, end = value.dt
        result.append((value.params.get("FBTYPE"), start.strftime("%Y%m%dT%H%M%SZ"),
                       end.strftime("%Y%m%dT%H%M%SZ")))
    return fb, sorted(result)


def jan(client):
    put(client, "demo", "busy.ics", event("busy", "20260115T100000Z", "20260115T110000Z"), DEMO)
    put(client, "demo", "transp.ics", event("transp", "20260116T100000Z", "20260116T110000Z",
                                            "TRANSP:TRANSPARENT"), DEMO)
    put(client, "demo", "cancelled.ics", event("cancelled", "20260117T100000Z", "20260117T110000Z",
                                               "STATUS:CANCELLED"), DEMO)
    put(client, "demo", "tent.ics", event("tent", "20260118T100000Z", "20260118T110000Z",
                                          "STATUS:TENTATIVE"), DEMO)
    put(client, "demo", "weekly.ics", event("weekly", "20260105T080000Z", "20260105T083000Z",
                                            "RRULE:FREQ=WEEKLY;COUNT=3"), DEMO)
    put(client, "demo", "feb.ics", event("feb", "20260210T100000Z", "20260210T110000Z"), DEMO)


EXPECTED_JAN = [("BUSY", "20260105T080000Z", "20260105T083000Z"), ("BUSY", "20260112T080000Z", "20260112T083000Z"),
                ("BUSY", "20260115T100000Z", "20260115T110000Z"), ("BUSY", "20260119T080000Z", "20260119T083000Z"),
                ("BUSY-TENTATIVE", "20260118T100000Z", "20260118T110000Z")]


def test_ifb_default_window_and_range(client):
    r = client.get("/SOGo/dav/demo/freebusy.ifb", headers=DEMO)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/calendar")
    fb, found = periods(r.data)
    today = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    assert fb["DTSTART"].dt == today - timedelta(days=7) and fb["DTEND"].dt == today + timedelta(days=7)
    assert str(fb["ATTENDEE"]) == "mailto:demo@example.com" and found == []
    jan(client)
    r = client.get("/SOGo/dav/demo/freebusy.ifb?sday=20260101&eday=20260131", headers=DEMO)
    fb, found = periods(r.data)
    assert found == EXPECTED_JAN
    assert fb["DTEND"].dt == datetime(2026, 2, 1, tzinfo=timezone.utc)
    # a huge range is bounded, a bad one falls back to the default window
    r = client.get("/SOGo/dav/demo/freebusy.ifb?sday=19000101&eday=29991231", headers=DEMO)
    fb, _ = periods(r.data)
    assert fb["DTEND"].dt - fb["DTSTART"].dt == timedelta(days=366)
    assert client.get("/SOGo/dav/demo/freebusy.ifb?sday=x&eday=y", headers=DEMO).status_code == 200


def test_declined_invitations_are_free(client):
    put(client, "bob", "inv.ics", invitation("inv", ("demo@example.com",), organizer="bob@example.com",
                                             start="20260120T100000Z", end="20260120T110000Z"), BOB)
    r = client.get("/SOGo/dav/demo/freebusy.ifb?sday=20260120&eday=20260120", headers=DEMO)
    assert periods(r.data)[1] == [("BUSY-TENTATIVE", "20260120T100000Z", "20260120T110000Z")]
    put(client, "demo", "inv.ics", invitation("inv", ("demo@example.com",), organizer="bob@example.com",
                                              start="20260120T100000Z", end="20260120T110000Z",
                                              partstats={"demo@example.com": "DECLINED"}), DEMO)
    r = client.get("/SOGo/dav/demo/freebusy.ifb?sday=20260120&eday=20260120", headers=DEMO)
    assert periods(r.data)[1] == []


def test_free_busy_needs_a_role(client):
    jan(client)
    assert client.get("/SOGo/dav/demo/freebusy.ifb", headers=BOB).status_code == 403
    assert client.get("/SOGo/dav/nosuchuser/freebusy.ifb", headers=BOB).status_code == 404
    folder = client.application.app.services.storage.folders.get("demo", "Calendar", "personal")
    folder.set_roles("bob", None, ["PublicDAndTViewer"])
    r = client.get("/SOGo/dav/demo/freebusy.ifb?sday=20260101&eday=20260131", headers=BOB)
    assert r.status_code == 200 and periods(r.data)[1] == EXPECTED_JAN


def test_busy_off_hours(tmp_path):
    client = make_client(tmp_path, '  SOGoBusyOffHours = YES;\n  SOGoDayStartTime = "09:00";\n'
                                   '  SOGoDayEndTime = 17;')
    r = client.get("/SOGo/dav/demo/freebusy.ifb?sday=20260109&eday=20260110", headers=DEMO)  # Fri, Sat
    assert periods(r.data)[1] == [("BUSY-UNAVAILABLE", "20260109T000000Z", "20260109T090000Z"),
                                  ("BUSY-UNAVAILABLE", "20260109T170000Z", "20260111T000000Z")]


def test_resources_follow_their_booking_limit(client):
    put(client, "demo", "a.ics", invitation("a", ("hall@example.com", "room@example.com")), DEMO)
    for user, expected in (("hall", []), ("room", [("BUSY", "20260110T100000Z", "20260110T110000Z")])):
        folder = client.application.app.services.storage.folders.get(user, "Calendar", "personal")
        folder.set_roles("demo", None, ["PublicDAndTViewer"])
        r = client.get(f"/SOGo/dav/{user}/freebusy.ifb?sday=20260110&eday=20260110", headers=DEMO)
        assert periods(r.data)[1] == expected, user


def test_crowded_and_merge_units():
    t = [datetime(2026, 1, 1, h, tzinfo=timezone.utc) for h in range(8)]
    busy = [Busy(t[1], t[3]), Busy(t[2], t[5]), Busy(t[4], t[6])]
    assert crowded(busy, 2) == [(t[2], t[3]), (t[4], t[5])]
    assert crowded(busy, 1) == [(t[1], t[6])]
    assert crowded(busy, 3) == []
    assert merge(busy + [Busy(t[0], t[1], "BUSY-TENTATIVE")]) == [
        Busy(t[0], t[1], "BUSY-TENTATIVE"), Busy(t[1], t[6])]


# --------------------------------------------------------------------------- outbox POST

FB_REQUEST = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//test//EN\r
METHOD:REQUEST\r
BEGIN:VFREEBUSY\r
UID:fb1@test\r
DTSTAMP:20260101T000000Z\r
DTSTART:{start}\r
DTEND:{end}\r
ORGANIZER:mailto:demo@example.com\r
{attendees}END:VFREEBUSY\r
END:VCALENDAR\r
"""


def fb_request(start="20260101T000000Z", end="20260201T000000Z", attendees=("demo@example.com", "bob@example.com")):
    lines = "".join(f"ATTENDEE:mailto:{a}\r\n" for a in attendees)
    return FB_REQUEST.format(start=start, end=end, attendees=lines).encode()


def post(client, body, auth=DEMO, path=OUTBOX, content_type="text/calendar; charset=utf-8", **headers):
    return client.post(path, data=body, headers={**auth, "Content-Type": content_type, **headers})


def responses(data: bytes, href_form: bool):
    root = ET.fromstring(data)
    assert root.tag == C + "schedule-response"
    result = {}
    for response in root.findall(C + "response"):
        recipient = response.find(C + "recipient")
        address = recipient.findtext(D + "href") if href_form else recipient.text
        result[address] = (response.findtext(C + "request-status"), response.findtext(C + "calendar-data"))
    return result


def test_outbox_freebusy_sogo_form(client):
    jan(client)
    headers = {"Originator": "mailto:demo@example.com",
               "Recipient": "mailto:demo@example.com, mailto:bob@example.com, mailto:ghost@example.com"}
    r = post(client, fb_request(), **headers)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/xml")
    result = responses(r.data, href_form=False)
    assert result["mailto:ghost@example.com"] == ("3.7;Invalid Calendar User", None)
    assert result["mailto:bob@example.com"] == ("3.8;No authority", None)
    status, data = result["mailto:demo@example.com"]
    assert status == "2.0;Success"
    fb, found = periods(data.encode())
    assert found == EXPECTED_JAN and str(Calendar.from_ical(data)["METHOD"]) == "REPLY"
    assert str(fb["UID"]) == "fb1@test" and str(fb["ATTENDEE"]) == "mailto:demo@example.com"
    assert str(fb["ORGANIZER"]) == "mailto:demo@example.com"


def test_outbox_freebusy_rfc6638_form(client):
    folder = client.application.app.services.storage.folders.ensure_personal("bob", "Calendar")
    folder.set_roles("demo", None, ["ObjectEraser"])
    put(client, "bob", "b.ics", event("b", "20260103T100000Z", "20260103T120000Z"), BOB)
    r = post(client, fb_request())
    result = responses(r.data, href_form=True)
    assert set(result) == {"mailto:demo@example.com", "mailto:bob@example.com"}
    assert periods(result["mailto:bob@example.com"][1].encode())[1] == [
        ("BUSY", "20260103T100000Z", "20260103T120000Z")]


@pytest.mark.parametrize("body, status", [
    (b"BEGIN:VCALENDAR\r\ngarbage\r\n", 400),
    (b"\xff\xfe", 400),
    (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n", 400),
    (fb_request(start="nonsense"), 400),
    (fb_request(attendees=()), 400),
    (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VTODO\r\nUID:t\r\nEND:VTODO\r\nEND:VCALENDAR\r\n", 415),
    (fb_request().replace(b"ORGANIZER:mailto:demo", b"ORGANIZER:mailto:bob"), 403),
])
def test_outbox_bad_input(client, body, status):
    assert post(client, body).status_code == status


def test_outbox_bounds_huge_ranges_and_recipient_lists(client):
    r = post(client, fb_request(start="19000101T000000Z", end="29990101T000000Z", attendees=("demo@example.com",)))
    fb, _ = periods(responses(r.data, True)["mailto:demo@example.com"][1].encode())
    assert fb["DTEND"].dt - fb["DTSTART"].dt == timedelta(days=366)
    many = [f"u{n}@example.com" for n in range(300)]
    assert post(client, fb_request(attendees=many)).status_code == 413


def test_outbox_rules(client):
    assert post(client, fb_request(), auth=BOB).status_code == 404          # not bob's calendar
    assert client.open("/SOGo/dav/demo/Calendar/work/", method="MKCALENDAR", headers=DEMO).status_code == 201
    assert post(client, fb_request(), path="/SOGo/dav/demo/Calendar/work/").status_code == 403
    # XML bodies are not taken by the outbox
    r = post(client, b"<foo xmlns='urn:x'/>", content_type="application/xml")
    assert b"schedule-response" not in r.data and r.status_code != 200
    assert post(client, b"hello", content_type="text/plain").status_code == 415


def test_outbox_itip_request_delivers_locally(client):
    body = invitation("posted", ("bob@example.com",)).replace(b"VERSION:2.0", b"VERSION:2.0\r\nMETHOD:REQUEST")
    r = post(client, body)
    assert r.status_code == 200
    assert responses(r.data, True)["mailto:bob@example.com"][0] == "1.2;Delivered"
    assert client.get("/SOGo/dav/bob/Calendar/personal/posted.ics", headers=BOB).status_code == 200
    cancel = body.replace(b"METHOD:REQUEST", b"METHOD:CANCEL")
    post(client, cancel)
    assert client.get("/SOGo/dav/bob/Calendar/personal/posted.ics", headers=BOB).status_code == 404


# --------------------------------------------------------------------------- REPORT

FBQ = (b'<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav">'
       b'<C:time-range start="{s}" end="{e}"/></C:free-busy-query>')


def fb_report(client, start, end, auth=DEMO, path=OUTBOX):
    body = FBQ.replace(b"{s}", start.encode()).replace(b"{e}", end.encode())
    return client.open(path, method="REPORT", data=body, headers={**auth, "Depth": "1",
                                                                  "Content-Type": "application/xml"})


def test_free_busy_query_report(client):
    jan(client)
    r = fb_report(client, "20260101T000000Z", "20260201T000000Z")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/calendar")
    assert periods(r.data)[1] == EXPECTED_JAN
    assert fb_report(client, "20260201T000000Z", "20260101T000000Z").status_code == 400
    assert fb_report(client, "bad", "20260101T000000Z").status_code == 400
    r = fb_report(client, "19000101T000000Z", "29990101T000000Z")
    fb, _ = periods(r.data)
    assert fb["DTEND"].dt - fb["DTSTART"].dt == timedelta(days=366)
    assert fb_report(client, "20260101T000000Z", "20260201T000000Z", auth=BOB).status_code == 404
    folder = client.application.app.services.storage.folders.get("demo", "Calendar", "personal")
    folder.set_roles("bob", None, ["PublicDAndTViewer"])
    r = fb_report(client, "20260101T000000Z", "20260201T000000Z", auth=BOB)
    assert r.status_code == 200 and periods(r.data)[1] == EXPECTED_JAN


def test_ifb_answers_propfind_and_options(client):
    r = client.open("/SOGo/dav/demo/freebusy.ifb", method="PROPFIND", headers={**DEMO, "Depth": "0"})
    assert r.status_code == 207 and b"/SOGo/dav/demo/freebusy.ifb" in r.data
    r = client.open("/SOGo/dav/demo/freebusy.ifb", method="OPTIONS", headers=DEMO)
    assert "GET" in r.headers["Allow"]
    assert client.put("/SOGo/dav/demo/freebusy.ifb", data=b"x", headers=DEMO).status_code == 405
