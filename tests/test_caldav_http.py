"""CalDAV in-process: homes, calendars, objects, conditions, reports, sync, access."""

from __future__ import annotations

import time

import pytest
from werkzeug.test import Client

from sogod.config import load_system_defaults
from sogod.http.app import create_app

from .dav_helpers import D, hrefs, multistatus
from .sogod_env import basic, embedded_config

C = "{urn:ietf:params:xml:ns:caldav}"
CS = "{http://calendarserver.org/ns/}"
DEMO = basic("demo", "demo")
BOB = basic("bob", "bobpw")

EVENT = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//test//EN\r
BEGIN:VEVENT\r
UID:{uid}\r
DTSTAMP:20260101T000000Z\r
DTSTART:{start}\r
DTEND:{end}\r
SUMMARY:{summary}\r
CLASS:{klass}\r
END:VEVENT\r
END:VCALENDAR\r
"""


def event(uid="ev1", start="20260110T100000Z", end="20260110T110000Z", summary="Meeting", klass="PUBLIC"):
    return EVENT.format(uid=uid, start=start, end=end, summary=summary, klass=klass).encode()


@pytest.fixture
def client(tmp_path):
    config = embedded_config(tmp_path, extra_users=[("bob", "bobpw", "Bob", "bob@example.com")],
                             conf_extra="  WOMaxUploadSize = 64;")
    return Client(create_app(load_system_defaults(str(config), {})))


def put(client, path, body, auth=DEMO, **headers):
    return client.put(path, data=body, headers={**auth, "Content-Type": "text/calendar", **headers})


def propfind(client, path, body, depth="0", auth=DEMO):
    return client.open(path, method="PROPFIND", data=body, headers={**auth, "Depth": depth})


def report(client, path, body, auth=DEMO, depth="1"):
    return client.open(path, method="REPORT", data=body, headers={**auth, "Depth": depth,
                                                                  "Content-Type": "application/xml"})


CAL = "/SOGo/dav/demo/Calendar/personal/"


def test_discovery_and_personal_calendar(client):
    r = propfind(client, "/SOGo/dav/demo/", b'<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
                 b'<D:prop><C:calendar-home-set/><C:schedule-inbox-URL/><C:schedule-outbox-URL/></D:prop></D:propfind>')
    found = multistatus(r.data)["/SOGo/dav/demo/"]["200"]
    assert hrefs(found[C + "calendar-home-set"]) == ["/SOGo/dav/demo/Calendar/"]
    assert hrefs(found[C + "schedule-outbox-URL"]) == [CAL]
    r = propfind(client, "/SOGo/dav/demo/Calendar/", b'<D:propfind xmlns:D="DAV:"><D:prop><D:displayname/>'
                 b'<D:resourcetype/></D:prop></D:propfind>', depth="1")
    result = multistatus(r.data)
    assert result[CAL]["200"][D + "displayname"].text == "Personal Calendar"
    assert C + "calendar" in {c.tag for c in result[CAL]["200"][D + "resourcetype"]}


def test_put_get_head_conditions_and_etags(client):
    r = put(client, CAL + "ev1.ics", event(), **{"If-None-Match": "*"})
    assert r.status_code == 201 and r.headers["ETag"] == '"gcs00000000"'
    r = client.get(CAL + "ev1.ics", headers=DEMO)
    assert r.status_code == 200 and b"SUMMARY:Meeting" in r.data and r.headers["ETag"] == '"gcs00000000"'
    assert r.headers["Content-Type"].startswith("text/calendar")
    h = client.head(CAL + "ev1.ics", headers=DEMO)
    assert h.status_code == 200 and h.data == b"" and int(h.headers["Content-Length"]) == len(r.data)
    assert client.get(CAL + "ev1.ics", headers={**DEMO, "If-None-Match": '"gcs00000000"'}).status_code == 304
    # SOGo overwrites on If-None-Match: *; sogod refuses.
    assert put(client, CAL + "ev1.ics", event(summary="x"), **{"If-None-Match": "*"}).status_code == 412
    assert put(client, CAL + "ev1.ics", event(summary="x"), **{"If-Match": '"gcs00000007"'}).status_code == 412
    r = put(client, CAL + "ev1.ics", event(summary="Moved"), **{"If-Match": '"gcs00000000"'})
    assert r.status_code == 204 and r.headers["ETag"] == '"gcs00000001"'
    assert b"SUMMARY:Moved" in client.get(CAL + "ev1.ics", headers=DEMO).data
    assert put(client, CAL + "new.ics", event(uid="n"), **{"If-Match": "*"}).status_code == 412


def test_uid_is_unique_per_calendar(client):
    assert put(client, CAL + "a.ics", event(uid="same")).status_code == 201
    r = put(client, CAL + "b.ics", event(uid="same"))
    assert r.status_code == 409 and b"no-uid-conflict" in r.data
    assert client.get(CAL + "b.ics", headers=DEMO).status_code == 404


@pytest.mark.parametrize("body", [b"garbage", b"", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
                                  b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:no uid\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
                                  b"\xff\xfe\x00binary"])
def test_invalid_icalendar_is_400_and_nothing_stored(client, body):
    r = put(client, CAL + "bad.ics", body)
    assert r.status_code == 400 and b"valid-calendar-data" in r.data
    assert client.get(CAL + "bad.ics", headers=DEMO).status_code == 404


def test_oversized_body_is_413(client):
    big = event(summary="x" * 70000)
    assert put(client, CAL + "big.ics", big).status_code == 413
    assert client.get(CAL + "big.ics", headers=DEMO).status_code == 404


def test_delete_object_and_collection_rules(client):
    put(client, CAL + "d.ics", event(uid="d"))
    assert client.delete(CAL + "d.ics", headers=DEMO).status_code == 204
    assert client.get(CAL + "d.ics", headers=DEMO).status_code == 404
    assert client.delete(CAL, headers=DEMO).status_code == 403          # personal stays
    assert client.open("/SOGo/dav/demo/Calendar/work/", method="MKCALENDAR", headers=DEMO).status_code == 201
    assert client.delete("/SOGo/dav/demo/Calendar/work/", headers=DEMO).status_code == 204


def test_mkcalendar_and_proppatch(client):
    body = (b'<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop>'
            b'<D:displayname>Work</D:displayname><C:calendar-description>Job</C:calendar-description>'
            b'</D:prop></D:set></C:mkcalendar>')
    r = client.open("/SOGo/dav/demo/Calendar/work/", method="MKCALENDAR", data=body, headers=DEMO)
    assert r.status_code == 201
    assert client.open("/SOGo/dav/demo/Calendar/work/", method="MKCALENDAR", headers=DEMO).status_code == 405
    patch = (b'<D:propertyupdate xmlns:D="DAV:" xmlns:I="http://apple.com/ns/ical/"><D:set><D:prop>'
             b'<D:displayname>Work stuff</D:displayname><I:calendar-color>#FF0000FF</I:calendar-color>'
             b'<I:calendar-order>2</I:calendar-order></D:prop></D:set></D:propertyupdate>')
    r = client.open("/SOGo/dav/demo/Calendar/work/", method="PROPPATCH", data=patch, headers=DEMO)
    assert r.status_code == 207 and b"200 OK" in r.data and b"403" not in r.data
    r = propfind(client, "/SOGo/dav/demo/Calendar/work/", b'<D:propfind xmlns:D="DAV:" '
                 b'xmlns:I="http://apple.com/ns/ical/" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop>'
                 b'<D:displayname/><I:calendar-color/><C:calendar-description/></D:prop></D:propfind>')
    found = multistatus(r.data)["/SOGo/dav/demo/Calendar/work/"]["200"]
    assert found[D + "displayname"].text == "Work stuff"
    assert found["{http://apple.com/ns/ical/}calendar-color"].text == "#FF0000FF"
    assert found[C + "calendar-description"].text == "Job"
    bad = (b'<D:propertyupdate xmlns:D="DAV:" xmlns:I="http://apple.com/ns/ical/"><D:set><D:prop>'
           b'<D:displayname>ok</D:displayname><D:getetag>x</D:getetag></D:prop></D:set></D:propertyupdate>')
    r = client.open("/SOGo/dav/demo/Calendar/work/", method="PROPPATCH", data=bad, headers=DEMO)
    assert b"424 Failed Dependency" in r.data and b"403 Forbidden" in r.data


def test_calendar_query_time_range_and_multiget(client):
    put(client, CAL + "jan.ics", event(uid="jan"))
    put(client, CAL + "feb.ics", event(uid="feb", start="20260210T100000Z", end="20260210T110000Z"))
    body = (b'<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/>'
            b'</D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">'
            b'<C:time-range start="20260101T000000Z" end="20260201T000000Z"/></C:comp-filter></C:comp-filter>'
            b'</C:filter></C:calendar-query>')
    r = report(client, CAL, body)
    assert r.status_code == 207
    assert set(multistatus(r.data)) == {CAL + "jan.ics"}
    body = (b'<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/>'
            b'<C:calendar-data/></D:prop><D:href>' + CAL.encode() + b'feb.ics</D:href><D:href>'
            + CAL.encode() + b'none.ics</D:href></C:calendar-multiget>')
    r = report(client, CAL, body)
    result = multistatus(r.data)
    assert b"UID:feb" in result[CAL + "feb.ics"]["200"][C + "calendar-data"].text.encode()
    assert b"404" in r.data


def test_sync_collection(client):
    body = (b'<D:sync-collection xmlns:D="DAV:"><D:sync-token>{}</D:sync-token><D:sync-level>1</D:sync-level>'
            b'<D:prop><D:getetag/></D:prop></D:sync-collection>')
    put(client, CAL + "s1.ics", event(uid="s1"))
    put(client, CAL + "s2.ics", event(uid="s2"))
    r = report(client, CAL, body.replace(b"{}", b""))
    assert r.status_code == 207
    import xml.etree.ElementTree as ET
    token = ET.fromstring(r.data).findtext(D + "sync-token")
    assert set(multistatus(r.data)) == {CAL + "s1.ics", CAL + "s2.ics"}
    put(client, CAL + "s3.ics", event(uid="s3"))
    client.delete(CAL + "s1.ics", headers=DEMO)
    r = report(client, CAL, body.replace(b"{}", token.encode()))
    changed = ET.fromstring(r.data)
    seen = {resp.findtext(D + "href"): resp for resp in changed.findall(D + "response")}
    assert CAL + "s3.ics" in seen and "404" in (seen[CAL + "s1.ics"].findtext(D + "status") or "")
    # Same-second writes are never lost: a write right after a sync is seen by the next one.
    token2 = changed.findtext(D + "sync-token")
    put(client, CAL + "s4.ics", event(uid="s4"))
    r = report(client, CAL, body.replace(b"{}", token2.encode()))
    assert CAL + "s4.ics" in multistatus(r.data)
    r = report(client, CAL, body.replace(b"{}", b"not-a-token"))
    assert r.status_code == 403 and b"valid-sync-token" in r.data
    # A token issued by real SOGo (bare epoch seconds) is accepted.
    r = report(client, CAL, body.replace(b"{}", str(int(time.time()) - 3600).encode()))
    assert r.status_code == 207


def test_export_whole_calendar(client):
    put(client, CAL + "e1.ics", event(uid="e1"))
    put(client, CAL + "e2.ics", event(uid="e2"))
    r = client.get("/SOGo/dav/demo/Calendar/personal.ics", headers=DEMO)
    assert r.status_code == 200 and r.data.count(b"BEGIN:VEVENT") == 2
    assert client.get(CAL, headers=DEMO).status_code == 405      # SOGo: 501


def test_other_users_see_nothing_without_acl(client):
    put(client, CAL + "p.ics", event(uid="p"))
    assert propfind(client, CAL, b"", auth=BOB).status_code == 404
    assert client.get(CAL + "p.ics", headers=BOB).status_code == 404
    assert put(client, CAL + "x.ics", event(uid="x"), auth=BOB).status_code == 404
    assert client.delete(CAL + "p.ics", headers=BOB).status_code == 404


def test_roles_decide_what_another_user_sees(client, tmp_path):
    put(client, CAL + "pub.ics", event(uid="pub", summary="Public talk"))
    put(client, CAL + "priv.ics", event(uid="priv", summary="Doctor", klass="PRIVATE"))
    put(client, CAL + "conf.ics", event(uid="conf", summary="Salary", klass="CONFIDENTIAL"))
    services = client.application.app.services
    folder = services.storage.folders.get("demo", "Calendar", "personal")
    folder.set_roles("bob", None, ["PublicViewer", "ConfidentialDAndTViewer"])
    assert b"Public talk" in client.get(CAL + "pub.ics", headers=BOB).data
    assert client.get(CAL + "priv.ics", headers=BOB).status_code == 404
    busy = client.get(CAL + "conf.ics", headers=BOB).data
    assert b"Salary" not in busy and b"DTSTART" in busy
    listing = multistatus(propfind(client, CAL, b"", depth="1", auth=BOB).data)
    assert CAL + "priv.ics" not in listing and CAL + "pub.ics" in listing
    assert put(client, CAL + "pub.ics", event(uid="pub", summary="hacked"), auth=BOB).status_code == 403
    assert client.delete(CAL + "pub.ics", headers=BOB).status_code == 403
    assert put(client, CAL + "new.ics", event(uid="new"), auth=BOB).status_code == 403
    folder.set_roles("bob", None, ["PublicModifier", "ObjectCreator", "ObjectEraser"])
    assert put(client, CAL + "pub.ics", event(uid="pub", summary="edited"), auth=BOB).status_code == 204
    assert put(client, CAL + "new.ics", event(uid="new"), auth=BOB).status_code == 201
    assert client.delete(CAL + "new.ics", headers=BOB).status_code == 204
    patch = (b'<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:displayname>mine</D:displayname>'
             b'</D:prop></D:set></D:propertyupdate>')
    r = client.open(CAL, method="PROPPATCH", data=patch, headers=BOB)
    assert b"403 Forbidden" in r.data


def test_calendar_dav_access_can_be_closed(tmp_path):
    config = embedded_config(tmp_path, conf_extra="  SOGoCalendarDAVAccessEnabled = NO;")
    client = Client(create_app(load_system_defaults(str(config), {})))
    assert propfind(client, CAL, b"").status_code == 404
    assert put(client, CAL + "x.ics", event()).status_code == 404
