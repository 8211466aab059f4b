"""The daemon on real PostgreSQL and MariaDB, driven over plain HTTP as a CardDAV client.

Each database runs with one table set per folder (SOGo's default) and with
OCSStoreURL/OCSAclURL/OCSCacheFolderURL (the combined layout); the users live
in a SQL source on the same database. The flow is a client's: discovery,
PUT/GET of vCards 3 and 4, contact lists and groups, queries, multiget,
sync-collection, conditional requests, DELETE; the quick rows are read back
from the database itself.
"""

from __future__ import annotations

import base64
import time
import xml.etree.ElementTree as ET

import pytest

from .dav_helpers import D, hrefs, multistatus
# The daemon of the CalDAV tests (users demo/demo and bob/bobpw in a SQL source, isAddressBook),
# on this module's `database`.
from .test_caldav_daemon_pg import server  # noqa: F401

pytestmark = pytest.mark.daemon

CARD = "{urn:ietf:params:xml:ns:carddav}"
NS = b'xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"'
BOOK = "/SOGo/dav/demo/Contacts/personal/"

PHOTO = base64.b64encode(bytes(range(256)) * 8).decode()
CARD3 = ("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:alice\r\nFN:Alice Example\r\nN:Example;Alice;;;\r\n"
         "EMAIL;TYPE=work:alice@example.org\r\nTEL;TYPE=cell:+1 555 0100\r\nORG:Example Org;Sales\r\n"
         "CATEGORIES:friends,work\r\nPHOTO;ENCODING=b;TYPE=JPEG:"
         + "\r\n ".join(PHOTO[i:i + 74] for i in range(0, len(PHOTO), 74)) + "\r\nEND:VCARD\r\n").encode()
CARD4 = ("BEGIN:VCARD\r\nVERSION:4.0\r\nUID:urn:uuid:bert\r\nFN:Bert Jönsson\r\nN:Jönsson;Bert;;;\r\n"
         "EMAIL;TYPE=home:bert@example.net\r\nADR;TYPE=work:;;Main St 1;Springfield;;;\r\n"
         "PHOTO:data:image/png;base64," + PHOTO[:300] + "\r\nEND:VCARD\r\n").encode()
VLIST = (b"BEGIN:VLIST\r\nVERSION:1.0\r\nUID:friends\r\nFN:Friends\r\n"
         b"CARD;EMAIL=alice@example.org;FN=Alice Example:alice.vcf\r\nEND:VLIST\r\n")
GROUP = (b"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:team\r\nFN:Team\r\nN:Team;;;;\r\n"
         b"X-ADDRESSBOOKSERVER-KIND:group\r\nX-ADDRESSBOOKSERVER-MEMBER:urn:uuid:bert\r\nEND:VCARD\r\n")
CARDS = {"alice.vcf": CARD3, "bert.vcf": CARD4, "friends.vcf": VLIST, "team.vcf": GROUP}


@pytest.fixture(scope="module", params=[(kind, layout) for kind in ("postgresql", "mariadb")
                                        for layout in ("per-folder", "combined")],
                ids=lambda p: "-".join(p))
def database(request):
    kind, layout = request.param
    db = request.getfixturevalue(f"{kind}_server").new_database("carddav")
    return db, layout == "combined"


def propfind(server, path, props: bytes, depth="0", auth=("demo", "demo")):
    body = b'<D:propfind ' + NS + b'><D:prop>' + props + b'</D:prop></D:propfind>'
    r = server.request("PROPFIND", path, data=body, auth=auth,
                       headers={"Depth": depth, "Content-Type": "application/xml"})
    assert r.status_code == 207, r.text
    return multistatus(r.content)


def report(server, path, body: bytes, auth=("demo", "demo")):
    r = server.request("REPORT", path, data=body, auth=auth,
                       headers={"Depth": "1", "Content-Type": "application/xml"})
    assert r.status_code == 207, r.text
    return r


def put(server, name, body, **headers):
    return server.request("PUT", BOOK + name, data=body,
                          headers={"Content-Type": "text/vcard; charset=utf-8", **headers})


def query(server, filter_xml: bytes) -> set[str]:
    body = (b'<C:addressbook-query ' + NS + b'><D:prop><D:getetag/></D:prop><C:filter>' + filter_xml
            + b'</C:filter></C:addressbook-query>')
    return {h for h, v in multistatus(report(server, BOOK, body).content).items() if "200" in v}


