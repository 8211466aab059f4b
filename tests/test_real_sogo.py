"""sogod and the real SOGo 5.8 share one database without change, both ways.

Each test runs against both table layouts (one table set per folder, and the
combined OCSStoreURL/OCSAclURL/OCSCacheFolderURL mode): real SOGo, started by
``tests/real_sogo.py``, and sogod's storage layer and SQL user source, built
from the very configuration file SOGo reads, work on the same PostgreSQL
database. Every test uses users of its own.
"""

from __future__ import annotations

import calendar
import json
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

from sogod.auth.sources import make_source
from sogod.cache import make_cache
from sogod.config import load_system_defaults
from sogod.store import Storage
from tests.dav_helpers import D, multistatus

FIXTURES = Path(__file__).parent / "fixtures" / "real_sogo"
CS = "{http://calendarserver.org/ns/}"
FIRST_ETAG = '"gcs00000000"'


def fixture(name: str, **fields) -> str:
    """A fixture file; .ics/.vcf with CRLF line ends, as SOGo stores them."""
    text = (FIXTURES / name).read_text()
    if name.endswith((".ics", ".vcf")):
        text = text.replace("\n", "\r\n").rstrip("\r\n")
    return text.format(**fields) if fields else text


def epoch(stamp: str) -> int:
    return calendar.timegm(datetime.strptime(stamp, "%Y%m%dT%H%M%SZ")
                           .replace(tzinfo=timezone.utc).timetuple())


@pytest.fixture(params=["per-folder", "combined"])
def sogo(request):
    """The session's real SOGo of each table layout in turn."""
    name = "real_sogo" if request.param == "per-folder" else "real_sogo_combined"
    return request.getfixturevalue(name)


@pytest.fixture
def defaults(sogo):
    """sogod's system defaults, read from the file real SOGo reads."""
    return load_system_defaults(str(sogo.config_path), {})


@pytest.fixture
def storage(defaults, sogo):
    storage = Storage.from_config(defaults)
    assert storage.combined is sogo.combined
    return storage


def dav(user, path: str) -> str:
    return f"/SOGo/dav/{user[0]}/{path}"


def propfind(sogo, user, path: str, depth: str = "1") -> dict:
    response = sogo.request("PROPFIND", dav(user, path), user, body=fixture("propfind-etag.xml"),
                            headers={"Depth": depth, "Content-Type": "application/xml; charset=utf-8"})
    assert response.status_code == 207, (response.status_code, response.text, sogo.log_tail())
    return multistatus(response.content)


def etag_of(props: dict) -> str | None:
    element = props.get("200", {}).get(D + "getetag")
    return None if element is None else element.text


# --- SOGo first -------------------------------------------------------------------------

def test_sogo_writes_sogod_reads(sogo, storage):
    user = sogo.new_user()
    for home in ("Calendar/", "Contacts/"):      # SOGo creates the personal folders here
        assert propfind(sogo, user, home)
    event, card = fixture("sogo-event.ics"), fixture("sogo-card.vcf")
    for path, body, ctype in (("Calendar/personal/event.ics", event, "text/calendar"),
                              ("Contacts/personal/card.vcf", card, "text/vcard")):
        put = sogo.request("PUT", dav(user, path), user, body=body,
                           headers={"Content-Type": f"{ctype}; charset=utf-8", "If-None-Match": "*"})
        assert put.status_code == 201, (put.status_code, put.text, sogo.log_tail())
        assert put.headers["ETag"] == FIRST_ETAG

    calendars = storage.folders.list(user[0], "Calendar")
    assert [(f.folder_id, f.display_name, f.folder_type) for f in calendars] == [
        ("personal", "Personal Calendar", "Appointment")]
    cal = calendars[0]
    assert storage.folders.ensure_personal(user[0], "Calendar").c_folder_id == cal.c_folder_id

    got = sogo.request("GET", dav(user, "Calendar/personal/event.ics"), user)
    assert got.status_code == 200 and got.headers["ETag"] == FIRST_ETAG
    row = cal.get_object("event.ics")
    assert row.c_content.encode() == got.content
    assert (row.c_version, row.c_deleted) == (0, None)
    assert [r.c_name for r in cal.list_objects()] == ["event.ics"]
    quick = cal.quick_rows()
    assert len(quick) == 1
    q = quick[0]._mapping
    assert {k: q[k] for k in ("c_name", "c_uid", "c_startdate", "c_enddate", "c_title", "c_location",
                              "c_component", "c_classification", "c_isopaque", "c_status",
                              "c_isallday", "c_iscycle")} == {
        "c_name": "event.ics", "c_uid": "sogo-first@real-sogo.test",
        "c_startdate": epoch("20260115T100000Z"), "c_enddate": epoch("20260115T110000Z"),
        "c_title": "Written by real SOGo", "c_location": "Room 1", "c_component": "vevent",
        "c_classification": 0, "c_isopaque": 1, "c_status": 1, "c_isallday": 0, "c_iscycle": 0}
    # the ctag SOGo announces is the one sogod computes
    collection = propfind(sogo, user, "Calendar/personal/", depth="0")
    ctag = collection[dav(user, "Calendar/personal/")]["200"][CS + "getctag"].text
    assert cal.ctag() == row.c_lastmodified == int(ctag)

    books = storage.folders.list(user[0], "Contacts")
    assert [(f.folder_id, f.display_name, f.folder_type) for f in books] == [
        ("personal", "Personal Address Book", "Contact")]
    book = books[0]
    got = sogo.request("GET", dav(user, "Contacts/personal/card.vcf"), user)
    assert got.status_code == 200 and got.headers["ETag"] == FIRST_ETAG
    assert book.get_object("card.vcf").c_content.encode() == got.content
    q = book.quick_rows()[0]._mapping
    assert (q["c_name"], q["c_cn"], q["c_givenname"], q["c_sn"], q["c_mail"], q["c_o"], q["c_component"]) == (
        "card.vcf", "Ada Lovelace", "Ada", "Lovelace", "ada@example.test", "Analytical Engines", "vcard")


