"""``type = ldap`` user sources against a real slapd (tests/ldap_server.py)."""

from __future__ import annotations

import socket
import threading
import time

import ldap
import pytest

from sogod.auth import passwords
from sogod.auth.ldap import LDAPSource, groups_of, members, parse_hostnames
from sogod.auth.ldap_filter import FilterSyntaxError, qualifier_to_ldap
from sogod.auth.policy import PolicyError, PolicyRefused
from sogod.auth.sources import SourceError, make_source
from sogod.carddav.directory import entry_vcard

from .dav_helpers import D, hrefs, multistatus
from .ldap_server import BIND_DN, BIND_PASSWORD
from .sogod_env import basic, embedded_config

USERS = "ou=users,dc=example,dc=com"
GROUPS = "ou=groups,dc=example,dc=com"


def users_source(server, **extra) -> LDAPSource:
    entry = {"type": "ldap", "id": "users", "hostname": server.url, "baseDN": USERS,
             "bindDN": BIND_DN, "bindPassword": BIND_PASSWORD, "CNFieldName": "cn",
             "IDFieldName": "uid", "UIDFieldName": "uid", "canAuthenticate": "YES",
             "isAddressBook": "YES", "displayName": "Shared", **extra}
    return make_source(entry, None)


def groups_source(server, **extra) -> LDAPSource:
    return make_source({"type": "ldap", "id": "groups", "hostname": server.url, "baseDN": GROUPS,
                        "bindDN": BIND_DN, "bindPassword": BIND_PASSWORD, "IDFieldName": "cn",
                        "UIDFieldName": "cn", "canAuthenticate": "YES", **extra}, None)


# --------------------------------------------------------------------------- pure: the filter syntax

@pytest.mark.parametrize("qualifier, expected", [
    ("objectClass='mailUser'", "(objectClass=mailUser)"),
    ("(objectClass='mailUser' OR objectClass='mailGroup') AND accountStatus='active' AND uid <> 'alice'",
     "(&(|(objectClass=mailUser)(objectClass=mailGroup))(accountStatus=active)(!(uid=alice)))"),
    ("(o='Inverse' AND mail='*' AND status <> 'inactive')",
     "(&(o=Inverse)(mail=*)(!(status=inactive)))"),
    ("a = b or c = \"d e\" and not f='g'", "(|(a=b)(&(c=d e)(!(f=g))))"),
    ("cn = 'a(b)*'", "(cn=a\\28b\\29*)"),
    ("(&(objectClass=person)(mail=*))", "(&(objectClass=person)(mail=*))"),
    ("", None), (None, None),
])
def test_qualifier_to_ldap(qualifier, expected):
    assert qualifier_to_ldap(qualifier) == expected


@pytest.mark.parametrize("bad", ["uid =", "uid = 'a' AND", "(uid = 'a'", "uid 'a'", "x)(y=z"])
def test_bad_qualifiers_are_refused(bad):
    with pytest.raises(FilterSyntaxError):
        qualifier_to_ldap(bad)


def test_hostnames():
    assert parse_hostnames("ldap://a:3389 ldaps://b ldap://c/????!StartTLS") == [
        ("ldap://a:3389", False), ("ldaps://b", False), ("ldap://c", True)]
    assert parse_hostnames("host1 host2", port=1389) == [("ldap://host1:1389", False), ("ldap://host2:1389", False)]
    assert parse_hostnames("h", encryption="SSL") == [("ldaps://h:636", False)]
    assert parse_hostnames("h", encryption="STARTTLS") == [("ldap://h:389", True)]


def test_bad_configuration_is_refused():
    with pytest.raises(SourceError):
        make_source({"type": "ldap", "id": "x", "baseDN": "dc=x"}, None)
    with pytest.raises(SourceError):
        make_source({"type": "ldap", "id": "x", "hostname": "ldap://h", "scope": "DEEP"}, None)
    with pytest.raises(SourceError):
        make_source({"type": "ldap", "id": "x", "hostname": "ldap://h", "filter": "uid ="}, None)


# --------------------------------------------------------------------------- binds

def test_direct_bind(ldap_server):
    source = users_source(ldap_server)
    user = source.authenticate("alice", "alice-pw")
    assert user.uid == "alice" and user.cn == "Alice Liddell" and user.source_id == "users"
    assert user.emails == ("alice@example.com", "alice.liddell@example.com")
    assert source.authenticate("alice", "wrong") is None
    assert source.authenticate("alice", "") is None          # an empty password is an anonymous bind
    assert source.authenticate("nobody", "x") is None        # a DN that does not exist
    # after a failed user bind the connection works again as the bind account
    assert source.lookup("bob").cn == "Bob Builder"


