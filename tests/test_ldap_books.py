"""Per-user LDAP address books (guide §5.4 ``abOU``): MKCOL, PROPPATCH DAV:displayname
and DELETE write the directory; the books are their owner's alone, never shared."""

from __future__ import annotations

import ldap
import pytest

from .dav_helpers import multistatus
from .sogod_env import basic
from .test_auth_ldap import USERS
from .test_ldap_more import CARD, _client, _propfind

ALICE, BOB = ("alice", "alice-pw"), ("bob", "bob-pw")
HOME = "/SOGo/dav/alice/Contacts/"
CONTAINER = f"ou=abooks,uid=alice,{USERS}"
EXTENDED = ('<?xml version="1.0"?><D:mkcol xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">'
            '<D:set><D:prop><D:resourcetype><D:collection/><C:addressbook/></D:resourcetype>'
            '<D:displayname>{name}</D:displayname></D:prop></D:set></D:mkcol>')
RENAME = ('<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop>'
          '<D:displayname>{name}</D:displayname></D:prop></D:set></D:propertyupdate>')
SET_ROLES = (b'<acl-query xmlns="urn:inverse:params:xml:ns:inverse-dav">'
             b'<set-roles user="bob"><ObjectViewer/></set-roles></acl-query>')
ACL = (b'<?xml version="1.0"?><D:acl xmlns:D="DAV:"><D:ace><D:principal><D:href>/SOGo/dav/bob/</D:href>'
       b'</D:principal><D:grant><D:privilege><D:read/></D:privilege></D:grant></D:ace></D:acl>')


@pytest.fixture
def client(tmp_path, ldap_server, request):
    request.addfinalizer(ldap_server.reset)          # the tests write to the directory
    return _client(tmp_path, ldap_server, abOU="abooks")


@pytest.fixture
def admin(ldap_server):
    conn = ldap_server.admin()
    yield conn
    conn.unbind_s()


def _entries(conn, base, scope=ldap.SCOPE_SUBTREE) -> dict[str, dict]:
    """{dn (lower case): attributes} below ``base``; {} when it does not exist."""
    try:
        return {dn.lower(): attrs for dn, attrs in conn.search_s(base, scope, "(objectClass=*)")}
    except ldap.NO_SUCH_OBJECT:
        return {}


def _mkcol(client, name, auth=ALICE, display=None, home=HOME):
    body = EXTENDED.format(name=display).encode() if display else b""
    return client.open(home + name + "/", method="MKCOL", data=body,
                       headers={**basic(*auth), "Content-Type": "application/xml"})


def _put(client, path, uid, fn, auth=ALICE):
    return client.put(path, data=CARD.format(uid=uid, fn=fn), headers={**basic(*auth), "Content-Type": "text/vcard"})


def _book_dn(name: str) -> str:
    return f"ou={name},{CONTAINER}".lower()


def test_mkcol_creates_the_container_then_the_book(client, admin):
    assert _entries(admin, CONTAINER) == {}
    r = _mkcol(client, "friends", display="My friends")
    assert r.status_code == 201, r.data
    assert r.headers["Location"].endswith(HOME + "friends/")
    found = _entries(admin, CONTAINER)
    assert set(found) == {CONTAINER.lower(), _book_dn("friends")}
    assert found[CONTAINER.lower()]["ou"] == [b"abooks"]
    book = found[_book_dn("friends")]
    assert book["objectClass"] == [b"organizationalUnit"] and book["ou"] == [b"friends"]
    assert book["description"] == [b"My friends"]
    # a plain MKCOL in the existing container: the id is the name
    assert _mkcol(client, "work").status_code == 201
    assert _entries(admin, _book_dn("work"))[_book_dn("work")]["description"] == [b"work"]
    listing = multistatus(_propfind(client, HOME, ALICE).data)
    assert HOME + "friends/" in listing and HOME + "work/" in listing
    assert HOME + "personal/" in listing            # the SQL folder stays listed beside them
    # no SQL folder was made for them
    folders = client.application.app.services.storage.folders
    assert folders.get("alice", "Contacts", "friends") is None


def test_mkcol_on_an_existing_id_is_405(client, admin):
    assert _mkcol(client, "friends").status_code == 201
    before = _entries(admin, CONTAINER)
    assert _mkcol(client, "friends", display="Again").status_code == 405
    assert _mkcol(client, "personal").status_code == 405      # the SQL personal folder
    assert _mkcol(client, "people").status_code == 405        # the source's own directory book
    assert _entries(admin, CONTAINER) == before