def test_sogod_authenticates_sogo_users(sogo, defaults):
    user = sogo.new_user("Pa55-w0rd")
    assert sogo.request("PROPFIND", dav(user, ""), user, headers={"Depth": "0"}).status_code == 207
    assert sogo.request("PROPFIND", dav(user, ""), (user[0], "wrong"),
                        headers={"Depth": "0"}).status_code == 401
    [entry] = defaults.get("SOGoUserSources")
    source = make_source(entry, defaults)
    found = source.authenticate(*user)
    assert found is not None
    assert (found.uid, found.cn, found.emails) == (user[0], f"User {user[0]}", (f"{user[0]}@example.test",))
    assert source.authenticate(user[0], "wrong") is None
    assert source.lookup(user[0]).uid == user[0]


# --- sogod first ------------------------------------------------------------------------

def test_sogod_writes_sogo_reads_and_modifies(sogo, storage):
    user = sogo.new_user()
    cal = storage.folders.ensure_personal(user[0], "Calendar")
    content = fixture("sogod-event.ics")
    start, end = epoch("20260210T090000Z"), epoch("20260210T103000Z")
    assert cal.put_object("sogod.ics", content, {
        "c_uid": "sogod-first@real-sogo.test", "c_startdate": start, "c_enddate": end,
        "c_title": "Written by sogod", "c_location": "Room 2", "c_component": "vevent",
        "c_classification": 0, "c_isopaque": 1, "c_status": 1, "c_isallday": 0, "c_iscycle": 0,
        "c_priority": 0, "c_sequence": 0, "c_nextalarm": 0}) == (0, True)

    listing = propfind(sogo, user, "Calendar/personal/")
    href = dav(user, "Calendar/personal/sogod.ics")
    assert etag_of(listing[href]) == FIRST_ETAG
    ctag = listing[dav(user, "Calendar/personal/")]["200"][CS + "getctag"].text
    assert int(ctag) == cal.ctag()
    got = sogo.request("GET", href, user)
    assert got.status_code == 200, (got.status_code, got.text, sogo.log_tail())
    assert got.headers["ETag"] == FIRST_ETAG
    assert got.content == content.encode()

    def query(start: str, end: str) -> dict:
        body = fixture("calendar-query.xml", start=start, end=end)
        response = sogo.request("REPORT", dav(user, "Calendar/personal/"), user, body=body,
                                headers={"Depth": "1", "Content-Type": "application/xml; charset=utf-8"})
        assert response.status_code == 207, (response.status_code, response.text, sogo.log_tail())
        return multistatus(response.content)

    assert href in query("20260210T000000Z", "20260211T000000Z")
    assert href in query("20260210T100000Z", "20260210T100100Z")
    assert href not in query("20260211T000000Z", "20260212T000000Z")

    # SOGo's home listing does not make a second personal calendar
    assert propfind(sogo, user, "Calendar/")
    assert [f.c_folder_id for f in storage.folders.list(user[0], "Calendar")] == [cal.c_folder_id]

    stale = sogo.request("PUT", href, user, body=fixture("sogod-event-modified.ics"),
                         headers={"Content-Type": "text/calendar; charset=utf-8",
                                  "If-Match": '"gcs00000007"'})
    assert stale.status_code == 412
    put = sogo.request("PUT", href, user, body=fixture("sogod-event-modified.ics"),
                       headers={"Content-Type": "text/calendar; charset=utf-8", "If-Match": FIRST_ETAG})
    assert put.status_code == 204, (put.status_code, put.text, sogo.log_tail())
    assert put.headers["ETag"] == '"gcs00000001"'
    row = cal.get_object("sogod.ics")
    assert row.c_version == 1
    assert "SUMMARY:Moved by real SOGo" in row.c_content
    assert row.c_content.encode() == sogo.request("GET", href, user).content
    [q] = cal.quick_rows()
    assert (q.c_title, q.c_startdate, q.c_enddate, q.c_sequence) == (
        "Moved by real SOGo", epoch("20260210T093000Z"), epoch("20260210T110000Z"), 1)
    # and sogod writes on top of SOGo's version
    quick = {k: v for k, v in q._mapping.items() if k not in ("c_name", "c_folder_id")}
    assert cal.put_object("sogod.ics", content, dict(quick, c_title="Written by sogod"),
                          base_version=1) == (2, False)
    again = sogo.request("GET", href, user)
    assert (again.headers["ETag"], again.content) == ('"gcs00000002"', content.encode())