def text_match(prop: bytes, needle: bytes, match=b"contains") -> bytes:
    return (b'<C:prop-filter name="' + prop + b'"><C:text-match collation="i;unicode-casemap" match-type="'
            + match + b'">' + needle + b'</C:text-match></C:prop-filter>')


def sync(server, token: str) -> tuple[str, dict]:
    body = (b'<D:sync-collection xmlns:D="DAV:"><D:sync-token>' + token.encode() + b'</D:sync-token>'
            b'<D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>')
    r = report(server, BOOK, body)
    root = ET.fromstring(r.content)
    changes = {}
    for response in root.findall(D + "response"):
        status = response.findtext(D + "status")
        changes[response.findtext(D + "href")] = "404" if status and " 404 " in status else "200"
    return root.findtext(D + "sync-token"), changes


def quick_rows(db, combined) -> dict:
    """{c_name: row dict} of the demo personal book's quick rows, read from the database."""
    conn = db.connect()
    try:
        cur = conn.cursor()
        cur.execute("SELECT c_folder_id, c_quick_location FROM sogo_folder_info "
                    "WHERE c_path2 = 'demo' AND c_path3 = 'Contacts' AND c_path4 = 'personal'")
        folder_id, location = cur.fetchone()
        if combined:
            cur.execute("SELECT * FROM sogo_quick_contact WHERE c_folder_id = %s", (folder_id,))
        else:
            cur.execute(f"SELECT * FROM {location.rsplit('/', 1)[1]}")
        names = [c[0] for c in cur.description]
        return {row[names.index("c_name")]: dict(zip(names, row)) for row in cur.fetchall()}
    finally:
        conn.close()