def test_direct_bind_does_not_reach_subtrees(ldap_server):
    # The DN is IDFieldName=login,baseDN: deep (in ou=sub) cannot bind directly.
    assert users_source(ldap_server).authenticate("deep", "deep-pw") is None


def test_indirect_bind_over_several_fields(ldap_server):
    source = users_source(ldap_server, bindFields=["uid", "sAMAccountName"], IDFieldName="cn")
    assert source.authenticate("aliceL", "alice-pw").uid == "alice"
    assert source.authenticate("alice", "alice-pw").uid == "alice"
    assert source.authenticate("deep", "deep-pw").uid == "deep"      # found by the SUB search
    assert source.authenticate("aliceL", "bob-pw") is None
    assert source.lookup_login("aliceL").uid == "alice"


def test_anonymous_source_without_bind_dn_sees_nothing(ldap_server):
    source = make_source({"type": "ldap", "id": "anon", "hostname": ldap_server.url, "baseDN": USERS,
                          "canAuthenticate": "YES"}, None)
    assert source.lookup("alice") is None
    assert source.authenticate("alice", "alice-pw").uid == "alice"   # bound as alice, read as alice


@pytest.mark.parametrize("bind_dn, password", [(BIND_DN, "nope"), ("cn=ghost,ou=services,dc=example,dc=com", "x"),
                                                ("not a dn", "x")])
def test_bad_bind_account_is_a_source_error(ldap_server, bind_dn, password):
    source = users_source(ldap_server, bindDN=bind_dn, bindPassword=password)
    with pytest.raises(SourceError):
        source.lookup("alice")


@pytest.mark.parametrize("password", ["alice-pw\x00", "alice-pw\x00x", "\x00", "é" * 1000])
def test_odd_passwords_are_refused(ldap_server, password):
    assert users_source(ldap_server).authenticate("alice", password) is None
    assert users_source(ldap_server, bindFields=["uid"]).authenticate("alice", password) is None


@pytest.mark.parametrize("login", ["*", ")(", "*)(uid=*", "\x00", "alice\x00", "al*", "uid=alice",
                                   "alice)(|(uid=*)", "\\2a", "(", ",", "alice,ou=users"])
def test_injection_attempts_are_refused(ldap_server, login):
    direct = users_source(ldap_server)
    indirect = users_source(ldap_server, bindFields=["uid"])
    group_source = groups_source(ldap_server)
    for source in (direct, indirect):
        assert source.authenticate(login, "alice-pw") is None
        assert source.lookup(login) is None
        assert source.lookup_login(login) is None
    # SOGo 5.8: '*' with a group's password logged in as that group.
    assert group_source.authenticate(login, "staff-pw") is None
    assert group_source.authenticate("staff", "staff-pw").uid == "staff"


def test_search_text_is_escaped(ldap_server):
    source = users_source(ldap_server)
    assert source.search_entries("*") == []
    assert source.search_entries(")(uid=*") == []
    assert [e["c_name"] for e in source.search_entries("lidd")] == ["alice"]


# --------------------------------------------------------------------------- filter, scope

def test_filter_applies_to_logins_lookups_and_searches(ldap_server):
    source = users_source(ldap_server, filter="accountStatus = 'active' AND uid <> 'bob'")
    assert source.authenticate("carol", "carol-pw") is None
    assert source.authenticate("bob", "bob-pw") is None
    assert source.authenticate("alice", "alice-pw").uid == "alice"
    assert source.lookup("carol") is None
    assert source.lookup_email("carol@example.com") is None
    assert source.entry("carol") is None
    assert {e["c_name"] for e in source.search_entries(None)} == {"alice", "deep"}
    indirect = users_source(ldap_server, filter="accountStatus='active'", bindFields=["uid"])
    assert indirect.authenticate("carol", "carol-pw") is None


@pytest.mark.parametrize("scope, expected", [
    ("SUB", {"alice", "bob", "carol", "deep"}), ("ONE", {"alice", "bob", "carol"}), ("BASE", set()),
])
def test_scopes(ldap_server, scope, expected):
    source = users_source(ldap_server, scope=scope)
    assert {e["c_name"] for e in source.search_entries(None) if "uid" in e} == expected