def test_folder_registry_rows_alike(sogo, storage):
    """sogo_folder_info rows: one made by SOGo, one by sogod, for the same user."""
    user = sogo.new_user()
    assert propfind(sogo, user, "Contacts/")                    # SOGo: Contacts/personal
    storage.folders.ensure_personal(user[0], "Calendar")        # sogod: Calendar/personal
    conn = sogo.database.connect()
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT c_path3, c_path, c_path1, c_path2, c_path4, c_foldername, c_location,"
                        " c_quick_location, c_acl_location, c_folder_type FROM sogo_folder_info"
                        " WHERE c_path2 = %s ORDER BY c_path3", (user[0],))
            rows = {row[0]: row[1:] for row in cur.fetchall()}
    finally:
        conn.close()
    prefix = sogo.database.url("sogo_folder_info").rpartition("/")[0]
    table = re.compile(re.escape(prefix) + "/sogo" + user[0][:8] + "[0-9a-f]{11}")
    for kind, folder_type, name in (("Calendar", "Appointment", "Personal Calendar"),
                                    ("Contacts", "Contact", "Personal Address Book")):
        path, path1, path2, path4, foldername, location, quick, acl, ftype = rows[kind]
        assert (path, path1, path2, path4, foldername, ftype) == (
            f"/Users/{user[0]}/{kind}/personal", "Users", user[0], "personal", name, folder_type)
        assert table.fullmatch(location), location
        assert (quick, acl) == (location + "_quick", location + "_acl")


def test_sogod_card_sogo_reads(sogo, storage):
    user = sogo.new_user()
    book = storage.folders.ensure_personal(user[0], "Contacts")
    content = fixture("sogod-card.vcf")
    book.put_object("sogod.vcf", content, {
        "c_cn": "Grace Hopper", "c_givenname": "Grace", "c_sn": "Hopper", "c_mail": "grace@example.test",
        "c_o": "Navy", "c_component": "vcard"})
    href = dav(user, "Contacts/personal/sogod.vcf")
    assert etag_of(propfind(sogo, user, "Contacts/personal/")[href]) == FIRST_ETAG
    got = sogo.request("GET", href, user)
    assert (got.status_code, got.content) == (200, content.encode())
    response = sogo.request("REPORT", dav(user, "Contacts/personal/"), user,
                            body=fixture("addressbook-query.xml", text="hopper"),
                            headers={"Depth": "1", "Content-Type": "application/xml; charset=utf-8"})
    assert response.status_code == 207, (response.status_code, response.text)
    assert href in multistatus(response.content)


# --- profiles ---------------------------------------------------------------------------

def preference(sogo, uid: str, column: str, key: str) -> str:
    """``key`` of the user's defaults or settings as ``sogo-tool`` (SOGo's code) prints it."""
    return sogo.sogo_tool("user-preferences", "get", column, uid, key).stdout.strip()