def test_a_card_put_into_a_new_book(client, admin):
    assert _mkcol(client, "friends", display="Friends").status_code == 201
    book = HOME + "friends/"
    r = _put(client, book + "hatter", "hatter", "Mad Hatter")
    assert r.status_code == 201, r.data
    found = _entries(admin, _book_dn("friends"), ldap.SCOPE_ONELEVEL)
    assert list(found) == [f"uid=hatter,{_book_dn('friends')}"]
    assert found[f"uid=hatter,{_book_dn('friends')}"]["cn"] == [b"Mad Hatter"]
    got = client.get(book + "hatter", headers=basic(*ALICE))
    assert got.status_code == 200 and b"FN:Mad Hatter" in got.data
    props = multistatus(_propfind(client, book, ALICE, depth="0").data)[book]["200"]
    assert "{urn:ietf:params:xml:ns:carddav}addressbook" in [t.tag for t in props["{DAV:}resourcetype"]]


def test_proppatch_displayname_renames_the_book(client, admin):
    assert _mkcol(client, "friends", display="Friends").status_code == 201
    book = HOME + "friends/"
    r = client.open(book, method="PROPPATCH", data=RENAME.format(name="Tea party").encode(),
                    headers={**basic(*ALICE), "Content-Type": "application/xml"})
    assert r.status_code == 207 and b"200 OK" in r.data, r.data
    assert _entries(admin, _book_dn("friends"))[_book_dn("friends")]["description"] == [b"Tea party"]
    body = (b'<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:displayname/>'
            b'<D:current-user-privilege-set/></D:prop></D:propfind>')
    r = client.open(book, method="PROPFIND", data=body, headers={**basic(*ALICE), "Depth": "0"})
    props = multistatus(r.data)[book]["200"]
    assert props["{DAV:}displayname"].text == "Tea party"
    privileges = {p[0].tag for p in props["{DAV:}current-user-privilege-set"]}
    assert "{DAV:}write" in privileges and "{DAV:}bind" in privileges


def test_delete_removes_the_book_and_its_cards(client, admin):
    assert _mkcol(client, "friends").status_code == 201
    assert _mkcol(client, "work").status_code == 201
    for uid in ("hatter", "hare", "dormouse"):
        assert _put(client, f"{HOME}friends/{uid}", uid, uid.title()).status_code == 201
    assert len(_entries(admin, _book_dn("friends"))) == 4
    assert client.delete(HOME + "friends/", headers=basic(*ALICE)).status_code == 204
    assert _entries(admin, _book_dn("friends")) == {}
    assert set(_entries(admin, CONTAINER)) == {CONTAINER.lower(), _book_dn("work")}
    assert HOME + "friends/" not in multistatus(_propfind(client, HOME, ALICE).data)
    assert client.delete(HOME + "friends/", headers=basic(*ALICE)).status_code == 404


def test_other_users_neither_see_nor_change_the_books(client, admin):
    assert _mkcol(client, "friends", display="Friends").status_code == 201
    assert _put(client, HOME + "friends/hatter", "hatter", "Mad Hatter").status_code == 201
    before = _entries(admin, CONTAINER)
    book, bob = HOME + "friends/", basic(*BOB)
    assert _propfind(client, book, BOB, depth="0").status_code == 404
    assert client.get(book + "hatter", headers=bob).status_code == 404
    assert _put(client, book + "hare", "hare", "March Hare", auth=BOB).status_code == 404
    r = client.open(book, method="PROPPATCH", data=RENAME.format(name="Mine").encode(), headers=bob)
    assert r.status_code == 404
    assert client.delete(book, headers=bob).status_code == 404
    assert _mkcol(client, "intruder", auth=BOB).status_code == 403
    assert book not in multistatus(_propfind(client, HOME, BOB).data)
    assert _entries(admin, CONTAINER) == before
    # bob's own MKCOL goes below his own entry
    assert _mkcol(client, "friends", auth=BOB, home="/SOGo/dav/bob/Contacts/").status_code == 201
    assert _entries(admin, f"ou=friends,ou=abooks,uid=bob,{USERS}") != {}


