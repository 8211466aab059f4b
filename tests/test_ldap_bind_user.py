"""``bindAsCurrentUser`` and ``updateSambaNTLMPasswords`` (guide §5.4) against the real slapd.

The fixture's ``ou=private,ou=users`` (uid=hidden) is readable by logged-in
users but not by the bind account; bob is a sambaSamAccount.  slapd's own view
of the connection's identity comes from ``whoami_s()``.
"""

from __future__ import annotations

import ldap
import pytest

from sogod.auth import current, ldap_connection
from sogod.auth.ldap_connection import UserBindRefused
from sogod.auth.sources import SourceError
from sogod.auth.user import User

from .dav_helpers import multistatus
from .ldap_server import BIND_DN, BIND_PASSWORD
from .sogod_env import basic
from .test_auth_ldap import USERS, groups_source, users_source
from .test_ldap_more import _client

ALICE_DN, BOB_DN = f"uid=alice,{USERS}", f"uid=bob,{USERS}"
HIDDEN_DN = f"uid=hidden,ou=private,{USERS}"
BOOK = "/SOGo/dav/{uid}/Contacts/people/"
# Published test vectors: the NT and LM hashes of "password".
NT_PASSWORD, LM_PASSWORD = "8846F7EAEE8FB117AD06BDD830B7586C", "E52CAC67419A9A224A3B108F3FA6CB6D"


@pytest.fixture(autouse=True)
def nobody_acting():
    """The in-process app leaves the last request's user in this thread's context."""
    current.clear()
    yield
    current.clear()


def _act(uid, password, dn=None, source_id="users"):
    current.act_as(User(uid=uid, source_id=source_id, cn=uid, attributes={"dn": dn} if dn else {}), password)


def whoami(source) -> str:
    return source._conn.conn.whoami_s()


# --------------------------------------------------------------------------- the fixture's ACL

def test_private_entries_are_for_users_not_for_the_bind_account(ldap_server):
    for dn, password, visible in ((BIND_DN, BIND_PASSWORD, False), (ALICE_DN, "alice-pw", True)):
        conn = ldap.initialize(ldap_server.url)
        conn.simple_bind_s(dn, password)
        found = conn.search_s(USERS, ldap.SCOPE_SUBTREE, "(uid=hidden)")
        conn.unbind_s()
        assert [dn for dn, _ in found] == ([HIDDEN_DN] if visible else [])


# --------------------------------------------------------------------------- the source's binds

def test_operations_bind_as_the_acting_user(ldap_server):
    source = users_source(ldap_server, bindAsCurrentUser="YES")
    assert source.lookup("hidden") is None                      # nobody logged in: bindDN
    connection = source._conn
    assert whoami(source) == f"dn:{BIND_DN}"
    _act("alice", "alice-pw", ALICE_DN)
    assert source.lookup("hidden").cn == "Hidden Hatter"
    assert whoami(source) == f"dn:{ALICE_DN}"
    assert [u.uid for u in source.search("hatter")] == ["hidden"]
    assert [e["c_name"] for e in source.search_entries("hatter")] == ["hidden"]
    _act("bob", "bob-pw", BOB_DN)                               # another request, another user
    assert source.entry("hidden")["c_cn"] == "Hidden Hatter"
    assert whoami(source) == f"dn:{BOB_DN}"
    current.clear()                                              # e.g. the next login, a cron job
    assert source.lookup("hidden") is None and source.search_entries("hatter") == []
    assert whoami(source) == f"dn:{BIND_DN}"
    assert source._conn is connection                            # one connection, rebound


def test_without_bind_as_current_user_the_bind_account_reads(ldap_server):
    source = users_source(ldap_server)
    _act("alice", "alice-pw", ALICE_DN)
    assert source.lookup("hidden") is None and source.search_entries("hatter") == []
    assert whoami(source) == f"dn:{BIND_DN}"