def test_query_limit(ldap_server):
    source = users_source(ldap_server, SOGoLDAPQueryLimit=2)
    assert len(source.search_entries(None)) == 2


# --------------------------------------------------------------------------- users, resources, mapping

def test_user_fields(ldap_server):
    source = users_source(ldap_server, IMAPLoginFieldName="employeeNumber", MailFieldNames=["mail"],
                          IMAPHostFieldName="ou", SieveHostFieldName="o")
    user = source.lookup("alice")
    assert user.imap_login == "1001" and user.imap_host == "Wonderland" and user.sieve_host == "Example"
    assert source.lookup_email("ALICE.LIDDELL@example.com").uid == "alice"
    assert "userPassword" not in user.attributes and user.attributes["dn"] == f"uid=alice,{USERS}"
    assert [u.uid for u in source.search("builder")] == ["bob"]


def test_resources(ldap_server):
    source = make_source({"type": "ldap", "id": "res", "hostname": ldap_server.url,
                          "baseDN": "ou=resources,dc=example,dc=com", "bindDN": BIND_DN,
                          "bindPassword": BIND_PASSWORD, "UIDFieldName": "uid", "IDFieldName": "uid",
                          "KindFieldName": "kind", "MultipleBookingsFieldName": "multipleBookings"}, None)
    room = source.lookup("room1")
    assert room.kind == "location" and room.is_resource and room.multiple_bookings == 2
    projector = source.lookup("projector")                        # calendarresource, no kind
    assert projector.is_resource and projector.multiple_bookings == 0


def test_mapping_and_directory_entries(ldap_server):
    source = users_source(ldap_server, mapping={"telephonenumber": ["mobile", "telephonenumber"]},
                          SearchFieldNames=["sn", "telephoneNumber"], listRequiresDot="NO")
    assert source.list_requires_dot is False
    entry = source.entry("alice")
    assert entry["c_name"] == "alice" and entry["mail"] == ["alice@example.com", "alice.liddell@example.com"]
    assert "userpassword" not in entry
    card = entry_vcard(entry, source.mapping)
    assert "+1 555 0199" in card and "Alice Liddell" in card
    assert [e["c_name"] for e in source.search_entries("555 0101")] == ["bob"]
    assert source.entry("*") is None


# --------------------------------------------------------------------------- groups

def test_groups_of_each_class_and_nested(ldap_server):
    users, groups = users_source(ldap_server), groups_source(ldap_server)
    sources = [users, groups]
    assert groups_of(sources, "alice") == ["staff", "unix"]            # groupOfNames, posixGroup
    assert groups_of(sources, "bob") == ["admins", "loop1", "loop2", "staff"]   # group, cycle
    assert groups_of(sources, "deep") == ["devs", "staff"]             # groupOfUniqueNames, nested
    assert groups_of(sources, "carol") == ["unix"]
    assert groups_of(sources, "*") == []
    assert members(sources, "staff") == ["alice", "bob", "deep"]
    assert members(sources, "devs") == ["deep"]
    assert members(sources, "unix") == ["alice", "carol"]
    assert members(sources, "admins") == ["bob"]
    assert members(sources, "loop1") == ["bob"]
    assert members(sources, "alice") is None


def test_group_object_classes(ldap_server):
    groups = groups_source(ldap_server, GroupObjectClasses=["posixGroup"])
    assert groups.groups_of("alice", dn=f"uid=alice,{USERS}") == ["unix"]
    assert groups.members("staff") is None


def test_groups_authenticate_only_with_their_own_name(ldap_server):
    groups = groups_source(ldap_server)
    user = groups.lookup("staff")
    assert user.attributes.get("isGroup") == "1" and user.emails == ("staff@example.com",)


# --------------------------------------------------------------------------- password change

@pytest.mark.parametrize("algorithm", ["ssha", "sha", "smd5", "md5-crypt", "sha512-crypt", "md5", "plain"])
def test_password_change(ldap_server, algorithm):
    source = users_source(ldap_server, userPasswordAlgorithm=algorithm)
    try:
        source.change_password("bob", "new-bob-pw")
        assert source.authenticate("bob", "bob-pw") is None
        assert source.authenticate("bob", "new-bob-pw").uid == "bob"
        stored = ldap_server.admin().search_s(f"uid=bob,{USERS}", ldap.SCOPE_BASE, attrlist=["userPassword"])
        value = stored[0][1]["userPassword"][0].decode()
        if algorithm == "plain":
            assert value == "new-bob-pw"
        else:
            assert value.startswith("{") and passwords.verify("new-bob-pw", value, algorithm, prepend_scheme=True)
        with pytest.raises(SourceError):
            source.change_password("nobody", "x")
    finally:
        ldap_server.admin().modify_s(f"uid=bob,{USERS}", [(ldap.MOD_REPLACE, "userPassword", [b"bob-pw"])])


