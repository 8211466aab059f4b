"""More of the LDAP source keys (guide §5.4): ModulesConstraints, modifiers, abOU."""

from __future__ import annotations

import pytest

from sogod.auth.ldap import WriteRefused
from sogod.auth.sources import make_source
from sogod.auth.user import MODULES, User, allowed_modules
from sogod.caldav.scheduling import find_copy
from sogod.carddav.directory import card_ldap_attributes
from sogod.carddav.vcard import parse_vcard

from .dav_helpers import multistatus
from .ldap_server import BIND_DN, BIND_PASSWORD
from .sogod_env import basic, embedded_config
from .test_auth_ldap import USERS, users_source
from .test_auth_sql import source as sql_source
from .test_auth_sql import users_url  # noqa: F401  (fixture)

CALENDAR_FOR_WONDERLAND = {"Calendar": {"ou": "Wonderland"}, "Mail": {"accountStatus": "active"},
                           "ActiveSync": {"employeeNumber": ["1001", "1002"]}}


# --------------------------------------------------------------------------- ModulesConstraints

def test_allowed_modules_is_a_pure_match():
    values = {"ou": ["Sales", "Wonderland"], "status": ["Active"]}.get
    assert allowed_modules({}, lambda n: []) == MODULES
    assert allowed_modules({"Calendar": {"ou": "wonderland"}}, lambda n: values(n, [])) == MODULES
    assert allowed_modules({"Calendar": {"ou": "Sales", "status": "gone"}},
                           lambda n: values(n, [])) == MODULES - {"Calendar"}
    assert allowed_modules({"Mail": {"missing": "x"}, "ActiveSync": {"status": ["x", "active"]}},
                           lambda n: values(n, [])) == MODULES - {"Mail"}


def test_modules_survive_the_json_of_the_caches():
    user = User(uid="a", source_id="s", modules=frozenset({"Mail"}))
    assert User.from_json(user.to_json()).modules == frozenset({"Mail"})
    old = user.to_json()
    del old["modules"]
    assert User.from_json(old).modules == MODULES        # an entry cached before the field


def test_ldap_users_carry_their_modules(ldap_server):
    source = users_source(ldap_server, ModulesConstraints=CALENDAR_FOR_WONDERLAND)
    alice = source.authenticate("alice", "alice-pw")
    assert alice.modules == MODULES and alice.can_access("Calendar")
    bob = source.lookup("bob")
    assert bob.modules == frozenset({"Mail"}) and not bob.can_access("Calendar")
    assert users_source(ldap_server).lookup("bob").modules == MODULES


def test_sql_users_carry_their_modules(users_url):  # noqa: F811
    src = sql_source(users_url, ModulesConstraints={"Calendar": {"domain": "example.com"},
                                                    "Mail": {"imaphost": "imap1.example.com"}})
    assert src.lookup("user1").modules == MODULES
    assert src.lookup("bob").modules == frozenset({"ActiveSync"})
    assert src.lookup("user2").modules == frozenset({"Calendar", "ActiveSync"})


def _client(tmp_path, server, **extra):
    from werkzeug.test import Client

    from sogod.config import load_system_defaults
    from sogod.http.app import create_app
    (tmp_path / "conf").mkdir(exist_ok=True)
    config = embedded_config(tmp_path / "conf")
    source = {"type": "ldap", "id": "people", "hostname": server.url, "baseDN": USERS,
              "bindDN": BIND_DN, "bindPassword": BIND_PASSWORD, "CNFieldName": "cn",
              "IDFieldName": "uid", "UIDFieldName": "uid", "canAuthenticate": "YES",
              "isAddressBook": "YES", "displayName": "Company", **extra}
    return Client(create_app(load_system_defaults(str(config), {"SOGoUserSources": [source]})))


def _propfind(client, path, auth, depth="1"):
    body = b'<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/></D:prop></D:propfind>'
    return client.open(path, method="PROPFIND", data=body,
                       headers={"Depth": depth, "Content-Type": "application/xml", **basic(*auth)})


INVITE = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:mc-1\r\n"
          "DTSTAMP:20260101T000000Z\r\nDTSTART:20260301T100000Z\r\nDTEND:20260301T110000Z\r\n"
          "SUMMARY:Tea party\r\nORGANIZER:mailto:alice@example.com\r\n"
          "ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:bob@example.com\r\n"
          "END:VEVENT\r\nEND:VCALENDAR\r\n").encode()