def test_client_flow(server, database):
    db, combined = database
    # discovery: the well-known URL, the principal, the home set, the books
    r = server.request("PROPFIND", "/.well-known/carddav", allow_redirects=False, headers={"Depth": "0"})
    assert r.status_code in (301, 302, 307, 308) and r.headers["Location"].rstrip("/").endswith("/SOGo/dav")
    root = propfind(server, "/SOGo/dav/", b"<D:current-user-principal/>")
    principal = hrefs(next(iter(root.values()))["200"][D + "current-user-principal"])[0]
    assert principal == "/SOGo/dav/demo/"
    found = propfind(server, principal, b"<C:addressbook-home-set/>")[principal]["200"]
    home = hrefs(found[CARD + "addressbook-home-set"])[0]
    books = propfind(server, home, b"<D:resourcetype/><D:displayname/><D:sync-token/>", depth="1")
    personal = books[BOOK]["200"]
    assert CARD + "addressbook" in {c.tag for c in personal[D + "resourcetype"]}
    assert CARD + "directory" in {c.tag for c in books[home + "users/"]["200"][D + "resourcetype"]}
    token, changes = sync(server, "")
    assert changes == {}

    # PUT vCard 3 and 4 (photos), a VLIST and an Apple group; GET gives the same bytes back
    etags = {}
    for name, body in CARDS.items():
        r = put(server, name, body, **{"If-None-Match": "*"})
        assert r.status_code == 201, r.text
        etags[name] = r.headers["ETag"]
    for name, body in CARDS.items():
        r = server.request("GET", BOOK + name)
        assert r.status_code == 200 and r.content == body and r.headers["ETag"] == etags[name]
    listing = propfind(server, BOOK, b"<D:getetag/>", depth="1")
    assert {h: v["200"][D + "getetag"].text for h, v in listing.items() if h != BOOK} == \
        {BOOK + n: e for n, e in etags.items()}

    # the quick rows, straight from the tables
    rows = quick_rows(db, combined)
    assert set(rows) == set(CARDS)
    assert (rows["alice.vcf"]["c_cn"], rows["alice.vcf"]["c_mail"], rows["alice.vcf"]["c_o"],
            rows["alice.vcf"]["c_ou"], rows["alice.vcf"]["c_categories"]) == \
        ("Alice Example", "alice@example.org", "Example Org", "Sales", "friends,work")
    assert (rows["bert.vcf"]["c_sn"], rows["bert.vcf"]["c_l"]) == ("Jönsson", "Springfield")
    assert (rows["friends.vcf"]["c_component"], rows["friends.vcf"]["c_cn"]) == ("vlist", "Friends")
    assert rows["team.vcf"]["c_component"] == "vcard"

    # queries and multiget
    assert query(server, text_match(b"EMAIL", b"ALICE@")) == {BOOK + "alice.vcf"}
    assert query(server, text_match(b"FN", "jöns".encode())) == {BOOK + "bert.vcf"}
    assert query(server, text_match(b"FN", b"te", b"starts-with")) == {BOOK + "team.vcf"}
    body = (b'<C:addressbook-multiget ' + NS + b'><D:prop><D:getetag/><C:address-data/></D:prop>'
            + b"".join(b"<D:href>" + (BOOK + n).encode() + b"</D:href>" for n in ("alice.vcf", "team.vcf", "no.vcf"))
            + b'</C:addressbook-multiget>')
    result = multistatus(report(server, BOOK, body).content)
    data = result[BOOK + "alice.vcf"]["200"][CARD + "address-data"].text
    assert data.replace("\n", "\r\n") == CARD3.decode() or data == CARD3.decode()
    assert "X-ADDRESSBOOKSERVER-KIND:group" in result[BOOK + "team.vcf"]["200"][CARD + "address-data"].text
    assert "200" not in result.get(BOOK + "no.vcf", {})

    # sync: initial, then incremental with a change and a deletion. Tokens are epoch
    # seconds held one second back, so changes of the token's second would come again:
    # let that second pass first.
    time.sleep(1.1)
    token, changes = sync(server, token)
    assert changes == {BOOK + n: "200" for n in CARDS}
    full_token, full = sync(server, "")
    assert set(full) == {BOOK + n for n in CARDS}

    # conditional requests
    changed = CARD3.replace(b"FN:Alice Example", b"FN:Alice Changed")
    assert put(server, "alice.vcf", changed, **{"If-Match": '"wrong"'}).status_code == 412
    assert put(server, "alice.vcf", changed, **{"If-None-Match": "*"}).status_code == 412
    r = put(server, "alice.vcf", changed, **{"If-Match": etags["alice.vcf"]})
    assert r.status_code == 204 and r.headers["ETag"] != etags["alice.vcf"]
    assert put(server, "alice.vcf", CARD3, **{"If-Match": etags["alice.vcf"]}).status_code == 412   # lost update
    assert server.request("DELETE", BOOK + "bert.vcf", headers={"If-Match": '"wrong"'}).status_code == 412
    assert server.request("DELETE", BOOK + "bert.vcf", headers={"If-Match": etags["bert.vcf"]}).status_code == 204
    assert server.request("GET", BOOK + "bert.vcf").status_code == 404
    assert server.request("DELETE", BOOK + "bert.vcf").status_code == 404

    time.sleep(1.1)
    token2, changes = sync(server, token)
    assert changes == {BOOK + "alice.vcf": "200", BOOK + "bert.vcf": "404"}
    assert token2 != token
    assert sync(server, token2)[1] == {}
    assert query(server, text_match(b"FN", b"changed")) == {BOOK + "alice.vcf"}
    rows = quick_rows(db, combined)
    assert set(rows) == set(CARDS) - {"bert.vcf"} and rows["alice.vcf"]["c_cn"] == "Alice Changed"

    # another user sees nothing of it
    r = server.request("GET", BOOK + "alice.vcf", auth=("bob", "bobpw"))
    assert r.status_code in (403, 404)
    for name in ("alice.vcf", "friends.vcf", "team.vcf"):
        assert server.request("DELETE", BOOK + name).status_code == 204
    assert quick_rows(db, combined) == {}


def test_directory_book_of_the_sql_source(server):
    users = "/SOGo/dav/demo/Contacts/users/"
    body = (b'<C:addressbook-query ' + NS + b'><D:prop><D:getetag/><C:address-data/></D:prop><C:filter>'
            + text_match(b"EMAIL", b"bob@") + b'</C:filter></C:addressbook-query>')
    result = multistatus(report(server, users, body).content)
    assert list(result) == [users + "bob"]
    assert "FN:Bob" in result[users + "bob"]["200"][CARD + "address-data"].text