def test_login_itself_runs_as_the_bind_account(ldap_server, binds):
    source = users_source(ldap_server, bindAsCurrentUser="YES", bindFields=["uid"])
    assert source.authenticate("alice", "alice-pw").uid == "alice"
    assert binds == [BIND_DN] and whoami(source) == f"dn:{ALICE_DN}"     # found as sogo, then bound
    assert source.lookup("hidden") is None                      # the source sets no acting user
    assert whoami(source) == f"dn:{BIND_DN}"


def test_a_user_without_dn_is_looked_up_once_per_request(ldap_server, monkeypatch):
    source = users_source(ldap_server, bindAsCurrentUser="YES")
    calls = []
    original = source._acting_dn
    monkeypatch.setattr(source, "_acting_dn", lambda acting: calls.append(acting.uid) or original(acting))
    _act("alice", "alice-pw")                                   # served from the credential cache
    assert source.lookup("hidden") and source.search_entries("hatter") and source.lookup_dn("bob") == BOB_DN
    assert calls == ["alice"] and current.acting().dns == {"users": ALICE_DN}
    assert whoami(source) == f"dn:{ALICE_DN}"
    _act("alice", "alice-pw")                                   # the next request asks again
    source.lookup("bob")
    assert calls == ["alice", "alice"]


def test_a_user_of_another_source_binds_where_the_login_is_found(ldap_server):
    # As SOGo: every bindAsCurrentUser source that finds the login binds as that DN.
    book = users_source(ldap_server, id="book", bindAsCurrentUser="YES", canAuthenticate="NO")
    _act("alice", "alice-pw", "uid=alice,ou=elsewhere", source_id="users")
    assert book.lookup("hidden").uid == "hidden" and whoami(book) == f"dn:{ALICE_DN}"
    current.clear()
    _act("olga", "olga-pw", "uid=olga,ou=users,dc=example,dc=org", source_id="org")
    assert book.lookup("hidden") is None and whoami(book) == f"dn:{BIND_DN}"      # unknown here


def test_domain_based_uids_are_looked_up_without_their_domain(ldap_server):
    source = users_source(ldap_server, bindAsCurrentUser="YES")
    source.source_domain = "example.com"
    _act("alice@example.com", "alice-pw")
    assert source.lookup("hidden") and whoami(source) == f"dn:{ALICE_DN}"


def test_groups_and_writes_run_as_the_user(ldap_server):
    whole = users_source(ldap_server, baseDN="dc=example,dc=com", UIDFieldName="cn", bindAsCurrentUser="YES")
    _act("Bob Builder", "bob-pw", BOB_DN)
    assert "staff" in whole.groups_of("Bob Builder", dn=BOB_DN) and whoami(whole) == f"dn:{BOB_DN}"
    assert "Bob Builder" in whole.members("staff") and whoami(whole) == f"dn:{BOB_DN}"
    # a groups-only source does not know the login bob: it keeps its bindDN
    groups = groups_source(ldap_server, bindAsCurrentUser="YES")
    assert "staff" in groups.groups_of("bob", dn=BOB_DN) and whoami(groups) == f"dn:{BIND_DN}"
    source = users_source(ldap_server, bindAsCurrentUser="YES", modifiers=["alice"])
    _act("alice", "alice-pw", ALICE_DN)
    # users may read ou=users but only the bind account may write there
    with pytest.raises(SourceError):
        source.write_entry("hidden2", {"cn": ["x"], "sn": ["x"]}, ("cn", "sn"))
    assert whoami(source) == f"dn:{ALICE_DN}"