def web_defaults(web, sogo, uid: str) -> dict:
    response = web.get(f"{sogo.url}/SOGo/so/{uid}/Preferences/jsonDefaults", timeout=30)
    assert response.status_code == 200, (response.status_code, response.text, sogo.log_tail())
    return response.json()


def test_profile_sogod_to_sogo(sogo, storage):
    user = sogo.new_user()
    uid = user[0]
    storage.profiles.set_defaults(uid, {"SOGoTimeZone": "Europe/Paris", "SOGoLanguage": "German"})
    storage.profiles.set_settings(uid, {"Calendar": {"View": "weekview"}})
    assert preference(sogo, uid, "defaults", "SOGoTimeZone") == 'SOGoTimeZone: "Europe/Paris"'
    assert preference(sogo, uid, "defaults", "SOGoLanguage") == 'SOGoLanguage: "German"'
    assert "weekview" in preference(sogo, uid, "settings", "Calendar")
    # the running server too: web UI defaults, CalDAV calendar-timezone
    defaults = web_defaults(sogo.web_login(user), sogo, uid)
    assert (defaults["SOGoTimeZone"], defaults["SOGoLanguage"]) == ("Europe/Paris", "German")
    response = sogo.request("PROPFIND", dav(user, "Calendar/personal/"), user,
                            body=fixture("propfind-timezone.xml"),
                            headers={"Depth": "0", "Content-Type": "application/xml; charset=utf-8"})
    assert response.status_code == 207 and "TZID:Europe/Paris" in response.text, response.text


def test_profile_sogo_to_sogod(sogo, storage):
    uid, _password = sogo.new_user()
    storage.profiles.set_defaults(uid, {"SOGoTimeZone": "Europe/Paris"})
    sogo.sogo_tool("user-preferences", "set", "defaults", uid, "SOGoLanguage",
                   json.dumps({"SOGoLanguage": "French"}))
    sogo.sogo_tool("user-preferences", "set", "settings", uid, "Contact",
                   json.dumps({"Contact": {"SortingState": ["c_cn", "1"]}}))
    defaults, settings = storage.profiles.get(uid)
    assert (defaults["SOGoLanguage"], defaults["SOGoTimeZone"]) == ("French", "Europe/Paris")
    assert settings["Contact"] == {"SortingState": ["c_cn", "1"]}


def test_profile_saved_by_sogo_web_ui(sogo, storage):
    user = sogo.new_user()
    web = sogo.web_login(user)
    saved = web.post(f"{sogo.url}/SOGo/so/{user[0]}/Preferences/save", timeout=30,
                     json={"defaults": {"SOGoTimeZone": "Asia/Tokyo", "SOGoLanguage": "Italian"}})
    assert saved.status_code == 200, (saved.status_code, saved.text, sogo.log_tail())
    defaults, _settings = storage.profiles.get(user[0])
    assert (defaults["SOGoTimeZone"], defaults["SOGoLanguage"]) == ("Asia/Tokyo", "Italian")


def test_profile_change_reaches_running_sogo(sogo, storage, defaults):
    """A running SOGo keeps a user's defaults in memcached as ``<uid>+defaults``
    (SOGoCacheCleanupInterval seconds): sogod's profile writes drop that key."""
    from sogod.services import Services
    storage = Services(defaults).storage      # wired to the shared cache, as in the server
    user = sogo.new_user()
    uid = user[0]
    storage.profiles.set_defaults(uid, {"SOGoTimeZone": "Europe/Paris"})
    web = sogo.web_login(user)
    assert web_defaults(web, sogo, uid)["SOGoTimeZone"] == "Europe/Paris"
    cache = make_cache(defaults)
    assert '"SOGoTimeZone":"Europe/Paris"' in cache.get(f"{uid}+defaults")
    stored, _settings = storage.profiles.get(uid)
    storage.profiles.set_defaults(uid, dict(stored, SOGoTimeZone="America/New_York"))
    assert cache.get(f"{uid}+defaults") is None
    assert web_defaults(web, sogo, uid)["SOGoTimeZone"] == "America/New_York"


def test_missing_sogo_fails_instead_of_skipping(monkeypatch, tmp_path):
    import tests.real_sogo as real_sogo
    monkeypatch.setattr(real_sogo, "SOGOD", str(tmp_path / "sogod"))
    with pytest.raises(pytest.fail.Exception, match="install the Debian package 'sogo'"):
        real_sogo.RealSOGo(database=None, memcached_address="127.0.0.1:1")