def test_sharing_is_refused(client, admin):
    assert _mkcol(client, "friends").status_code == 201
    assert _put(client, HOME + "friends/hatter", "hatter", "Mad Hatter").status_code == 201
    xml = {"Content-Type": "application/xml"}
    for path in (HOME + "friends/", HOME + "friends/hatter"):
        r = client.post(path, data=SET_ROLES, headers={**basic(*ALICE), **xml})
        assert r.status_code == 403 and b"not shared" in r.data, (path, r.status_code, r.data)
        r = client.open(path, method="ACL", data=ACL, headers={**basic(*ALICE), **xml})
        assert r.status_code == 403 and b"not shared" in r.data, (path, r.status_code, r.data)
        assert client.post(path, data=SET_ROLES, headers={**basic(*BOB), **xml}).status_code == 404
    assert client.get(HOME + "friends/hatter", headers=basic(*BOB)).status_code == 404
    assert client.get("/SOGo/dav/public/alice/Contacts/friends/hatter").status_code in (401, 404)
    # nothing in the directory records a grant
    assert all(set(a) <= {"objectClass", "ou", "description"}
               for dn, a in _entries(admin, CONTAINER).items() if not dn.startswith("uid="))


def test_a_write_the_directory_refuses_leaves_nothing(tmp_path, ldap_server, admin, request):
    request.addfinalizer(ldap_server.reset)
    # slapd.conf.in: the bind account may add ou=lockedbooks but no book below it
    client = _client(tmp_path, ldap_server, abOU="lockedbooks")
    r = _mkcol(client, "friends")
    assert r.status_code == 403 and b"refused" in r.data, r.data
    assert _entries(admin, f"ou=lockedbooks,uid=alice,{USERS}") == {}       # the container went too
    # a bind account that may not write at all
    (tmp_path / "ro").mkdir()
    client = _client(tmp_path / "ro", ldap_server, abOU="abooks", bindDN=f"uid=carol,{USERS}",
                     bindPassword="carol-pw")
    assert _mkcol(client, "friends").status_code == 403
    assert _entries(admin, CONTAINER) == {}


def test_a_directory_down_is_503(client, ldap_server):
    assert _mkcol(client, "friends").status_code == 201
    ldap_server.stop_slapd()
    try:
        assert _mkcol(client, "work").status_code == 503
        assert client.delete(HOME + "friends/", headers=basic(*ALICE)).status_code == 503
    finally:
        ldap_server.start_slapd()
    admin = ldap_server.admin()
    assert set(_entries(admin, CONTAINER)) == {CONTAINER.lower(), _book_dn("friends")}
    admin.unbind_s()


def test_books_written_as_the_user_under_bind_as_current_user(tmp_path, ldap_server, admin, request):
    """slapd.conf.in lets a user write below their own entry, and nowhere else."""
    request.addfinalizer(ldap_server.reset)
    client = _client(tmp_path, ldap_server, abOU="abooks", bindAsCurrentUser="YES")
    assert _mkcol(client, "friends", display="Friends").status_code == 201
    assert _put(client, HOME + "friends/hatter", "hatter", "Mad Hatter").status_code == 201
    assert set(_entries(admin, CONTAINER)) == {CONTAINER.lower(), _book_dn("friends"),
                                                f"uid=hatter,{_book_dn('friends')}"}
    bob = ldap.initialize(ldap_server.url)
    bob.simple_bind_s(f"uid=bob,{USERS}", "bob-pw")
    with pytest.raises(ldap.INSUFFICIENT_ACCESS):
        bob.add_s(f"ou=mine,{CONTAINER}", [("objectClass", [b"organizationalUnit"]), ("ou", [b"mine"])])
    bob.unbind_s()
    assert client.delete(HOME + "friends/", headers=basic(*ALICE)).status_code == 204
    assert set(_entries(admin, CONTAINER)) == {CONTAINER.lower()}


def test_books_of_a_domain_user(tmp_path, ldap_server, admin, request):
    """Under SOGoEnableDomainBasedUID the books live below the entry of the user's
    own domain; the other domain's alice never sees them."""
    from .test_multidomain import _app
    request.addfinalizer(ldap_server.reset)
    client = _app(tmp_path, ldap_server, SOGoEnableDomainBasedUID="YES")
    for domain in client.application.app.services.directory.sources:
        domain.ab_ou = "abooks"
    home = "/SOGo/dav/alice@example.com/Contacts/"
    assert _mkcol(client, "club", auth=("alice@example.com", "alice-pw"), home=home).status_code == 201
    assert _book_dn("club") in _entries(admin, CONTAINER)
    mine = multistatus(_propfind(client, home, ("alice@example.com", "alice-pw")).data)
    assert home + "club/" in mine
    other = "/SOGo/dav/alice@example.org/Contacts/"
    theirs = multistatus(_propfind(client, other, ("alice@example.org", "alice-org-pw")).data)
    assert other + "club/" not in theirs
