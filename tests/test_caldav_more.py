"""CalDAV odds and ends: e-mail alarm rows, object ACLs on reads, super users,
subscribed collections, calendar-order, calendar-query pruning, empty responses."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.test import Client

from sogod.caldav.ical import parse_calendar
from sogod.caldav.quick import appointment_quick_row
from sogod.config import load_system_defaults
from sogod.http.app import create_app

from .dav_helpers import D, multistatus
from .sogod_env import basic, embedded_config
from .test_caldav_http import event

C = "{urn:ietf:params:xml:ns:caldav}"
DEMO = basic("demo", "demo")
BOB = basic("bob", "bobpw")
CAL = "/SOGo/dav/demo/Calendar/personal/"

FIXTURES = Path(__file__).parent / "fixtures" / "caldav_more"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_bytes().decode()


def alarm_event(uid="al1", start="20400110T100000Z", end="20400110T110000Z") -> bytes:
    return fixture("email-alarm.ics").format(uid=uid, start=start, end=end).encode()


def make_client(tmp_path, conf_extra=""):
    config = embedded_config(tmp_path, extra_users=[("bob", "bobpw", "Bob", "bob@example.com")],
                             conf_extra=conf_extra)
    return Client(create_app(load_system_defaults(str(config), {})))


@pytest.fixture
def client(tmp_path):
    return make_client(tmp_path)


def put(client, path, body, auth=DEMO, **headers):
    return client.put(path, data=body, headers={**auth, "Content-Type": "text/calendar", **headers})


def services_of(client):
    return client.application.app.services


def dav(client, method, path, body=b"", auth=DEMO, depth="1"):
    return client.open(path, method=method, data=body,
                       headers={**auth, "Depth": depth, "Content-Type": "application/xml"})


def listed(response) -> set[str]:
    assert response.status_code == 207, response.data
    return {h for h, stats in multistatus(response.data).items() if "200" in stats}


# --------------------------------------------------------------------------- 1. e-mail alarms

def alarm_table_rows(client):
    alarms = services_of(client).storage.alarms
    with alarms.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(alarms.table))]


def test_email_alarm_rows_follow_put_and_delete(tmp_path):
    client = make_client(tmp_path, "  SOGoEnableEMailAlarms = YES;")
    assert put(client, CAL + "a.ics", alarm_event()).status_code == 201
    epoch = 2209802400 - 15 * 60       # 2040-01-10T10:00Z minus 15 minutes, clamped to INT_MAX
    rows = alarm_table_rows(client)
    assert rows == [{"c_path": "/Users/demo/Calendar/personal", "c_name": "a.ics", "c_uid": "al1",
                     "c_recurrence_id": 0, "c_alarm_number": 0,
                     "c_alarm_date": min(epoch, 2147483647)}]
    # a new version replaces the row
    assert put(client, CAL + "a.ics", alarm_event(start="20350110T100000Z",
                                                  end="20350110T110000Z")).status_code == 204
    rows = alarm_table_rows(client)
    assert [r["c_alarm_date"] for r in rows] == [2052036000 - 15 * 60]
    assert client.delete(CAL + "a.ics", headers=DEMO).status_code == 204
    assert alarm_table_rows(client) == []


def test_email_alarm_rows_share_the_object_transaction(tmp_path):
    client = make_client(tmp_path, "  SOGoEnableEMailAlarms = YES;")
    assert put(client, CAL + "a.ics", alarm_event()).status_code == 201   # tables exist
    storage = services_of(client).storage
    folder = storage.folders.ensure_personal("demo", "Calendar")
    assert storage.alarms.engine is folder.engine          # embedded: one SQLite file

    class Boom(Exception):
        pass

    class FailingHook:
        engine = folder.engine

        def __call__(self, conn, folder, name):
            storage.alarms.replacing([{"c_uid": "u", "c_recurrence_id": 0, "c_alarm_number": 0,
                                       "c_alarm_date": 1}])(conn, folder, name)
            raise Boom()

    text = alarm_event(uid="x").decode()
    quick = appointment_quick_row(parse_calendar(text))
    with pytest.raises(Boom):
        folder.put_object("x.ics", text, quick, hook=FailingHook())
    assert folder.get_object("x.ics") is None
    assert [r["c_name"] for r in alarm_table_rows(client)] == ["a.ics"]


def test_email_alarm_rows_in_another_database(client, tmp_path):
    from sogod.store import tables
    from sogod.store.alarms import EmailAlarms
    from sogod.store.database import ensure_table
    from sogod.store.urls import parse_store_url
    url = parse_store_url(f"sqlite://{tmp_path}/alarms.sqlite/sogo_alarms_folder")
    ensure_table(url, tables.alarms_table)
    alarms = EmailAlarms(url)
    folder = services_of(client).storage.folders.ensure_personal("demo", "Calendar")
    assert alarms.engine is not folder.engine
    text = alarm_event(uid="y").decode()
    row = {"c_uid": "y", "c_recurrence_id": 0, "c_alarm_number": 0, "c_alarm_date": 5}
    folder.put_object("y.ics", text, appointment_quick_row(parse_calendar(text)),
                      hook=alarms.replacing([row]))
    with alarms.engine.connect() as conn:
        assert [r.c_name for r in conn.execute(select(alarms.table))] == ["y.ics"]
    assert folder.delete_object("y.ics", hook=alarms.removing())
    with alarms.engine.connect() as conn:
        assert list(conn.execute(select(alarms.table))) == []


def test_no_alarm_rows_without_the_setting(client):
    assert services_of(client).storage.alarms is None
    assert put(client, CAL + "a.ics", alarm_event()).status_code == 201


# --------------------------------------------------------------------------- 2. object ACLs on reads

MULTIGET = f"""<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<D:prop><D:getetag/><C:calendar-data/></D:prop>
<D:href>{CAL}open.ics</D:href><D:href>{CAL}closed.ics</D:href><D:href>{CAL}priv.ics</D:href>
</C:calendar-multiget>""".encode()
QUERY = b"""<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<D:prop><D:getetag/></D:prop>
<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"/></C:comp-filter></C:filter>
</C:calendar-query>"""
SYNC = b"""<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level>
<D:prop><D:getetag/></D:prop></D:sync-collection>"""


def test_object_acl_overrides_the_folder_for_reads(client):
    put(client, CAL + "open.ics", event("open", summary="Open"))
    put(client, CAL + "closed.ics", event("closed", summary="Closed"))
    put(client, CAL + "priv.ics", event("priv", summary="Private one", klass="PRIVATE"))
    folder = services_of(client).storage.folders.get("demo", "Calendar", "personal")
    folder.set_roles("bob", None, ["PublicViewer"])
    folder.set_roles("bob", f"{folder.acl_object}/closed.ics", [])          # explicit "None"
    folder.set_roles("bob", f"{folder.acl_object}/priv.ics", ["PrivateViewer"])
    want = {CAL + "open.ics", CAL + "priv.ics"}
    assert client.get(CAL + "open.ics", headers=BOB).status_code == 200
    assert client.get(CAL + "closed.ics", headers=BOB).status_code == 404
    assert b"Private one" in client.get(CAL + "priv.ics", headers=BOB).data
    assert listed(dav(client, "PROPFIND", CAL, auth=BOB)) - {CAL} == want
    assert listed(dav(client, "REPORT", CAL, MULTIGET, auth=BOB)) == want
    assert listed(dav(client, "REPORT", CAL, QUERY, auth=BOB)) == want
    assert listed(dav(client, "REPORT", CAL, SYNC, auth=BOB)) == want
    # the owner still sees everything
    assert listed(dav(client, "REPORT", CAL, QUERY)) == want | {CAL + "closed.ics"}


# --------------------------------------------------------------------------- 3. super users

MKCALENDAR_BODY = b"""<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<D:set><D:prop><D:displayname>Made by root</D:displayname></D:prop></D:set></C:mkcalendar>"""
MKCOL_BOOK = b"""<D:mkcol xmlns:D="DAV:" xmlns:R="urn:ietf:params:xml:ns:carddav">
<D:set><D:prop><D:resourcetype><D:collection/><R:addressbook/></D:resourcetype></D:prop></D:set>
</D:mkcol>"""


def test_super_user_creates_folders_in_another_home(tmp_path):
    client = make_client(tmp_path, '  SOGoSuperUsernames = ("bob");')
    home = "/SOGo/dav/demo/Calendar/"
    assert dav(client, "MKCALENDAR", home + "byroot", MKCALENDAR_BODY, auth=BOB).status_code == 201
    assert dav(client, "MKCOL", "/SOGo/dav/demo/Contacts/bybob", MKCOL_BOOK, auth=BOB).status_code == 201
    folders = services_of(client).storage.folders
    assert folders.get("demo", "Calendar", "byroot").display_name == "Made by root"
    assert folders.get("demo", "Contacts", "bybob") is not None
    assert home + "byroot/" in listed(dav(client, "PROPFIND", home))        # the owner sees it


def test_ordinary_user_cannot_create_folders_in_another_home(client):
    assert dav(client, "MKCALENDAR", "/SOGo/dav/demo/Calendar/x", MKCALENDAR_BODY,
               auth=BOB).status_code == 403


# --------------------------------------------------------------------------- 4. subscribed collections

SUBSCRIBED = "/SOGo/dav/bob/Calendar/demo_personal/"
RESOURCETYPE = b'<D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/></D:prop></D:propfind>'


def subscribe_bob(client):
    folder = services_of(client).storage.folders.ensure_personal("demo", "Calendar")
    folder.set_roles("bob", None, ["PublicViewer"])
    body = b'<subscribe xmlns="urn:inverse:params:xml:ns:inverse-dav"/>'
    assert dav(client, "POST", CAL, body, auth=BOB).status_code == 204


def resource_types(client, path, auth):
    response = dav(client, "PROPFIND", path, RESOURCETYPE, auth=auth, depth="0")
    return {el.tag for el in multistatus(response.data)[path]["200"][D + "resourcetype"]}


def test_delete_of_a_subscribed_collection_unsubscribes(client):
    subscribe_bob(client)
    put(client, CAL + "keep.ics", event("keep"))
    assert dav(client, "PROPFIND", SUBSCRIBED, auth=BOB, depth="0").status_code == 207
    assert client.delete(SUBSCRIBED, headers=BOB).status_code == 204
    assert services_of(client).storage.profiles.get("bob")[1]["Calendar"]["SubscribedFolders"] == []
    assert SUBSCRIBED not in listed(dav(client, "PROPFIND", "/SOGo/dav/bob/Calendar/", auth=BOB))
    # the folder itself is untouched
    assert services_of(client).storage.folders.get("demo", "Calendar", "personal") is not None
    assert client.get(CAL + "keep.ics", headers=DEMO).status_code == 200


def test_subscribed_personal_calendar_is_no_schedule_outbox(client):
    subscribe_bob(client)
    assert C + "schedule-outbox" in resource_types(client, CAL, DEMO)
    types = resource_types(client, SUBSCRIBED, BOB)
    assert C + "calendar" in types and C + "schedule-outbox" not in types


# --------------------------------------------------------------------------- 5. calendar-order

APPLE = "{http://apple.com/ns/ical/}"


def set_order(client, path, value):
    body = (b'<D:propertyupdate xmlns:D="DAV:" xmlns:I="http://apple.com/ns/ical/"><D:set><D:prop>'
            b'<I:calendar-order>%d</I:calendar-order></D:prop></D:set></D:propertyupdate>' % value)
    r = dav(client, "PROPPATCH", path, body, depth="0")
    assert r.status_code == 207 and b"200 OK" in r.data, r.data


def order_of(client, path):
    body = b'<D:propfind xmlns:D="DAV:" xmlns:I="http://apple.com/ns/ical/"><D:prop><I:calendar-order/></D:prop></D:propfind>'
    found = multistatus(dav(client, "PROPFIND", path, body, depth="0").data)[path]
    return int(found["200"][APPLE + "calendar-order"].text) if "200" in found else None


def folders_order(client):
    return services_of(client).storage.profiles.get("demo")[1]["Calendar"]["FoldersOrder"]


def test_calendar_order_reads_back_the_number_and_sorts_sogo_list(client):
    home = "/SOGo/dav/demo/Calendar/"
    for name in ("work", "home"):
        assert dav(client, "MKCALENDAR", home + name, depth="0").status_code == 201
    set_order(client, home + "personal/", 1)
    set_order(client, home + "work/", 12)
    set_order(client, home + "home/", 3)
    assert [order_of(client, home + n + "/") for n in ("personal", "work", "home")] == [1, 12, 3]
    assert folders_order(client) == ["personal", "home", "work"]
    set_order(client, home + "personal/", 20)
    assert order_of(client, home + "personal/") == 20
    assert folders_order(client) == ["home", "work", "personal"]


def test_calendar_order_follows_a_web_ui_reordering(client):
    home = "/SOGo/dav/demo/Calendar/"
    assert dav(client, "MKCALENDAR", home + "work", depth="0").status_code == 201
    set_order(client, home + "personal/", 5)
    set_order(client, home + "work/", 9)
    profiles = services_of(client).storage.profiles
    settings = profiles.get("demo")[1]
    settings["Calendar"]["FoldersOrder"] = ["work", "personal"]        # dragged in SOGo's web UI
    profiles.set_settings("demo", settings)
    assert order_of(client, home + "work/") == 1 and order_of(client, home + "personal/") == 2


# --------------------------------------------------------------------------- 6. calendar-query pruning

def time_range_query(start, end) -> bytes:
    return f"""<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
