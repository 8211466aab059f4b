"""The access matrix: what a second user may do on demo's calendar, role by role.

demo owns ``personal`` with one event per CLASS (pub.ics, conf.ics, priv.ics).
For each role set below, bob (or the super user root) runs every DAV request
a client sends and must get exactly what the roles grant.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from werkzeug.test import Client

from sogod.config import load_system_defaults
from sogod.http.app import create_app

from .dav_helpers import D, multistatus
from .sogod_env import basic, embedded_config

C = "{urn:ietf:params:xml:ns:caldav}"
DEMO = basic("demo", "demo")
BOB = basic("bob", "bobpw")
ROOT = basic("root", "rootpw")
CAL = "/SOGo/dav/demo/Calendar/personal/"
EVENTS = {"pub": "PUBLIC", "conf": "CONFIDENTIAL", "priv": "PRIVATE"}

EVENT = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\n"
         "DTSTAMP:20260101T000000Z\r\nDTSTART:20260110T100000Z\r\nDTEND:20260110T110000Z\r\n"
         "SUMMARY:{summary}\r\nCLASS:{klass}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


def event(uid, klass="PUBLIC", summary=None) -> bytes:
    return EVENT.format(uid=uid, klass=klass, summary=summary or f"secret {uid}").encode()


def make_client(tmp_path) -> Client:
    config = embedded_config(tmp_path, extra_users=[("bob", "bobpw", "Bob", "bob@example.com"),
                                                    ("root", "rootpw", "Root", "root@example.com")],
                             conf_extra="  SOGoSuperUsernames = (root);")
    return Client(create_app(load_system_defaults(str(config), {})))


def personal(client, owner="demo"):
    return client.application.app.services.storage.folders.get(owner, "Calendar", "personal")


@pytest.fixture
def client(tmp_path):
    client = make_client(tmp_path)
    for name, klass in EVENTS.items():
        r = client.put(CAL + f"{name}.ics", data=event(name, klass), headers={**DEMO, "Content-Type": "text/calendar"})
        assert r.status_code == 201
    return client


# name -> (ACL rows {uid: roles}, who asks, expected)
# expected: see = {event: "full" | "dandt"}, modify = events bob may change, create/delete/admin flags.
ALL = {"pub": "full", "conf": "full", "priv": "full"}
CASES = {
    "no ACL": ({}, BOB, dict(see={}, modify=(), create=False, delete=False, admin=False)),
    "<default> PublicViewer": ({"<default>": ["PublicViewer"]}, BOB,
                               dict(see={"pub": "full"}, modify=(), create=False, delete=False, admin=False)),
    "explicit None beats <default>": ({"<default>": ["PublicViewer"], "bob": []}, BOB,
                                      dict(see={}, modify=(), create=False, delete=False, admin=False)),
    "PublicViewer": ({"bob": ["PublicViewer"]}, BOB,
                     dict(see={"pub": "full"}, modify=(), create=False, delete=False, admin=False)),
    "PublicDAndTViewer": ({"bob": ["PublicDAndTViewer"]}, BOB,
                          dict(see={"pub": "dandt"}, modify=(), create=False, delete=False, admin=False)),
    "PublicResponder": ({"bob": ["PublicResponder"]}, BOB,
                        dict(see={"pub": "full"}, modify=(), create=False, delete=False, admin=False)),
    "PublicModifier": ({"bob": ["PublicModifier"]}, BOB,
                       dict(see={"pub": "full"}, modify=("pub",), create=False, delete=False, admin=False)),
    "ConfidentialViewer": ({"bob": ["ConfidentialViewer"]}, BOB,
                           dict(see={"conf": "full"}, modify=(), create=False, delete=False, admin=False)),
    "PrivateModifier": ({"bob": ["PrivateModifier"]}, BOB,
                        dict(see={"priv": "full"}, modify=("priv",), create=False, delete=False, admin=False)),
    "viewers + creator + eraser": (
        {"bob": ["PublicViewer", "ConfidentialDAndTViewer", "PrivateViewer", "ObjectCreator", "ObjectEraser"]}, BOB,
        dict(see={"pub": "full", "conf": "dandt", "priv": "full"}, modify=(), create=True, delete=True, admin=False)),
    "everything but admin": (
        {"bob": ["PublicModifier", "ConfidentialModifier", "PrivateModifier", "ObjectCreator", "ObjectEraser"]}, BOB,
        dict(see=ALL, modify=("pub", "conf", "priv"), create=True, delete=True, admin=False)),
    "ObjectCreator alone (folder not visible)": ({"bob": ["ObjectCreator"]}, BOB,
                                                 dict(see={}, modify=(), create=False, delete=False, admin=False)),
    "super user": ({}, ROOT, dict(see=ALL, modify=("pub", "conf", "priv"), create=True, delete=True, admin=True)),
}

MULTIGET = ('<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/>'
            '<C:calendar-data/></D:prop>' + "".join(f"<D:href>{CAL}{n}.ics</D:href>" for n in EVENTS)
            + "</C:calendar-multiget>").encode()
QUERY = (b'<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop>'
         b'<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"/></C:comp-filter></C:filter>'
         b'</C:calendar-query>')
SYNC = (b'<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level>'
        b'<D:prop><D:getetag/></D:prop></D:sync-collection>')
RENAME = (b'<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:displayname>renamed</D:displayname>'
          b'</D:prop></D:set></D:propertyupdate>')
USER_LIST = b'<acl-query xmlns="urn:inverse:params:xml:ns:inverse-dav"><user-list/></acl-query>'


def names_in(r) -> set[str] | int:
    """Object names with a 200 propstat in a multistatus, or the status code when it is not one."""
    if r.status_code != 207:
        return r.status_code
    return {href.rsplit("/", 1)[1][:-4] for href, props in multistatus(r.data).items()
            if href != CAL and "200" in props}


def read_level(r, name) -> str | int:
    if r.status_code != 200:
        return r.status_code
    return "full" if f"secret {name}".encode() in r.data else "dandt"


def run_everything(client, auth) -> dict:
    """Every request of the matrix, reads first, then writes; the outcome of each."""
    dav = lambda method, path, body=b"", depth="1": client.open(  # noqa: E731
        path, method=method, data=body, headers={**auth, "Depth": depth, "Content-Type": "application/xml"})
    got = {
        "OPTIONS": client.options(CAL, headers=auth).status_code,
        "PROPFIND 0": dav("PROPFIND", CAL, depth="0").status_code,
        "PROPFIND 1": names_in(dav("PROPFIND", CAL)),
        "multiget": names_in(dav("REPORT", CAL, MULTIGET)),
        "calendar-query": names_in(dav("REPORT", CAL, QUERY)),
        "sync-collection": names_in(dav("REPORT", CAL, SYNC)),
        "acl-query": dav("POST", CAL, USER_LIST).status_code,
    }
    for name in EVENTS:
        got[f"GET {name}"] = read_level(client.get(CAL + f"{name}.ics", headers=auth), name)
    for name, klass in EVENTS.items():
        got[f"PUT {name}"] = client.put(CAL + f"{name}.ics", data=event(name, klass, "changed"),
                                        headers={**auth, "Content-Type": "text/calendar"}).status_code
    got["PUT new"] = client.put(CAL + "new.ics", data=event("new"),
                                headers={**auth, "Content-Type": "text/calendar"}).status_code
    r = dav("PROPPATCH", CAL, RENAME, depth="0")
    got["PROPPATCH"] = r.status_code if r.status_code != 207 else ("200" if b"200 OK" in r.data else "403")
    got["MKCALENDAR"] = dav("MKCALENDAR", "/SOGo/dav/demo/Calendar/other/").status_code
    for name in EVENTS:
        got[f"DELETE {name}"] = client.delete(CAL + f"{name}.ics", headers=auth).status_code
    return got


def expected_outcome(see: dict, modify, create: bool, delete: bool, admin: bool) -> dict:
    visible = bool(see)
    hidden = 404                      # SOGo gives no hint that a folder or object exists
    listed = set(see) if visible else hidden
    want = {
        "OPTIONS": 200 if visible else hidden,
        "PROPFIND 0": 207 if visible else hidden,
        "PROPFIND 1": listed, "multiget": listed, "calendar-query": listed, "sync-collection": listed,
        "acl-query": hidden if not visible else 207 if admin else 403,
    }
    for name in EVENTS:
        want[f"GET {name}"] = see.get(name, hidden)
        want[f"PUT {name}"] = hidden if name not in see else 204 if name in modify else 403
        want[f"DELETE {name}"] = hidden if name not in see else 204 if delete else 403
    want["PUT new"] = hidden if not visible else 201 if create else 403
    want["PROPPATCH"] = hidden if not visible else "200" if admin else "403"
    want["MKCALENDAR"] = 201 if admin else 403    # the owner and super users create calendars
    return want


@pytest.mark.parametrize("case", list(CASES))
def test_access_matrix(client, case):
    rows, auth, expected = CASES[case]
    folder = personal(client)
    for uid, roles in rows.items():
        folder.set_roles(uid, None, roles)
    assert run_everything(client, auth) == expected_outcome(**expected)


def test_owner_does_everything(client):
    got = run_everything(client, DEMO)
    assert got["PROPFIND 1"] == {"pub", "conf", "priv"} and got["acl-query"] == 207
    assert got["MKCALENDAR"] == 201 and got["PUT new"] == 201 and got["DELETE priv"] == 204


def test_domain_default_roles_apply_without_any_row(tmp_path):
    config = embedded_config(tmp_path, extra_users=[("bob", "bobpw", "Bob", "bob@example.com")],
                             conf_extra="  SOGoCalendarDefaultRoles = (PublicViewer, ObjectCreator);")
    client = Client(create_app(load_system_defaults(str(config), {})))
    client.put(CAL + "pub.ics", data=event("pub"), headers={**DEMO, "Content-Type": "text/calendar"})
    assert b"secret pub" in client.get(CAL + "pub.ics", headers=BOB).data
    assert client.put(CAL + "b.ics", data=event("b"), headers={**BOB, "Content-Type": "text/calendar"}).status_code == 201


def test_object_acl_overrides_the_folder(client):
    folder = personal(client)
    folder.set_roles("bob", None, ["PublicViewer"])
    client.put(CAL + "pub2.ics", data=event("pub2"), headers={**DEMO, "Content-Type": "text/calendar"})
    folder.set_roles("bob", f"{folder.acl_object}/pub.ics", ["PublicModifier"])
    folder.set_roles("bob", f"{folder.acl_object}/pub2.ics", [])          # "None" on this one
    put = lambda n: client.put(CAL + n, data=event(n[:-4], summary="x"),  # noqa: E731
                               headers={**BOB, "Content-Type": "text/calendar"}).status_code
    assert put("pub.ics") == 204
    assert client.get(CAL + "pub2.ics", headers=BOB).status_code == 404
    assert put("pub2.ics") == 403


def test_current_user_privilege_set_follows_the_roles(client):
    body = b'<D:propfind xmlns:D="DAV:"><D:prop><D:current-user-privilege-set/></D:prop></D:propfind>'

    def privileges(auth):
        r = client.open(CAL, method="PROPFIND", data=body, headers={**auth, "Depth": "0"})
        prop = multistatus(r.data)[CAL]["200"][D + "current-user-privilege-set"]
        return [child.tag for p in prop for child in p]
    owner = privileges(DEMO)
    assert owner[:3] == [D + "read", D + "read-current-user-privilege-set", C + "read-free-busy"]
    assert owner[-2:] == ["{urn:inverse:params:xml:ns:inverse-dav}admin", D + "all"] and len(owner) == 38
    assert privileges(ROOT) == owner
    personal(client).set_roles("bob", None, ["PublicViewer", "ObjectCreator"])
    bob = privileges(BOB)
    assert D + "read" in bob and D + "bind" in bob and C + "schedule-post" in bob
    assert not {D + "unbind", D + "write", D + "write-acl", D + "read-acl", D + "all"} & set(bob)
    assert "{urn:inverse:params:xml:ns:inverse-dav}viewwhole-public-records" in bob


def test_acl_properties_only_for_the_owner(client):
    folder = personal(client)
    folder.set_roles("bob", None, ["PublicViewer"])
    folder.set_roles("<default>", None, ["PublicDAndTViewer"])
    body = (b'<D:propfind xmlns:D="DAV:"><D:prop><D:acl/><D:acl-restrictions/><D:supported-privilege-set/>'
            b'</D:prop></D:propfind>')
    r = client.open(CAL, method="PROPFIND", data=body, headers={**DEMO, "Depth": "0"})
    found = multistatus(r.data)[CAL]["200"]
    aces = found[D + "acl"].findall(D + "ace")
    principals = [ET.tostring(a.find(D + "principal")) for a in aces]
    assert any(b"self" in p for p in principals) and any(b"authenticated" in p for p in principals)
    assert any(b"/SOGo/dav/bob/" in p for p in principals)
    assert [c.tag for c in found[D + "acl-restrictions"]] == [D + "grant-only", D + "no-invert"]
    tree = found[D + "supported-privilege-set"]
    assert tree.find(f"{D}supported-privilege/{D}privilege/{D}all") is not None
    r = client.open(CAL, method="PROPFIND", data=body, headers={**BOB, "Depth": "0"})
    result = multistatus(r.data)[CAL]
    assert D + "acl" in result["404"] and D + "acl-restrictions" in result["200"]


# --- address books: roles per book ------------------------------------------------

BOOK = "/SOGo/dav/demo/Contacts/personal/"
CARD = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{fn}\r\nN:{fn};;;;\r\nEND:VCARD\r\n"

BOOK_CASES = {
    "no ACL": ([], dict(read=False, modify=False, create=False, delete=False)),
    "ObjectViewer": (["ObjectViewer"], dict(read=True, modify=False, create=False, delete=False)),
    "ObjectEditor": (["ObjectEditor"], dict(read=True, modify=True, create=False, delete=False)),
    "ObjectViewer + ObjectCreator": (["ObjectViewer", "ObjectCreator"], dict(read=True, modify=False, create=True,
                                                                              delete=False)),
    "ObjectViewer + ObjectEraser": (["ObjectViewer", "ObjectEraser"], dict(read=True, modify=False, create=False,
                                                                            delete=True)),
}


@pytest.mark.parametrize("case", list(BOOK_CASES))
def test_address_book_matrix(tmp_path, case):
    roles, grants = BOOK_CASES[case]
    client = make_client(tmp_path)
    vcard = {"Content-Type": "text/vcard"}
    assert client.put(BOOK + "c1.vcf", data=CARD.format(uid="c1", fn="Card One"), headers={**DEMO, **vcard}).status_code == 201
    folder = client.application.app.services.storage.folders.get("demo", "Contacts", "personal")
    if roles:
        folder.set_roles("bob", None, roles)
    hidden = 404
    r = client.open(BOOK, method="PROPFIND", headers={**BOB, "Depth": "1"})
    got = {
        "PROPFIND 1": names_in_book(r),
        "GET": client.get(BOOK + "c1.vcf", headers=BOB).status_code,
        "acl-query": client.post(BOOK, data=USER_LIST, headers={**BOB, "Content-Type": "application/xml"}).status_code,
        "PUT c1": client.put(BOOK + "c1.vcf", data=CARD.format(uid="c1", fn="Changed"),
                             headers={**BOB, **vcard}).status_code,
        "PUT new": client.put(BOOK + "c2.vcf", data=CARD.format(uid="c2", fn="New"), headers={**BOB, **vcard}).status_code,
        "DELETE c1": client.delete(BOOK + "c1.vcf", headers=BOB).status_code,
    }
    read = grants["read"]
    assert got == {
        "PROPFIND 1": {"c1.vcf"} if read else hidden,
        "GET": 200 if read else hidden,
        "acl-query": 403 if read else hidden,
        "PUT c1": hidden if not read else 204 if grants["modify"] else 403,
        "PUT new": hidden if not read else 201 if grants["create"] else 403,
        "DELETE c1": hidden if not read else 204 if grants["delete"] else 403,
    }


def names_in_book(r):
    if r.status_code != 207:
        return r.status_code
    return {href.rsplit("/", 1)[1] for href in multistatus(r.data) if href != BOOK}
