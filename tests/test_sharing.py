"""Sharing: Inverse acl-query, subscriptions, calendar proxies, public access."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from werkzeug.test import Client

from sogod.config import load_system_defaults
from sogod.http.app import create_app

from .dav_helpers import D, hrefs, multistatus
from .sogod_env import basic, embedded_config
from .test_access_matrix import CAL, DEMO, event

BOB = basic("bob", "bobpw")
CAROL = basic("carol", "carolpw")
I = "urn:inverse:params:xml:ns:inverse-dav"
USERS = [("bob", "bobpw", "Bob", "bob@example.com"), ("carol", "carolpw", "Carol", "carol@example.com")]


def make(tmp_path, conf_extra="") -> Client:
    config = embedded_config(tmp_path, extra_users=USERS, conf_extra=conf_extra)
    client = Client(create_app(load_system_defaults(str(config), {})))
    assert client.put(CAL + "pub.ics", data=event("pub"), headers={**DEMO, "Content-Type": "text/calendar"}).status_code == 201
    return client


@pytest.fixture
def client(tmp_path):
    return make(tmp_path)


def acl_query(client, inner: str, auth=DEMO, path=CAL):
    body = f'<?xml version="1.0" encoding="utf-8"?><acl-query xmlns="{I}">{inner}</acl-query>'
    return client.post(path, data=body.encode(), headers={**auth, "Content-Type": "application/xml"})


def dav(client, method, path, body=b"", auth=BOB, depth="1"):
    return client.open(path, method=method, data=body, headers={**auth, "Depth": depth,
                                                                 "Content-Type": "application/xml"})


def roles(client, user, path=CAL) -> list[str]:
    r = acl_query(client, f'<roles user="{user}"/>', path=path)
    assert r.status_code == 207
    return [child.tag for child in ET.fromstring(r.data)]


# --- acl-query ------------------------------------------------------------------

def test_acl_query_round_trip(client):
    r = acl_query(client, "<user-list/>")
    assert r.status_code == 207 and r.headers["Content-Type"] == 'application/xml; charset="utf-8"'
    assert r.data == (b'<?xml version="1.0" encoding="utf-8"?>\r\n'
                      b"<user-list><default-user><id>&lt;default&gt;</id></default-user></user-list>")
    assert acl_query(client, '<add-user user="bob"/>').status_code == 204
    assert roles(client, "bob") == ["None"]                   # no default roles: stored as "None", as SOGo
    r = acl_query(client, '<set-roles user="bob"><PublicViewer/><ObjectCreator/></set-roles>')
    assert r.status_code == 204
    assert roles(client, "bob") == ["ObjectCreator", "PublicViewer"]
    assert acl_query(client, '<set-roles users="bob,carol"><PrivateModifier/></set-roles>').status_code == 204
    assert roles(client, "carol") == ["PrivateModifier"]
    r = acl_query(client, "<user-list/>")
    assert r.data.endswith(b"<user><id>bob</id><displayName>Bob</displayName><email>bob@example.com</email></user>"
                           b"<user><id>carol</id><displayName>Carol</displayName><email>carol@example.com</email>"
                           b"</user></user-list>")
    r = acl_query(client, '<user-list params="nocn,noemail"/>')
    assert b"<user><id>bob</id></user><user><id>carol</id></user>" in r.data
    assert acl_query(client, '<remove-users users="bob,carol"/>').status_code == 204
    assert b"<user>" not in acl_query(client, "<user-list/>").data
    assert acl_query(client, '<add-users users="bob,carol"/>').status_code == 204
    assert acl_query(client, '<remove-user user="carol"/>').status_code == 204
    assert b"<id>bob</id>" in acl_query(client, "<user-list/>").data
    # The roles really apply.
    acl_query(client, '<set-roles user="bob"><PublicViewer/></set-roles>')
    assert client.get(CAL + "pub.ics", headers=BOB).status_code == 200
    acl_query(client, '<set-roles user="&lt;default&gt;"><PublicViewer/></set-roles>')
    assert client.get(CAL + "pub.ics", headers=CAROL).status_code == 200


def test_acl_query_on_one_object(client):
    obj = CAL + "pub.ics"
    assert acl_query(client, '<set-roles user="bob"><PublicModifier/></set-roles>', path=obj).status_code == 204
    assert roles(client, "bob", obj) == ["PublicModifier"]
    assert roles(client, "bob") == []                         # the folder is untouched
    rows = client.application.app.services.storage.folders.get("demo", "Calendar", "personal").acl_rows()
    assert [(r.c_uid, r.c_object, r.c_role) for r in rows] == [("bob", "/demo/Calendar/personal/pub.ics",
                                                                "PublicModifier")]


@pytest.mark.parametrize("inner", ["", "<bogus/>", '<roles/>', '<set-roles user="bob"><NotARole/></set-roles>',
                                   '<set-roles user="nobody"><PublicViewer/></set-roles>', '<add-user user="demo"/>',
                                   '<add-users users=""/>'])
def test_acl_query_malformed_is_400(client, inner):
    assert acl_query(client, inner).status_code == 400


def test_a_sharee_cannot_read_or_grant_itself_rights(client):
    acl_query(client, '<set-roles user="bob"><PublicViewer/></set-roles>')
    assert acl_query(client, "<user-list/>", auth=BOB).status_code == 403
    assert acl_query(client, '<roles user="bob"/>', auth=BOB).status_code == 403
    r = acl_query(client, '<set-roles user="bob"><PublicModifier/><ObjectCreator/><ObjectEraser/></set-roles>',
                  auth=BOB)
    assert r.status_code == 403
    assert roles(client, "bob") == ["PublicViewer"]
    assert client.delete(CAL + "pub.ics", headers=BOB).status_code == 403
    # A stranger does not even learn that the folder exists.
    assert acl_query(client, "<user-list/>", auth=CAROL).status_code == 404


def test_group_entries_apply_to_members(client, monkeypatch):
    directory = client.application.app.services.directory
    monkeypatch.setattr(directory, "groups_of", lambda uid: ["team"] if uid == "bob" else [], raising=False)
    assert acl_query(client, '<set-roles user="@team"><PublicViewer/></set-roles>').status_code == 204
    assert client.get(CAL + "pub.ics", headers=BOB).status_code == 200
    assert client.get(CAL + "pub.ics", headers=CAROL).status_code == 404
    acl_query(client, '<set-roles user="bob"/>')                  # bob's own entry ("None") wins over the group
    assert client.get(CAL + "pub.ics", headers=BOB).status_code == 404


def test_acl_rows_are_read_once_per_request(client, monkeypatch):
    from sogod.store.folders import Folder
    acl_query(client, '<set-roles user="bob"><PublicViewer/></set-roles>')
    for n in range(5):
        client.put(CAL + f"e{n}.ics", data=event(f"e{n}"), headers={**DEMO, "Content-Type": "text/calendar"})
    calls = []
    original = Folder.acl_rows
    monkeypatch.setattr(Folder, "acl_rows", lambda self, *a: calls.append(a) or original(self, *a))
    r = dav(client, "PROPFIND", CAL, b"")
    assert r.status_code == 207 and len(multistatus(r.data)) == 7 and len(calls) == 1


def test_super_user_administers_any_folder(tmp_path):
    client = make(tmp_path, "  SOGoSuperUsernames = (carol);")
    assert acl_query(client, '<set-roles user="bob"><PublicViewer/></set-roles>', auth=CAROL).status_code == 204
    assert client.get(CAL + "pub.ics", headers=BOB).status_code == 200


# --- subscriptions ----------------------------------------------------------------

SUBSCRIBE = f'<subscribe xmlns="{I}"/>'.encode()
UNSUBSCRIBE = f'<unsubscribe xmlns="{I}"/>'.encode()
BOB_HOME = "/SOGo/dav/bob/Calendar/"
SUBSCRIBED = BOB_HOME + "demo_personal/"


def settings_of(client, uid):
    return client.application.app.services.storage.profiles.get(uid)[1]


def test_subscribe_shows_the_folder_in_the_subscriber_home(client):
    assert dav(client, "POST", CAL, SUBSCRIBE).status_code == 404          # no access: nothing to subscribe
    acl_query(client, '<set-roles user="bob"><PublicModifier/><ObjectCreator/></set-roles>')
    assert dav(client, "POST", CAL, SUBSCRIBE).status_code == 204
    assert dav(client, "POST", CAL, SUBSCRIBE).status_code == 204          # idempotent
    assert settings_of(client, "bob")["Calendar"]["SubscribedFolders"] == ["demo:Calendar/personal"]
    r = dav(client, "POST", CAL, SUBSCRIBE, auth=DEMO)
    assert r.status_code == 403 and b"you own" in r.data
    body = b'<D:propfind xmlns:D="DAV:"><D:prop><D:displayname/><D:owner/></D:prop></D:propfind>'
    listing = multistatus(dav(client, "PROPFIND", BOB_HOME, body).data)
    assert listing[SUBSCRIBED]["200"][D + "displayname"].text == "Personal Calendar (Demo User <demo@example.com>)"
    assert hrefs(listing[SUBSCRIBED]["200"][D + "owner"]) == ["/SOGo/dav/demo/"]
    # Usable there with bob's rights.
    objects = multistatus(dav(client, "PROPFIND", SUBSCRIBED, b"").data)
    assert SUBSCRIBED + "pub.ics" in objects
    assert b"secret pub" in client.get(SUBSCRIBED + "pub.ics", headers=BOB).data
    r = client.put(SUBSCRIBED + "bob.ics", data=event("bob"), headers={**BOB, "Content-Type": "text/calendar"})
    assert r.status_code == 201
    assert client.get(CAL + "bob.ics", headers=DEMO).status_code == 200     # stored in demo's calendar
    assert client.delete(SUBSCRIBED + "bob.ics", headers=BOB).status_code == 403
    query = (b'<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/>'
             b'</D:prop><C:filter><C:comp-filter name="VCALENDAR"/></C:filter></C:calendar-query>')
    assert set(multistatus(dav(client, "REPORT", SUBSCRIBED, query).data)) == {SUBSCRIBED + "pub.ics",
                                                                              SUBSCRIBED + "bob.ics"}
    # Nobody else sees bob's subscription; losing access hides it; unsubscribing removes it.
    assert client.get(SUBSCRIBED + "pub.ics", headers=DEMO).status_code == 404
    acl_query(client, '<remove-user user="bob"/>')
    assert client.get(SUBSCRIBED + "pub.ics", headers=BOB).status_code == 404
    acl_query(client, '<set-roles user="bob"><PublicViewer/></set-roles>')
    assert dav(client, "POST", CAL, UNSUBSCRIBE).status_code == 204
    assert settings_of(client, "bob")["Calendar"]["SubscribedFolders"] == []
    assert SUBSCRIBED not in multistatus(dav(client, "PROPFIND", BOB_HOME, body).data)


def test_subscription_folder_format(tmp_path):
    client = make(tmp_path, '  SOGoSubscriptionFolderFormat = "%{FolderName} of %{UserName}";')
    acl_query(client, '<set-roles user="bob"><PublicViewer/></set-roles>')
    dav(client, "POST", CAL, SUBSCRIBE)
    body = b'<D:propfind xmlns:D="DAV:"><D:prop><D:displayname/></D:prop></D:propfind>'
    found = multistatus(dav(client, "PROPFIND", SUBSCRIBED, body, depth="0").data)[SUBSCRIBED]["200"]
    assert found[D + "displayname"].text.startswith("Personal Calendar of ")


# --- proxies ----------------------------------------------------------------------

def members(client, path, auth=DEMO):
    body = b'<D:propfind xmlns:D="DAV:"><D:prop><D:group-member-set/><D:resourcetype/></D:prop></D:propfind>'
    r = dav(client, "PROPFIND", path, body, auth=auth, depth="0")
    assert r.status_code == 207
    return hrefs(multistatus(r.data)[path]["200"][D + "group-member-set"])


def test_calendar_proxies_follow_the_acls(client):
    read, write = "/SOGo/dav/demo/calendar-proxy-read/", "/SOGo/dav/demo/calendar-proxy-write/"
    assert members(client, read) == [] and members(client, write) == []
    acl_query(client, '<set-roles user="bob"><PublicViewer/></set-roles>')
    acl_query(client, '<set-roles user="carol"><PublicModifier/><ObjectCreator/></set-roles>')
    assert members(client, read) == ["/SOGo/dav/bob/"]
    assert members(client, write) == ["/SOGo/dav/carol/"]
    # group-membership: the proxy groups of the calendars one has subscribed to.
    dav(client, "POST", CAL, SUBSCRIBE, auth=CAROL)
    body = b'<D:propfind xmlns:D="DAV:"><D:prop><D:group-membership/></D:prop></D:propfind>'
    r = dav(client, "PROPFIND", "/SOGo/dav/carol/", body, auth=CAROL, depth="0")
    assert hrefs(multistatus(r.data)["/SOGo/dav/carol/"]["200"][D + "group-membership"]) == [write]
    r = dav(client, "PROPFIND", "/SOGo/dav/bob/", body, depth="0")
    assert hrefs(multistatus(r.data)["/SOGo/dav/bob/"]["200"][D + "group-membership"]) == []


# --- public access ------------------------------------------------------------------

PUBLIC_CAL = "/SOGo/dav/public/demo/Calendar/personal/"


def test_public_access_off_by_default(client):
    acl_query(client, '<set-roles user="anonymous"><PublicViewer/></set-roles>')
    assert client.get(PUBLIC_CAL + "pub.ics").status_code == 404
    assert client.get(CAL + "pub.ics").status_code == 401


def test_public_access_when_enabled(tmp_path):
    client = make(tmp_path, "  SOGoEnablePublicAccess = YES;")
    assert client.get(PUBLIC_CAL + "pub.ics").status_code == 404          # not granted to anonymous
    acl_query(client, '<set-roles user="&lt;default&gt;"><PublicModifier/></set-roles>')
    assert client.get(PUBLIC_CAL + "pub.ics").status_code == 404          # <default> is for the authenticated
    acl_query(client, '<set-roles user="anonymous"><PublicViewer/></set-roles>')
    r = client.get(PUBLIC_CAL + "pub.ics")
    assert r.status_code == 200 and b"secret pub" in r.data
    r = client.open(PUBLIC_CAL, method="PROPFIND", headers={"Depth": "1"})
    assert r.status_code == 207 and PUBLIC_CAL + "pub.ics" in multistatus(r.data)
    assert client.put(PUBLIC_CAL + "x.ics", data=event("x"), headers={"Content-Type": "text/calendar"}).status_code == 401
    assert client.delete(PUBLIC_CAL + "pub.ics").status_code == 401
    assert client.get("/SOGo/dav/public/demo/").status_code == 404
    assert client.open("/SOGo/dav/public/demo/calendar-proxy-read/", method="PROPFIND").status_code == 404
    assert client.get("/SOGo/dav/public/nobody/Calendar/personal/x.ics").status_code == 404
    assert client.get(CAL + "pub.ics").status_code == 401                 # the private tree still wants a login


def test_address_book_subscription_and_public_address_book(tmp_path):
    client = make(tmp_path, "  SOGoEnablePublicAccess = YES;")
    book = "/SOGo/dav/demo/Contacts/personal/"
    card = b"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:c1\r\nFN:Card One\r\nN:One;Card;;;\r\nEND:VCARD\r\n"
    assert client.put(book + "c1.vcf", data=card, headers={**DEMO, "Content-Type": "text/vcard"}).status_code == 201
    acl_query(client, '<set-roles user="bob"><ObjectViewer/></set-roles>', path=book)
    assert dav(client, "POST", book, SUBSCRIBE).status_code == 204
    assert settings_of(client, "bob")["Contacts"]["SubscribedFolders"] == ["demo:Contacts/personal"]
    listing = multistatus(dav(client, "PROPFIND", "/SOGo/dav/bob/Contacts/", b"").data)
    assert "/SOGo/dav/bob/Contacts/demo_personal/" in listing
    assert b"Card One" in client.get("/SOGo/dav/bob/Contacts/demo_personal/c1.vcf", headers=BOB).data
    assert client.get("/SOGo/dav/public/demo/Contacts/personal/c1.vcf").status_code == 404
    acl_query(client, '<set-roles user="anonymous"><ObjectViewer/></set-roles>', path=book)
    assert b"Card One" in client.get("/SOGo/dav/public/demo/Contacts/personal/c1.vcf").data


def test_css_identifier_of_owners():
    from sogod.dav.subscriptions import css_identifier, parse_reference
    assert css_identifier("john.doe@example.com") == "john_D_doe_A_example_D_com"
    assert css_identifier("a_b") == "a_U_b" and css_identifier("1x") == "_1x"
    assert parse_reference("demo:Calendar/personal") == ("demo", "Calendar", "personal")
    assert parse_reference("demo:Mail/x") is None and parse_reference("garbage") is None


def test_delegation_through_group_member_set(client):
    write = "/SOGo/dav/demo/calendar-proxy-write/"
    patch = (b'<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:group-member-set>'
             b'<D:href>/SOGo/dav/carol/</D:href></D:group-member-set></D:prop></D:set></D:propertyupdate>')
    r = dav(client, "PROPPATCH", write, patch, auth=BOB, depth="0")
    assert r.status_code == 207 and b"403 Forbidden" in r.data                 # only demo delegates
    r = dav(client, "PROPPATCH", write, patch, auth=DEMO, depth="0")
    assert r.status_code == 207 and b"200 OK" in r.data
    assert members(client, write) == ["/SOGo/dav/carol/"]
    assert roles(client, "carol") == ["ConfidentialModifier", "ObjectCreator", "ObjectEraser", "PrivateModifier",
                                      "PublicModifier"]
    assert settings_of(client, "carol")["Calendar"]["SubscribedFolders"] == ["demo:Calendar/personal"]
    bad = patch.replace(b"/SOGo/dav/carol/", b"/SOGo/dav/nobody/")
    assert b"409 Conflict" in dav(client, "PROPPATCH", write, bad, auth=DEMO, depth="0").data
    empty = b'<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:group-member-set/></D:prop></D:set></D:propertyupdate>'
    assert b"200 OK" in dav(client, "PROPPATCH", write, empty, auth=DEMO, depth="0").data
    assert members(client, write) == [] and roles(client, "carol") == []
    assert settings_of(client, "carol")["Calendar"]["SubscribedFolders"] == []