<C:time-range start="{start}" end="{end}"/></C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>""".encode()




def test_calendar_query_skips_finished_series_only(client):
    from sogod.caldav.filters import parse_filter, quick_prefilter
    from sogod.caldav.reports import _candidates
    from sogod.dav.xml import parse

    def series(uid, rule, extra=""):
        return fixture("series.ics").format(uid=uid, rule=rule, extra=extra).encode()

    assert put(client, CAL + "finished.ics", series("finished", "FREQ=DAILY;COUNT=3")).status_code == 201
    assert put(client, CAL + "until.ics", series("until", "FREQ=WEEKLY;UNTIL=20200301T100000Z")).status_code == 201
    assert put(client, CAL + "forever.ics", series("forever", "FREQ=WEEKLY")).status_code == 201
    # a finished series whose override was moved years later stays a candidate
    assert put(client, CAL + "moved.ics", series("moved", "FREQ=DAILY;COUNT=2", fixture("moved-override.ics"))).status_code == 201
    folder = services_of(client).storage.folders.get("demo", "Calendar", "personal")
    rows = {r.c_name: r for r in folder.quick_rows()}
    assert rows["forever.ics"].c_cycleenddate == 2147483647
    assert rows["finished.ics"].c_cycleenddate == 1578481200       # 2020-01-08T11:00Z
    assert rows["moved.ics"].c_cycleenddate >= 1772704800           # 2026-03-05T10:00Z

    late = time_range_query("20260302T000000Z", "20260309T000000Z")     # a Monday to Monday week
    assert listed(dav(client, "REPORT", CAL, late)) == {CAL + "forever.ics", CAL + "moved.ics"}
    collection = type("C", (), {"folder": folder})()
    root = parse(late)
    prefilter = quick_prefilter(parse_filter(root.find(C + "filter")))
    assert sorted(_candidates(collection, prefilter)) == ["forever.ics", "moved.ics"]
    # within their own range the finished series still match
    early = time_range_query("20200106T000000Z", "20200107T000000Z")
    assert listed(dav(client, "REPORT", CAL, early)) == {
        CAL + n for n in ("finished.ics", "until.ics", "forever.ics", "moved.ics")}
    # past 2038 (beyond INT_MAX, where the infinite series' c_cycleenddate stops)
    beyond = time_range_query("20400102T000000Z", "20400109T000000Z")
    assert listed(dav(client, "REPORT", CAL, beyond)) == {CAL + "forever.ics"}
    last_week = time_range_query("20200224T000000Z", "20200302T000000Z")
    assert listed(dav(client, "REPORT", CAL, last_week)) == {CAL + "until.ics", CAL + "forever.ics"}


def test_calendar_query_finds_single_events_beyond_2038(client):
    far = event("far").replace(b"20260110T1", b"20400110T1")
    assert put(client, CAL + "far.ics", far).status_code == 201
    query = time_range_query("20400110T000000Z", "20400111T000000Z")
    assert listed(dav(client, "REPORT", CAL, query)) == {CAL + "far.ics"}


# --------------------------------------------------------------------------- 7. empty responses

def test_multistatus_response_without_properties_has_an_empty_propstat(client):
    import xml.etree.ElementTree as ET

    from sogod.dav.xml import MultiStatus
    status = MultiStatus()
    status.add("/x", [], [])
    response = ET.fromstring(status.body()).find(D + "response")
    assert [c.tag for c in response] == [D + "href", D + "propstat"]
    propstat = response.find(D + "propstat")
    assert len(propstat.find(D + "prop")) == 0
    assert propstat.findtext(D + "status") == "HTTP/1.1 200 OK"
    # over HTTP: a PROPFIND asking for no property at all
    put(client, CAL + "e.ics", event("e"))
    body = b'<D:propfind xmlns:D="DAV:"><D:prop/></D:propfind>'
    found = multistatus(dav(client, "PROPFIND", CAL + "e.ics", body, depth="0").data)
    assert found == {CAL + "e.ics": {"200": {}}}