def test_calendar_constraint_through_dav(tmp_path, ldap_server):
    client = _client(tmp_path, ldap_server, ModulesConstraints={"Calendar": {"ou": "Wonderland"}})
    alice, bob = ("alice", "alice-pw"), ("bob", "bob-pw")
    assert _propfind(client, "/SOGo/dav/alice/Calendar/", alice).status_code == 207
    assert client.get("/SOGo/dav/alice/freebusy.ifb", headers=basic(*alice)).status_code == 200
    # bob's entry does not match: no Calendar home, no free/busy; Contacts still there
    assert _propfind(client, "/SOGo/dav/bob/Calendar/", bob).status_code == 404
    assert client.get("/SOGo/dav/bob/Calendar/personal/", headers=basic(*bob)).status_code == 404
    assert client.get("/SOGo/dav/bob/freebusy.ifb", headers=basic(*bob)).status_code == 404
    assert client.get("/SOGo/dav/bob/freebusy.ifb", headers=basic(*alice)).status_code == 404
    listing = multistatus(_propfind(client, "/SOGo/dav/bob/", bob).data)
    assert "/SOGo/dav/bob/Contacts/" in listing and "/SOGo/dav/bob/Calendar/" not in listing
    assert _propfind(client, "/SOGo/dav/bob/Contacts/", bob).status_code == 207
    # alice invites bob: the invitation is not delivered to him
    r = client.put("/SOGo/dav/alice/Calendar/personal/mc.ics", data=INVITE,
                   headers={**basic(*alice), "Content-Type": "text/calendar"})
    assert r.status_code == 201
    folder = client.application.app.services.storage.folders.get("bob", "Calendar", "personal")
    assert folder is None or find_copy(folder, "mc-1", None)[1] is None


# --------------------------------------------------------------------------- modifiers

CARD = ("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{fn}\r\nN:Hatter;Mad;;;\r\n"
        "EMAIL;TYPE=work:hatter@example.com\r\nTEL;TYPE=work:+1 555 0300\r\nTEL;TYPE=cell:+1 555 0301\r\n"
        "ORG:Tea Party;Hats\r\nTITLE:Hatter\r\nADR;TYPE=work:;;1 March Lane;Wonderland;;12345;\r\n"
        "END:VCARD\r\n")


def test_card_ldap_attributes_is_pure():
    attrs = card_ldap_attributes(parse_vcard(CARD.format(uid="h", fn="Mad Hatter")))
    assert attrs == {"cn": ["Mad Hatter"], "sn": ["Hatter"], "givenName": ["Mad"],
                     "mail": ["hatter@example.com"], "telephoneNumber": ["+1 555 0300"],
                     "mobile": ["+1 555 0301"], "o": ["Tea Party"], "ou": ["Hats"], "title": ["Hatter"],
                     "street": ["1 March Lane"], "l": ["Wonderland"], "postalCode": ["12345"]}


def test_modifiers_write_the_directory_book(tmp_path, ldap_server):
    client = _client(tmp_path, ldap_server, modifiers=["alice"], listRequiresDot="NO")
    alice, bob = basic("alice", "alice-pw"), basic("bob", "bob-pw")
    book = "/SOGo/dav/alice/Contacts/people/"
    vcard = {"Content-Type": "text/vcard"}
    source = users_source(ldap_server)
    try:
        # bob is no modifier: read-only
        r = client.put(book + "hatter", data=CARD.format(uid="hatter", fn="Mad Hatter"), headers={**bob, **vcard})
        assert r.status_code == 403
        assert client.delete("/SOGo/dav/bob/Contacts/people/carol", headers=bob).status_code == 403
        assert source.entry("hatter") is None
        # alice creates, reads back, modifies, deletes
        r = client.put(book + "hatter", data=CARD.format(uid="hatter", fn="Mad Hatter"), headers={**alice, **vcard})
        assert r.status_code == 201, r.data
        entry = source.entry("hatter")
        assert entry["cn"] == "Mad Hatter" and entry["mail"] == "hatter@example.com"
        assert entry["mobile"] == "+1 555 0301" and entry["postalcode"] == "12345" and entry["ou"] == "Hats"
        got = client.get(book + "hatter", headers=bob)
        assert got.status_code == 200 and b"FN:Mad Hatter" in got.data
        changed = CARD.format(uid="hatter", fn="The Hatter").replace("TITLE:Hatter\r\n", "")
        r = client.put(book + "hatter", data=changed, headers={**alice, **vcard, "If-Match": got.headers["ETag"]})
        assert r.status_code == 204, r.data
        entry = source.entry("hatter")
        assert entry["cn"] == "The Hatter" and "title" not in entry
        r = client.put(book + "hatter", data=changed, headers={**alice, **vcard, "If-Match": got.headers["ETag"]})
        assert r.status_code == 412                         # the entry changed meanwhile
        assert client.put(book + "bad", data=b"not a card", headers={**alice, **vcard}).status_code == 400
        assert client.delete(book + "hatter", headers=bob).status_code == 403
        assert client.delete(book + "hatter", headers=alice).status_code == 204
        assert source.entry("hatter") is None
        assert client.get(book + "hatter", headers=alice).status_code == 404
        assert client.delete(book + "hatter", headers=alice).status_code == 404
    finally:
        if source.entry("hatter") is not None:
            source.delete_entry("hatter")