# --- web sessions ------------------------------------------------------------------------

def test_web_session_opened_by_sogo_serves_sogod(sogo, defaults):
    """A user logged in to SOGo's web UI stays logged in when sogod takes over."""
    from sogod.services import Services
    user = sogo.new_user("Web-Pa55!")
    web = sogo.web_login(user)
    cookie = web.cookies.get("0xHIGHFLYxSOGo")
    assert cookie and cookie.startswith("basic")
    services = Services(defaults)
    from sogod.web.session import parse_cookie
    _, session_key = parse_cookie(cookie)
    assert services.cache.get(f"session:{session_key}")        # SOGo's memcached key, read as is
    found = services.sessions.find(cookie)
    assert found is not None
    assert (found.credentials.login, found.credentials.password) == user
    assert found.xsrf_token == web.headers["X-XSRF-TOKEN"]
    services.cache.delete(f"session:{found.key}")          # from the table alone, too
    assert services.sessions.find(cookie).credentials.password == user[1]


def test_web_session_opened_by_sogod_serves_sogo(sogo, defaults):
    """A session sogod opens is one SOGo's web UI accepts (cookie, stored value, XSRF token)."""
    from urllib.parse import quote

    import requests

    from sogod.services import Services
    user = sogo.new_user("Web-Pa55!")
    sogo.web_login(user)                        # SOGo creates the user's folders on first login
    session = Services(defaults).sessions.open(*user)
    response = requests.get(
        f"{sogo.url}/SOGo/so/{user[0]}/Calendar/calendarslist", timeout=30,
        headers={"Cookie": f"0xHIGHFLYxSOGo={quote(session.cookie, safe='+/=')}",
                 "X-XSRF-TOKEN": session.xsrf_token, "Connection": "close"})
    assert response.status_code == 200, (response.status_code, response.text, sogo.log_tail())
    assert [c["id"] for c in response.json()["calendars"]] == ["personal"]


# --- calendar properties kept in c_settings -----------------------------------------------

COLOR_PROPS = ('<?xml version="1.0"?><D:propfind xmlns:D="DAV:" xmlns:A="http://apple.com/ns/ical/" '
               'xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><A:calendar-color/><C:schedule-calendar-transp/>'
               '</D:prop></D:propfind>')


def _patch(color: str, transp: str) -> str:
    return ('<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:A="http://apple.com/ns/ical/" '
            f'xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><A:calendar-color>{color}</A:calendar-color>'
            f'<C:schedule-calendar-transp><C:{transp}/></C:schedule-calendar-transp></D:prop></D:set>'
            '</D:propertyupdate>')


def _color_and_transp(data: bytes, path: str) -> tuple[str, str]:
    props = multistatus(data)[path]["200"]
    transp = props["{urn:ietf:params:xml:ns:caldav}schedule-calendar-transp"][0].tag.split("}")[1]
    return props["{http://apple.com/ns/ical/}calendar-color"].text, transp


def test_calendar_color_and_transparency_shared(sogo, defaults):
    """calendar-color and schedule-calendar-transp live in c_settings where SOGo keeps them."""
    import base64

    from werkzeug.test import Client

    from sogod.http.app import create_app
    user = sogo.new_user()
    sogo.web_login(user)
    path = f"/SOGo/dav/{user[0]}/Calendar/personal/"
    auth = {"Authorization": "Basic " + base64.b64encode(f"{user[0]}:{user[1]}".encode()).decode()}
    app = Client(create_app(defaults))
    r = app.open(path, method="PROPPATCH", data=_patch("#00AA00FF", "transparent"),
                 headers={**auth, "Content-Type": "application/xml"})
    assert r.status_code == 207 and b"200 OK" in r.data, r.data
    seen = sogo.request("PROPFIND", path, user, body=COLOR_PROPS, headers={"Depth": "0"})
    assert _color_and_transp(seen.content, path) == ("#00AA00FF", "transparent"), sogo.log_tail()
    # and back: SOGo writes, sogod reads
    r = sogo.request("PROPPATCH", path, user, body=_patch("#0000FFFF", "opaque"))
    assert r.status_code == 207, r.text
    r = app.open(path, method="PROPFIND", data=COLOR_PROPS, headers={**auth, "Depth": "0"})
    assert _color_and_transp(r.data, path) == ("#0000FFFF", "opaque")