def test_a_refused_user_bind_fails_that_user_alone(ldap_server, caplog):
    source = users_source(ldap_server, bindAsCurrentUser="YES")
    assert source.lookup("bob").uid == "bob"
    connection = source._conn
    _act("alice", "changed-since-login", ALICE_DN)
    with pytest.raises(UserBindRefused):
        source.lookup("hidden")
    with pytest.raises(UserBindRefused):                         # and again, not bound as anyone
        source.search_entries("hatter")
    assert connection.bound_as is None and source._conn is connection
    _act("bob", "bob-pw", BOB_DN)                               # the next user is not hurt
    assert source.lookup("hidden").uid == "hidden" and whoami(source) == f"dn:{BOB_DN}"
    current.clear()
    assert source.lookup("bob").uid == "bob" and whoami(source) == f"dn:{BIND_DN}"
    assert "bind as uid=alice" in caplog.text


def test_a_failed_login_in_the_middle_does_not_keep_its_bind(ldap_server):
    source = users_source(ldap_server, bindAsCurrentUser="YES")
    _act("alice", "alice-pw", ALICE_DN)
    assert source.lookup("hidden")
    assert source.authenticate("bob", "wrong") is None          # e.g. a change of password's check
    assert source.lookup("hidden") and whoami(source) == f"dn:{ALICE_DN}"
    assert source.authenticate("bob", "bob-pw").uid == "bob"
    assert source.lookup("hidden") and whoami(source) == f"dn:{ALICE_DN}"


# --------------------------------------------------------------------------- through the app

def _book_query(client, uid, password, text):
    body = (b'<C:addressbook-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"><D:prop><D:getetag/>'
            b'<C:address-data/></D:prop><C:filter><C:prop-filter name="FN"><C:text-match>' + text
            + b'</C:text-match></C:prop-filter></C:filter></C:addressbook-query>')
    r = client.open(BOOK.format(uid=uid), method="REPORT", data=body,
                    headers={**basic(uid, password), "Depth": "1", "Content-Type": "application/xml"})
    assert r.status_code == 207, r.data
    return {href for href, found in multistatus(r.data).items() if "200" in found}


def _principal_search(client, uid, password, text):
    body = ('<?xml version="1.0"?><D:principal-property-search xmlns:D="DAV:"><D:property-search>'
            f'<D:prop><D:displayname/></D:prop><D:match>{text}</D:match></D:property-search>'
            '<D:prop><D:displayname/></D:prop></D:principal-property-search>').encode()
    r = client.open("/SOGo/dav/", method="REPORT", data=body,
                    headers={"Depth": "0", "Content-Type": "application/xml", **basic(uid, password)})
    assert r.status_code == 207, r.data
    return set(multistatus(r.data))


@pytest.fixture
def binds(monkeypatch):
    """slapd's answer to whoami on the source's connection, before each operation that names its bind."""
    seen: list[str] = []
    run = ldap_connection.Connector.run

    def recording(self, operation, bind):
        def operation_seen(connection):
            seen.append(connection.conn.whoami_s().removeprefix("dn:"))
            return operation(connection)
        return run(self, operation if bind is None else operation_seen, bind)
    monkeypatch.setattr(ldap_connection.Connector, "run", recording)
    return seen


@pytest.mark.parametrize("as_user", [True, False])
def test_directory_book_and_principals_as_the_logged_in_user(tmp_path, ldap_server, binds, as_user):
    client = _client(tmp_path, ldap_server, bindAsCurrentUser="YES" if as_user else "NO")
    book = BOOK.format(uid="alice")
    assert _book_query(client, "alice", "alice-pw", b"Hatter") == ({book + "hidden"} if as_user else set())
    got = client.get(book + "hidden", headers=basic("alice", "alice-pw"))
    assert got.status_code == (200 if as_user else 404)
    if as_user:
        assert b"FN:Hidden Hatter" in got.data
    found = _principal_search(client, "alice", "alice-pw", "Hatter")
    assert ("/SOGo/dav/hidden/" in found) is as_user
    # slapd saw the operations of these requests made as alice (with YES), as sogo (with NO) ...
    assert set(binds) == ({ALICE_DN, BIND_DN} if as_user else {BIND_DN})
    if as_user:     # ... but for finding her DN once in each request served by the credential cache
        assert binds.count(BIND_DN) == 2
    binds.clear()
    assert _book_query(client, "bob", "bob-pw", b"Hatter") == ({BOOK.format(uid="bob") + "hidden"}
                                                               if as_user else set())
    assert set(binds) == ({BOB_DN} if as_user else {BIND_DN})