# --------------------------------------------------------------------------- password policy (ppolicy overlay)

def test_password_policy(ldap_server):
    source = users_source(ldap_server, baseDN="ou=pwpolicy,dc=example,dc=com", passwordPolicy="YES")
    grace = source.authenticate("grace", "grace-pw")          # expired, grace logins left
    assert grace.uid == "grace" and int(grace.attributes["passwordPolicy.graceLogins"]) in (0, 1, 2)
    with pytest.raises(PolicyRefused) as refused:                  # expired, no grace
        source.authenticate("expired", "expired-pw")
    assert refused.value.error == PolicyError.PASSWORD_EXPIRED
    with pytest.raises(PolicyRefused) as refused:                  # must change after reset
        source.authenticate("reset", "reset-pw")
    assert refused.value.error == PolicyError.CHANGE_AFTER_RESET
    assert source.authenticate("expired", "wrong") is None         # a wrong password says nothing more
    assert source.authenticate("reset", "wrong") is None
    assert source.lookup("reset").uid == "reset"                   # the connection works as before
    assert users_source(ldap_server, passwordPolicy="YES").authenticate("alice", "alice-pw").uid == "alice"


def test_password_change_with_policy_uses_password_modify(ldap_server):
    source = users_source(ldap_server, passwordPolicy="YES")
    try:
        source.change_password("bob", "policy-bob-pw")
        assert source.authenticate("bob", "policy-bob-pw").uid == "bob"
        assert source.authenticate("bob", "bob-pw") is None
        stored = ldap_server.admin().search_s(f"uid=bob,{USERS}", ldap.SCOPE_BASE, attrlist=["userPassword"])
        assert stored[0][1]["userPassword"][0].startswith(b"{SSHA}")      # hashed by slapd
    finally:
        ldap_server.admin().modify_s(f"uid=bob,{USERS}", [(ldap.MOD_REPLACE, "userPassword", [b"bob-pw"])])


# --------------------------------------------------------------------------- two domains

def test_second_naming_context(ldap_server):
    org = make_source({"type": "ldap", "id": "org", "hostname": ldap_server.url,
                       "baseDN": "ou=users,dc=example,dc=org", "bindDN": "cn=sogo,ou=services,dc=example,dc=org",
                       "bindPassword": "sogo-org-pw", "canAuthenticate": "YES"}, None)
    assert org.authenticate("alice", "alice-org-pw").emails == ("alice@example.org",)
    assert org.authenticate("alice", "alice-pw") is None
    assert users_source(ldap_server).authenticate("alice", "alice-org-pw") is None


# --------------------------------------------------------------------------- connections

def test_connection_is_reused(ldap_server):
    source = users_source(ldap_server)
    source.lookup("alice")
    first = source._conn
    source.authenticate("bob", "bob-pw")
    source.lookup("alice")
    assert source._conn is first and first.bound_as == BIND_DN


def test_slapd_restarted_mid_test(ldap_server):
    source = users_source(ldap_server)
    assert source.authenticate("alice", "alice-pw").uid == "alice"
    ldap_server.stop_slapd()
    try:
        with pytest.raises(SourceError):
            source.authenticate("alice", "alice-pw")
        with pytest.raises(SourceError):
            source.lookup("alice")
    finally:
        ldap_server.start_slapd()
    assert source.authenticate("alice", "alice-pw").uid == "alice"
    assert source.lookup("bob").uid == "bob"


def test_restart_between_calls_is_invisible(ldap_server):
    """The reused connection died with the old slapd: the next call reconnects by itself."""
    source = users_source(ldap_server)
    assert source.lookup("alice").uid == "alice"
    old = source._conn
    ldap_server.stop_slapd()
    ldap_server.start_slapd()
    assert source.authenticate("bob", "bob-pw").uid == "bob"
    assert source._conn is not old and source.lookup("alice").uid == "alice"