def test_writes_the_directory_refuses_are_403(ldap_server):
    """The bind account has no write access outside ou=users: the directory refuses."""
    groups = make_source({"type": "ldap", "id": "groups", "hostname": ldap_server.url,
                          "baseDN": "ou=groups,dc=example,dc=com", "bindDN": BIND_DN,
                          "bindPassword": BIND_PASSWORD, "IDFieldName": "cn", "modifiers": "alice"}, None)
    assert groups.may_modify("Alice") and not groups.may_modify("bob")
    with pytest.raises(WriteRefused):
        groups.write_entry("newgroup", {"cn": ["x"], "sn": ["x"]}, ("cn", "sn"))


# --------------------------------------------------------------------------- abOU

def test_per_user_books_under_ab_ou(tmp_path, ldap_server):
    import ldap
    client = _client(tmp_path, ldap_server, abOU="abooks")
    alice, bob = basic("alice", "alice-pw"), basic("bob", "bob-pw")
    container = f"ou=abooks,uid=alice,{USERS}"
    conn = ldap.initialize(ldap_server.url)
    conn.simple_bind_s(BIND_DN, BIND_PASSWORD)
    conn.add_s(container, [("objectClass", [b"organizationalUnit"]), ("ou", [b"abooks"])])
    conn.add_s(f"ou=friends,{container}", [("objectClass", [b"organizationalUnit"]), ("ou", [b"friends"]),
                                           ("description", [b"My friends"])])
    book = "/SOGo/dav/alice/Contacts/friends/"
    try:
        listing = multistatus(_propfind(client, "/SOGo/dav/alice/Contacts/", ("alice", "alice-pw")).data)
        assert book in listing
        r = client.put(book + "hatter", data=CARD.format(uid="hatter", fn="Mad Hatter"),
                       headers={**alice, "Content-Type": "text/vcard"})
        assert r.status_code == 201, r.data
        dn, attrs = conn.search_s(f"ou=friends,{container}", ldap.SCOPE_ONELEVEL, "(uid=hatter)")[0]
        assert attrs["cn"] == [b"Mad Hatter"]
        got = client.get(book + "hatter", headers=alice)
        assert got.status_code == 200 and b"FN:Mad Hatter" in got.data
        assert book + "hatter" in multistatus(_propfind(client, book, ("alice", "alice-pw")).data)
        # the book is alice's alone
        assert client.get(book + "hatter", headers=bob).status_code == 404
        assert "/SOGo/dav/bob/Contacts/friends/" not in multistatus(
            _propfind(client, "/SOGo/dav/bob/Contacts/", ("bob", "bob-pw")).data)
        assert client.delete(book + "hatter", headers=alice).status_code == 204
        assert conn.search_s(f"ou=friends,{container}", ldap.SCOPE_ONELEVEL, "(uid=hatter)") == []
    finally:
        for dn, _ in sorted(conn.search_s(container, ldap.SCOPE_SUBTREE, "(objectClass=*)", ["dn"]),
                            key=lambda item: -len(item[0])):
            conn.delete_s(dn)
        conn.unbind_s()