def test_a_password_changed_behind_the_cache_hurts_no_one_else(tmp_path, ldap_server, binds):
    client = _client(tmp_path, ldap_server, bindAsCurrentUser="YES")
    assert _book_query(client, "alice", "alice-pw", b"Hatter")
    admin = ldap_server.admin()
    admin.modify_s(ALICE_DN, [(ldap.MOD_REPLACE, "userPassword", [b"new-alice-pw"])])
    try:
        # alice's old password still passes the credential cache, but slapd refuses her bind
        r = client.get(BOOK.format(uid="alice") + "hidden", headers=basic("alice", "alice-pw"))
        assert r.status_code == 401, r.status_code              # her credentials, not an outage
        assert r.headers["WWW-Authenticate"].lower().startswith("basic")
        directory = client.application.app.services.directory
        assert directory.credentials.check("alice", "alice-pw") is None     # the cached credential is gone
        r = client.get(BOOK.format(uid="alice") + "hidden", headers=basic("alice", "alice-pw"))
        assert r.status_code == 401
        assert client.get(BOOK.format(uid="alice") + "hidden",
                          headers=basic("alice", "new-alice-pw")).status_code == 200
        binds.clear()
        assert _book_query(client, "bob", "bob-pw", b"Hatter") == {BOOK.format(uid="bob") + "hidden"}
        assert set(binds) == {BOB_DN}
    finally:
        admin.modify_s(ALICE_DN, [(ldap.MOD_REPLACE, "userPassword", [b"alice-pw"])])
        admin.unbind_s()


# --------------------------------------------------------------------------- updateSambaNTLMPasswords

@pytest.fixture
def bob_restored(ldap_server):
    yield
    admin = ldap_server.admin()
    admin.modify_s(BOB_DN, [(ldap.MOD_REPLACE, "userPassword", [b"bob-pw"]),
                            (ldap.MOD_REPLACE, "sambaNTPassword", [b"FE05A119EB90CB9DE846232B9BF1D669"]),
                            (ldap.MOD_REPLACE, "sambaLMPassword", [b"BB6E275A1F55A641AAD3B435B51404EE"])])
    admin.unbind_s()


def _samba_hashes(server) -> tuple[str, str]:
    admin = server.admin()
    attrs = admin.search_s(BOB_DN, ldap.SCOPE_BASE, attrlist=["sambaNTPassword", "sambaLMPassword"])[0][1]
    admin.unbind_s()
    return attrs["sambaNTPassword"][0].decode(), attrs["sambaLMPassword"][0].decode()


def test_samba_hashes_on_an_administrator_change(ldap_server, bob_restored):
    source = users_source(ldap_server, updateSambaNTLMPasswords="YES")
    source.change_password("bob", "password")
    assert _samba_hashes(ldap_server) == (NT_PASSWORD, LM_PASSWORD)
    assert source.authenticate("bob", "password").uid == "bob"
    assert "sambantpassword" not in {k.lower() for k in source.lookup("bob").attributes}


@pytest.mark.parametrize("as_user", ["YES", "NO"])
def test_samba_hashes_on_the_users_own_change(ldap_server, bob_restored, as_user):
    source = users_source(ldap_server, updateSambaNTLMPasswords="YES", bindAsCurrentUser=as_user)
    _act("bob", "bob-pw", BOB_DN)                               # bob changes his own password
    source.change_password("bob", "password", old_password="bob-pw")
    assert _samba_hashes(ldap_server) == (NT_PASSWORD, LM_PASSWORD)
    assert current.acting().password == "password"               # the rest of the request binds with it
    assert (source.lookup("hidden") is not None) is (as_user == "YES")
    assert whoami(source) == (f"dn:{BOB_DN}" if as_user == "YES" else f"dn:{BIND_DN}")
    current.clear()
    assert source.lookup("hidden") is None and whoami(source) == f"dn:{BIND_DN}"
    assert source.authenticate("bob", "password").uid == "bob"