def test_second_url_is_tried_when_the_first_is_down(ldap_server):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    source = users_source(ldap_server, hostname=f"ldap://127.0.0.1:{dead} {ldap_server.url}")
    assert source.authenticate("alice", "alice-pw").uid == "alice"


def test_unreachable_server_is_a_source_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    source = make_source({"type": "ldap", "id": "x", "hostname": f"ldap://127.0.0.1:{port}",
                          "baseDN": "dc=x", "canAuthenticate": "YES"}, None)
    with pytest.raises(SourceError):
        source.authenticate("alice", "pw")


def test_silent_server_is_bounded_by_query_timeout():
    """A server that accepts connections and never answers: SourceError after ~the timeout."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held = []

    def accept():
        try:
            while True:
                held.append(listener.accept()[0])
        except OSError:
            pass
    threading.Thread(target=accept, daemon=True).start()
    try:
        source = make_source({"type": "ldap", "id": "x", "hostname": f"ldap://127.0.0.1:{listener.getsockname()[1]}",
                              "baseDN": "dc=x", "bindDN": BIND_DN, "bindPassword": "x",
                              "canAuthenticate": "YES", "SOGoLDAPQueryTimeout": 1}, None)
        start = time.monotonic()
        with pytest.raises(SourceError):
            source.lookup("alice")
        assert time.monotonic() - start < 6
    finally:
        listener.close()
        for conn in held:
            conn.close()


# --------------------------------------------------------------------------- through the DAV layer

def _dav_client(tmp_path, server):
    from werkzeug.test import Client

    from sogod.config import load_system_defaults
    from sogod.http.app import create_app
    config = embedded_config(tmp_path / "conf")
    source = {"type": "ldap", "id": "people", "hostname": server.url, "baseDN": USERS,
              "bindDN": BIND_DN, "bindPassword": BIND_PASSWORD, "CNFieldName": "cn",
              "IDFieldName": "uid", "UIDFieldName": "uid", "bindFields": ["uid", "sAMAccountName"],
              "canAuthenticate": "YES", "isAddressBook": "YES", "displayName": "Company",
              "filter": "accountStatus = 'active'"}
    return Client(create_app(load_system_defaults(str(config), {"SOGoUserSources": [source]})))


PRINCIPAL_PROPS = (b'<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:displayname/>'
                   b'<D:current-user-principal/></D:prop></D:propfind>')


def _propfind(client, path, auth, depth="0", body=PRINCIPAL_PROPS):
    return client.open(path, method="PROPFIND", data=body,
                       headers={"Depth": depth, "Content-Type": "application/xml", **basic(*auth)})


def test_dav_principal_authenticated_by_ldap(tmp_path, ldap_server):
    (tmp_path / "conf").mkdir()
    client = _dav_client(tmp_path, ldap_server)
    r = _propfind(client, "/SOGo/dav/alice/", ("aliceL", "alice-pw"))
    assert r.status_code == 207, r.data
    props = multistatus(r.data)["/SOGo/dav/alice/"]["200"]
    assert props[D + "displayname"].text == "Alice Liddell"
    assert hrefs(props[D + "current-user-principal"]) == ["/SOGo/dav/alice/"]
    for login, password in [("alice", "wrong"), ("*", "alice-pw"), (")(", "x"), ("carol", "carol-pw"),
                            ("alice\x00", "alice-pw")]:
        assert _propfind(client, "/SOGo/dav/alice/", (login, password)).status_code == 401
    # the LDAP source is a directory address book
    card = client.get("/SOGo/dav/alice/Contacts/people/bob", headers=basic("alice", "alice-pw"))
    assert card.status_code == 200 and b"FN:Bob Builder" in card.data
    # carol is outside the source's filter
    assert client.get("/SOGo/dav/alice/Contacts/people/carol", headers=basic("alice", "alice-pw")).status_code == 404


def test_dav_answers_503_while_slapd_is_down(tmp_path, ldap_server):
    (tmp_path / "conf").mkdir()
    client = _dav_client(tmp_path, ldap_server)
    assert _propfind(client, "/SOGo/dav/bob/", ("bob", "bob-pw")).status_code == 207
    ldap_server.stop_slapd()
    try:
        r = _propfind(client, "/SOGo/dav/deep/", ("deep", "deep-pw"))   # not in the credential cache
        assert r.status_code == 503
    finally:
        ldap_server.start_slapd()
    assert _propfind(client, "/SOGo/dav/deep/", ("deep", "deep-pw")).status_code == 207


def _people_and_groups_app(tmp_path, ldap_server, *, groups_login: bool):
    """The in-process app with two LDAP sources: people (indirect bind) and groups."""
    from werkzeug.test import Client

    from sogod.config import load_system_defaults
    from sogod.http.app import create_app
    (tmp_path / "conf").mkdir()
    config = embedded_config(tmp_path / "conf")
    people = {"type": "ldap", "id": "people", "hostname": ldap_server.url, "baseDN": USERS,
              "bindDN": BIND_DN, "bindPassword": BIND_PASSWORD, "bindFields": ["uid"],
              "UIDFieldName": "uid", "canAuthenticate": "YES"}
    groups = {"type": "ldap", "id": "groups", "hostname": ldap_server.url, "baseDN": GROUPS,
              "bindDN": BIND_DN, "bindPassword": BIND_PASSWORD, "IDFieldName": "cn",
              "UIDFieldName": "cn", "canAuthenticate": "YES" if groups_login else "NO"}
    return Client(create_app(load_system_defaults(str(config), {"SOGoUserSources": [people, groups]})))


def test_group_acl_through_dav(tmp_path, ldap_server, monkeypatch):
    """An ``@staff`` ACL entry grants bob (member) and deep (nested member), not carol.

    UserDirectory gains ``groups_of`` / ``members`` delegating to sogod.auth.ldap
    (patched in here until directory.py carries them)."""
    from sogod.auth import ldap as ldap_auth
    from sogod.auth.directory import UserDirectory
    from tests.test_access_matrix import event
    if not hasattr(UserDirectory, "groups_of"):
        monkeypatch.setattr(UserDirectory, "groups_of",
                            lambda self, uid: ldap_auth.groups_of(self.sources, uid), raising=False)
    client = _people_and_groups_app(tmp_path, ldap_server, groups_login=True)
    alice = basic("alice", "alice-pw")
    cal = "/SOGo/dav/alice/Calendar/personal/"
    assert client.put(cal + "e.ics", data=event("e"), headers={**alice, "Content-Type": "text/calendar"}
                      ).status_code == 201
    body = (b'<?xml version="1.0" encoding="utf-8"?><acl-query xmlns="urn:inverse:params:xml:ns:inverse-dav">'
            b'<add-user user="@staff"/></acl-query>')
    assert client.post(cal, data=body, headers={**alice, "Content-Type": "application/xml"}).status_code == 204
    body = (b'<?xml version="1.0" encoding="utf-8"?><acl-query xmlns="urn:inverse:params:xml:ns:inverse-dav">'
            b'<set-roles user="@staff"><PublicViewer/></set-roles></acl-query>')
    assert client.post(cal, data=body, headers={**alice, "Content-Type": "application/xml"}).status_code == 204
    assert client.get(cal + "e.ics", headers=basic("bob", "bob-pw")).status_code == 200
    assert client.get(cal + "e.ics", headers=basic("deep", "deep-pw")).status_code == 200
    assert client.get(cal + "e.ics", headers=basic("carol", "carol-pw")).status_code in (403, 404)


def test_invited_ldap_group_expands_to_its_members(tmp_path, ldap_server):
    """alice invites staff@example.com: bob (member) and deep (nested member) get the event."""
    client = _people_and_groups_app(tmp_path, ldap_server, groups_login=False)
    body = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:grp-1\r\n"
            "DTSTAMP:20260101T000000Z\r\nDTSTART:20260301T100000Z\r\nDTEND:20260301T110000Z\r\n"
            "SUMMARY:All hands\r\nORGANIZER:mailto:alice@example.com\r\n"
            "ATTENDEE;PARTSTAT=NEEDS-ACTION;CUTYPE=GROUP:mailto:staff@example.com\r\n"
            "END:VEVENT\r\nEND:VCALENDAR\r\n").encode()
    r = client.put("/SOGo/dav/alice/Calendar/personal/grp.ics", data=body,
                   headers={**basic("alice", "alice-pw"), "Content-Type": "text/calendar"})
    assert r.status_code == 201
    for user in ("bob", "deep"):
        got = client.get(f"/SOGo/dav/{user}/Calendar/personal/grp.ics", headers=basic(user, f"{user}-pw"))
        assert got.status_code == 200 and b"All hands" in got.data, user
    assert client.get("/SOGo/dav/carol/Calendar/personal/grp.ics",
                      headers=basic("carol", "carol-pw")).status_code == 404