def test_samba_hashes_are_not_written_without_the_key(ldap_server, bob_restored):
    users_source(ldap_server).change_password("bob", "password")
    assert _samba_hashes(ldap_server) == ("FE05A119EB90CB9DE846232B9BF1D669", "BB6E275A1F55A641AAD3B435B51404EE")


def test_per_user_books_are_read_as_the_user(ldap_server):
    container = f"ou=abooks,{ALICE_DN}"
    admin = ldap_server.admin()
    admin.add_s(container, [("objectClass", [b"organizationalUnit"]), ("ou", [b"abooks"])])
    admin.add_s(f"ou=friends,{container}", [("objectClass", [b"organizationalUnit"]), ("ou", [b"friends"])])
    try:
        source = users_source(ldap_server, abOU="abooks", bindAsCurrentUser="YES")
        _act("alice", "alice-pw", ALICE_DN)
        [book] = source.user_books("alice")
        assert book.search_entries(None) == [] and whoami(source) == f"dn:{ALICE_DN}"
        current.clear()
        assert [b.id for b in source.user_books("alice")] == ["friends"] and whoami(source) == f"dn:{BIND_DN}"
    finally:
        admin.delete_s(f"ou=friends,{container}")
        admin.delete_s(container)
        admin.unbind_s()


def test_entries_read_as_a_user_are_not_shared_through_the_cache(ldap_server):
    """What one user may read in the directory is not served to others from the shared cache."""
    from sogod.auth.directory import UserDirectory
    from sogod.cache import LocalCache
    cache = LocalCache(ttl=300)
    shared = UserDirectory([users_source(ldap_server, bindAsCurrentUser="YES")], cache)
    _act("alice", "alice-pw", ALICE_DN)
    assert shared.lookup("hidden").cn == "Hidden Hatter"
    current.clear()                                                    # the bind account cannot read it
    assert shared.lookup("hidden") is None
    # a source without bindAsCurrentUser keeps using the cache
    plain = UserDirectory([users_source(ldap_server)], LocalCache(ttl=300))
    assert plain.lookup("alice").uid == "alice" and plain.cache.get("sogod:user:alice")


def test_memberships_are_cached_like_users(ldap_server):
    """groups_of is asked on every shared-folder request: the answer is kept in the
    shared cache for SOGoCacheCleanupInterval, except for bindAsCurrentUser sources."""
    from sogod.auth.directory import UserDirectory
    from sogod.cache import LocalCache
    directory = UserDirectory([users_source(ldap_server), groups_source(ldap_server)], LocalCache(ttl=300))
    assert "staff" in directory.groups_of("bob")
    admin = ldap_server.admin()
    staff = "cn=staff,ou=groups,dc=example,dc=com"
    admin.modify_s(staff, [(ldap.MOD_DELETE, "member", [BOB_DN.encode()])])
    try:
        assert "staff" in directory.groups_of("bob")              # from the cache
        directory.cache.delete("sogod:groups:bob")                # expired
        assert "staff" not in directory.groups_of("bob")
        personal = UserDirectory([users_source(ldap_server, bindAsCurrentUser="YES"), groups_source(ldap_server)],
                                 LocalCache(ttl=300))
        personal.groups_of("bob")
        assert personal.cache.get("sogod:groups:bob") is None
    finally:
        admin.modify_s(staff, [(ldap.MOD_ADD, "member", [BOB_DN.encode()])])
        admin.unbind_s()
