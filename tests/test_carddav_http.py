"""CardDAV in-process: homes, address books, vCards, conditions, reports, sync, access."""

from __future__ import annotations

import base64

import pytest
from werkzeug.test import Client

from sogod.config import load_system_defaults
from sogod.http.app import create_app

from .dav_helpers import D, hrefs, multistatus
from .sogod_env import basic, embedded_config

CARD = "{urn:ietf:params:xml:ns:carddav}"
CS = "{http://calendarserver.org/ns/}"
DEMO = basic("demo", "demo")
BOB = basic("bob", "bobpw")
BOOK = "/SOGo/dav/demo/Contacts/personal/"
NS = b'xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"'

VCARD = ("BEGIN:VCARD\r\nVERSION:{version}\r\nUID:{uid}\r\nFN:{fn}\r\nN:{n}\r\n"
         "EMAIL;TYPE=work:{email}\r\nTEL;TYPE=cell:+1 555 0100\r\nORG:Example Org\r\n"
         "NICKNAME:{nick}\r\nCATEGORIES:friends,work\r\n{extra}END:VCARD\r\n")


def vcard(uid="c1", fn="Alice Example", n="Example;Alice;;;", email="alice@example.org", nick="ali",
          version="3.0", extra=""):
    return VCARD.format(uid=uid, fn=fn, n=n, email=email, nick=nick, version=version, extra=extra).encode()


@pytest.fixture
def client(tmp_path):
    config = embedded_config(tmp_path, extra_users=[("bob", "bobpw", "Bob", "bob@example.com")],
                             conf_extra="  WOMaxUploadSize = 64;")
    return Client(create_app(load_system_defaults(str(config), {})))


def put(client, path, body, auth=DEMO, content_type="text/vcard", **headers):
    return client.put(path, data=body, headers={**auth, "Content-Type": content_type, **headers})


def propfind(client, path, body, depth="0", auth=DEMO):
    return client.open(path, method="PROPFIND", data=body, headers={**auth, "Depth": depth})


def report(client, path, body, auth=DEMO):
    return client.open(path, method="REPORT", data=body,
                       headers={**auth, "Depth": "1", "Content-Type": "application/xml"})


def query(client, filter_xml: bytes, path=BOOK, prop=b"<D:getetag/>", extra=b"", auth=DEMO):
    body = (b'<C:addressbook-query ' + NS + b'><D:prop>' + prop + b'</D:prop><C:filter' + filter_xml
            + b'</C:filter>' + extra + b'</C:addressbook-query>')
    return report(client, path, body, auth=auth)


def found(response) -> set[str]:
    assert response.status_code == 207, response.data
    return {h for h, v in multistatus(response.data).items() if "200" in v}


def test_discovery_personal_book_and_options(client):
    r = propfind(client, "/SOGo/dav/demo/", b'<D:propfind ' + NS + b'><D:prop><C:addressbook-home-set/>'
                 b'</D:prop></D:propfind>')
    home = multistatus(r.data)["/SOGo/dav/demo/"]["200"][CARD + "addressbook-home-set"]
    assert hrefs(home) == ["/SOGo/dav/demo/Contacts/"]
    r = propfind(client, "/SOGo/dav/demo/Contacts/", b'<D:propfind ' + NS + b'><D:prop><D:displayname/>'
                 b'<D:resourcetype/><C:supported-address-data/><C:supported-collation-set/></D:prop>'
                 b'</D:propfind>', depth="1")
    result = multistatus(r.data)
    personal = result[BOOK]["200"]
    assert personal[D + "displayname"].text == "Personal Address Book"
    kinds = {c.tag for c in personal[D + "resourcetype"]}
    assert {CARD + "addressbook", "{http://groupdav.org/}vcard-collection", D + "collection"} <= kinds
    assert {c.text for c in personal[CARD + "supported-collation-set"]} >= {"i;unicode-casemap",
                                                                            "i;ascii-casemap"}
    versions = {e.get("version") for e in personal[CARD + "supported-address-data"]}
    assert versions == {"3.0", "4.0"}
    # the embedded SQL user source is an address book too
    users = result["/SOGo/dav/demo/Contacts/users/"]["200"]
    assert users[D + "displayname"].text == "Users"
    assert CARD + "directory" in {c.tag for c in users[D + "resourcetype"]}
    r = client.options(BOOK, headers=DEMO)
    assert "addressbook" in r.headers["DAV"]


def test_put_get_head_delete_with_conditions(client):
    r = put(client, BOOK + "c1.vcf", vcard(), **{"If-None-Match": "*"})
    assert r.status_code == 201 and r.headers["ETag"] == '"gcs00000000"'
    assert put(client, BOOK + "c1.vcf", vcard(), **{"If-None-Match": "*"}).status_code == 412
    r = client.get(BOOK + "c1.vcf", headers=DEMO)
    assert r.status_code == 200 and r.data == vcard() and r.headers["ETag"] == '"gcs00000000"'
    assert r.headers["Content-Type"].startswith("text/x-vcard")
    assert client.head(BOOK + "c1.vcf", headers=DEMO).headers["ETag"] == '"gcs00000000"'
    assert client.get(BOOK + "c1.vcf", headers={**DEMO, "If-None-Match": '"gcs00000000"'}).status_code == 304
    assert put(client, BOOK + "c1.vcf", vcard(fn="Alice B"), **{"If-Match": '"gcs00000007"'}).status_code == 412
    r = put(client, BOOK + "c1.vcf", vcard(fn="Alice B"), **{"If-Match": '"gcs00000000"'})
    assert r.status_code == 204 and r.headers["ETag"] == '"gcs00000001"'
    assert client.delete(BOOK + "c1.vcf", headers={**DEMO, "If-Match": '"gcs00000000"'}).status_code == 412
    assert client.delete(BOOK + "c1.vcf", headers={**DEMO, "If-Match": '"gcs00000001"'}).status_code == 204
    assert client.get(BOOK + "c1.vcf", headers=DEMO).status_code == 404


def test_vcard4_lists_groups_and_photo_byte_for_byte(client):
    photo = base64.b64encode(bytes(range(256)) * 4).decode()
    folded = "\r\n ".join(photo[i:i + 70] for i in range(0, len(photo), 70))
    card4 = vcard(uid="v4", version="4.0", extra=f"PHOTO:data:image/jpeg;base64,{folded}\r\n")
    assert put(client, BOOK + "v4.vcf", card4).status_code == 201
    assert client.get(BOOK + "v4.vcf", headers=DEMO).data == card4
    vlist = (b"BEGIN:VLIST\r\nVERSION:1.0\r\nUID:list1\r\nFN:Friends\r\n"
             b"CARD;EMAIL=alice@example.org;FN=Alice:c1.vcf\r\nEND:VLIST\r\n")
    assert put(client, BOOK + "list1.vcf", vlist).status_code == 201
    assert client.get(BOOK + "list1.vcf", headers=DEMO).data == vlist
    group = (b"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:grp\r\nFN:Team\r\nN:Team\r\n"
             b"X-ADDRESSBOOKSERVER-KIND:group\r\nX-ADDRESSBOOKSERVER-MEMBER:urn:uuid:v4\r\nEND:VCARD\r\n")
    assert put(client, BOOK + "grp.vcf", group).status_code == 201
    assert client.get(BOOK + "grp.vcf", headers=DEMO).data == group
    folder = client.application.app.services.storage.folders.get("demo", "Contacts", "personal")
    rows = {r.c_name: r for r in folder.quick_rows()}
    assert rows["list1.vcf"].c_component == "vlist" and rows["list1.vcf"].c_cn == "Friends"
    assert rows["v4.vcf"].c_mail == "alice@example.org" and rows["v4.vcf"].c_sn == "Example"
    assert rows["v4.vcf"].c_categories == "friends,work"


@pytest.mark.parametrize("body", [b"not a vcard", b"BEGIN:VCARD\r\nVERSION:9.9\r\nFN:x\r\nEND:VCARD\r\n",
                                  b"BEGIN:VCARD\r\nFN:x\r\n", b"\xff\xfe bad utf-8",
                                  vcard() + vcard(uid="second")])
def test_invalid_vcards_are_400_and_nothing_stored(client, body):
    r = put(client, BOOK + "bad.vcf", body)
    assert r.status_code == 400 and b"valid-address-data" in r.data
    assert client.get(BOOK + "bad.vcf", headers=DEMO).status_code == 404


def test_huge_photo_is_413_and_not_stored(client):
    photo = base64.b64encode(b"\0" * 100_000).decode()
    r = put(client, BOOK + "big.vcf", vcard(uid="big", extra=f"PHOTO;ENCODING=b:{photo}\r\n"))
    assert r.status_code == 413
    assert client.get(BOOK + "big.vcf", headers=DEMO).status_code == 404


def test_uid_unique_per_book(client):
    assert put(client, BOOK + "a.vcf", vcard(uid="same")).status_code == 201
    r = put(client, BOOK + "b.vcf", vcard(uid="same"))
    assert r.status_code == 409 and b"no-uid-conflict" in r.data
    assert put(client, BOOK + "a.vcf", vcard(uid="same", fn="Again")).status_code == 204
    assert put(client, BOOK + "c.vcf", vcard(uid="sam")).status_code == 201     # a prefix is another UID


def _fill(client):
    put(client, BOOK + "alice.vcf", vcard(uid="alice", fn="Alice Example", email="alice@example.org"))
    put(client, BOOK + "bob.vcf", vcard(uid="bob", fn="Bob Sample", n="Sample;Bob;;;", email="bob@example.net",
                                        nick="bobby"))
    put(client, BOOK + "eve.vcf", vcard(uid="eve", fn="Ève Müller", n="Müller;Ève;;;", email="eve@EXAMPLE.com",
                                        nick="evi"))


def test_addressbook_query_filters(client):
    _fill(client)
    base = BOOK
    tm = b'<C:text-match collation="%s" match-type="%s">%s</C:text-match>'

    def one(prop, text, collation=b"i;unicode-casemap", match=b"contains"):
        return b'><C:prop-filter name="' + prop + b'">' + tm % (collation, match, text) + b'</C:prop-filter>'
    assert found(query(client, one(b"FN", b"alice"))) == {base + "alice.vcf"}            # SOGo never does FN
    assert found(query(client, one(b"FN", "èVE".encode()))) == {base + "eve.vcf"}
    assert found(query(client, one(b"FN", "èVE".encode(), b"i;ascii-casemap"))) == set()
    assert found(query(client, one(b"EMAIL", b"example.com", b"i;ascii-casemap"))) == {base + "eve.vcf"}
    assert found(query(client, one(b"EMAIL", b"example", match=b"starts-with"))) == set()
    assert found(query(client, one(b"EMAIL", b"@example.net", match=b"ends-with"))) == {base + "bob.vcf"}
    assert found(query(client, one(b"NICKNAME", b"bobby", match=b"equals"))) == {base + "bob.vcf"}
    assert found(query(client, one(b"N", b"sample"))) == {base + "bob.vcf"}
    assert found(query(client, one(b"UID", b"eve", match=b"equals"))) == {base + "eve.vcf"}
    assert found(query(client, one(b"ORG", b"example org"))) == {base + f for f in ("alice.vcf", "bob.vcf",
                                                                                     "eve.vcf")}
    assert found(query(client, one(b"CATEGORIES", b"friends"))) == {base + f for f in ("alice.vcf", "bob.vcf",
                                                                                        "eve.vcf")}
    negated = b'><C:prop-filter name="EMAIL"><C:text-match negate-condition="yes">example.org</C:text-match>' \
              b'</C:prop-filter>'
    assert found(query(client, negated)) == {base + "bob.vcf", base + "eve.vcf"}
    anyof = (b'><C:prop-filter name="FN"><C:text-match>alice</C:text-match></C:prop-filter>'
             b'<C:prop-filter name="EMAIL"><C:text-match>.net</C:text-match></C:prop-filter>')
    assert found(query(client, anyof)) == {base + "alice.vcf", base + "bob.vcf"}
    allof = (b' test="allof"><C:prop-filter name="FN"><C:text-match>a</C:text-match></C:prop-filter>'
             b'<C:prop-filter name="EMAIL"><C:text-match>.org</C:text-match></C:prop-filter>')
    assert found(query(client, allof)) == {base + "alice.vcf"}
    param = (b'><C:prop-filter name="TEL"><C:param-filter name="TYPE"><C:text-match match-type="equals">'
             b'CELL</C:text-match></C:param-filter></C:prop-filter>')
    assert len(found(query(client, param))) == 3
    missing = b'><C:prop-filter name="X-AIM"><C:is-not-defined/></C:prop-filter>'
    assert len(found(query(client, missing))) == 3
    assert len(found(query(client, b">"))) == 3                      # an empty filter matches all


def test_query_limit_and_address_data_subset(client):
    _fill(client)
    r = query(client, b">", extra=b"<C:limit><C:nresults>2</C:nresults></C:limit>")
    result = multistatus(r.data)
    assert len([h for h, v in result.items() if "200" in v]) == 2
    assert b"507" in r.data
    r = query(client, b'><C:prop-filter name="UID"><C:text-match>alice</C:text-match></C:prop-filter>',
              prop=b'<C:address-data><C:prop name="EMAIL"/><C:prop name="FN"/></C:address-data>')
    data = multistatus(r.data)[BOOK + "alice.vcf"]["200"][CARD + "address-data"].text
    assert "EMAIL;TYPE=work:alice@example.org" in data and "FN:Alice Example" in data
    assert "TEL" not in data and "NICKNAME" not in data and data.startswith("BEGIN:VCARD")


@pytest.mark.parametrize("filter_xml,status,condition", [
    (b'><C:prop-filter name="FOO"><C:text-match>x</C:text-match></C:prop-filter>', 400, b"valid-filter"),
    (b'><C:prop-filter name="FN"><C:text-match collation="i;klingon">x</C:text-match></C:prop-filter>', 403,
     b"supported-collation"),
    (b'><C:prop-filter name="FN"><C:text-match match-type="sounds-like">x</C:text-match></C:prop-filter>', 400,
     b"valid-filter"),
    (b' test="some"><C:prop-filter name="FN"/>', 400, b"valid-filter"),
])
def test_bad_queries_are_4xx(client, filter_xml, status, condition):
    r = query(client, filter_xml)
    assert r.status_code == status and condition in r.data


def test_multiget_and_sync(client):
    _fill(client)
    body = (b'<C:addressbook-multiget ' + NS + b'><D:prop><D:getetag/><C:address-data/></D:prop>'
            b'<D:href>' + BOOK.encode() + b'alice.vcf</D:href><D:href>' + BOOK.encode() + b'nope.vcf</D:href>'
            b'</C:addressbook-multiget>')
    r = report(client, BOOK, body)
    result = multistatus(r.data)
    assert "UID:alice" in result[BOOK + "alice.vcf"]["200"][CARD + "address-data"].text
    assert b"404" in r.data
    sync = (b'<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level>'
            b'<D:prop><D:getetag/></D:prop></D:sync-collection>')
    r = report(client, BOOK, sync)
    assert len([h for h in multistatus(r.data) if h.endswith(".vcf")]) == 3


def test_mkcol_proppatch_delete_and_export(client):
    mkcol = (b'<D:mkcol ' + NS + b'><D:set><D:prop><D:resourcetype><D:collection/><C:addressbook/>'
             b'</D:resourcetype><D:displayname>Work</D:displayname>'
             b'<C:addressbook-description>colleagues</C:addressbook-description></D:prop></D:set></D:mkcol>')
    r = client.open("/SOGo/dav/demo/Contacts/work/", method="MKCOL", data=mkcol, headers=DEMO)
    assert r.status_code == 201
    work = "/SOGo/dav/demo/Contacts/work/"
    patch = (b'<D:propertyupdate ' + NS + b'><D:set><D:prop><D:displayname>Job</D:displayname>'
             b'<C:addressbook-description>the office</C:addressbook-description></D:prop></D:set>'
             b'</D:propertyupdate>')
    assert b"200 OK" in client.open(work, method="PROPPATCH", data=patch, headers=DEMO).data
    props = multistatus(propfind(client, work, b"").data)[work]["200"]
    assert props[D + "displayname"].text == "Job"
    assert props[CARD + "addressbook-description"].text == "the office"
    put(client, work + "a.vcf", vcard(uid="a"))
    put(client, work + "b.vcf", vcard(uid="b", fn="Bee"))
    export = client.get("/SOGo/dav/demo/Contacts/work.vcf", headers=DEMO)
    assert export.status_code == 200 and export.data.count(b"BEGIN:VCARD") == 2
    assert client.delete(BOOK, headers=DEMO).status_code == 403          # not personal
    assert client.delete(work, headers=DEMO).status_code == 204
    assert propfind(client, work, b"").status_code == 404
    assert client.delete("/SOGo/dav/demo/Contacts/users/", headers=DEMO).status_code == 405


def test_roles_on_address_books(client):
    put(client, BOOK + "c1.vcf", vcard())
    folder = client.application.app.services.storage.folders.get("demo", "Contacts", "personal")
    assert client.get(BOOK + "c1.vcf", headers=BOB).status_code == 404
    folder.set_roles("bob", None, ["ObjectViewer"])
    assert client.get(BOOK + "c1.vcf", headers=BOB).status_code == 200
    assert BOOK + "c1.vcf" in multistatus(propfind(client, BOOK, b"", depth="1", auth=BOB).data)
    assert put(client, BOOK + "c1.vcf", vcard(fn="x"), auth=BOB).status_code == 403
    assert put(client, BOOK + "c2.vcf", vcard(uid="c2"), auth=BOB).status_code == 403
    assert client.delete(BOOK + "c1.vcf", headers=BOB).status_code == 403
    folder.set_roles("bob", None, ["ObjectEditor", "ObjectCreator", "ObjectEraser"])
    assert put(client, BOOK + "c1.vcf", vcard(fn="edited"), auth=BOB).status_code == 204
    assert put(client, BOOK + "c2.vcf", vcard(uid="c2"), auth=BOB).status_code == 201
    assert client.delete(BOOK + "c2.vcf", headers=BOB).status_code == 204
    patch = (b'<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:displayname>mine</D:displayname>'
             b'</D:prop></D:set></D:propertyupdate>')
    assert b"403 Forbidden" in client.open(BOOK, method="PROPPATCH", data=patch, headers=BOB).data
    r = client.open("/SOGo/dav/demo/Contacts/x/", method="MKCOL", data=b"", headers=BOB)
    assert r.status_code == 403


def test_addressbook_dav_access_can_be_closed(tmp_path):
    config = embedded_config(tmp_path, conf_extra="  SOGoAddressBookDAVAccessEnabled = NO;")
    client = Client(create_app(load_system_defaults(str(config), {})))
    assert propfind(client, BOOK, b"").status_code == 404
    r = propfind(client, "/SOGo/dav/demo/", b'<D:propfind ' + NS + b'><D:prop><C:addressbook-home-set/>'
                 b'</D:prop></D:propfind>')
    assert "404" in multistatus(r.data)["/SOGo/dav/demo/"]


def test_query_prefilter_never_loses_a_match(client):
    _fill(client)
    two_fn = (b"BEGIN:VCARD\r\nVERSION:4.0\r\nUID:twofn\r\nFN:Zed First\r\nFN;LANGUAGE=fr:Zoe Seconde\r\n"
              b"END:VCARD\r\n")
    assert put(client, BOOK + "twofn.vcf", two_fn).status_code == 201
    long_fn = vcard(uid="long", fn="A" * 300 + " Needle")
    assert put(client, BOOK + "long.vcf", long_fn).status_code == 201

    def fn(text_, collation=b"i;unicode-casemap"):
        return query(client, b'><C:prop-filter name="FN"><C:text-match collation="' + collation + b'">' + text_
                     + b'</C:text-match></C:prop-filter>')
    assert found(fn(b"seconde")) == {BOOK + "twofn.vcf"}
    assert found(fn(b"needle", b"i;ascii-casemap")) == {BOOK + "long.vcf"}
    assert found(fn("ève".encode())) == {BOOK + "eve.vcf"}
    email = b'><C:prop-filter name="EMAIL"><C:text-match match-type="equals">BOB@EXAMPLE.NET</C:text-match>' \
            b'</C:prop-filter>'
    assert found(query(client, email)) == {BOOK + "bob.vcf"}


def test_default_roles_and_contacts_default_roles(tmp_path, client):
    put(client, BOOK + "c1.vcf", vcard())
    folder = client.application.app.services.storage.folders.get("demo", "Contacts", "personal")
    folder.set_roles("<default>", None, ["ObjectViewer"])
    assert client.get(BOOK + "c1.vcf", headers=BOB).status_code == 200
    assert put(client, BOOK + "c2.vcf", vcard(uid="c2"), auth=BOB).status_code == 403
    config = embedded_config(tmp_path / "other", extra_users=[("bob", "bobpw", "Bob", "bob@example.com")],
                             conf_extra="  SOGoContactsDefaultRoles = (ObjectViewer, ObjectCreator);")
    other = Client(create_app(load_system_defaults(str(config), {})))
    put(other, BOOK + "c1.vcf", vcard())
    assert other.get(BOOK + "c1.vcf", headers=BOB).status_code == 200
    assert put(other, BOOK + "c2.vcf", vcard(uid="c2"), auth=BOB).status_code == 201
    assert other.delete(BOOK + "c2.vcf", headers=BOB).status_code == 403


def test_roles_per_card(client):
    put(client, BOOK + "c1.vcf", vcard())
    put(client, BOOK + "c2.vcf", vcard(uid="c2"))
    folder = client.application.app.services.storage.folders.get("demo", "Contacts", "personal")
    folder.set_roles("bob", None, ["ObjectViewer"])
    folder.set_roles("bob", folder.acl_object + "/c1.vcf", ["ObjectEditor"])
    folder.set_roles("bob", folder.acl_object + "/c2.vcf", [])
    assert put(client, BOOK + "c1.vcf", vcard(fn="edited by bob"), auth=BOB).status_code == 204
    assert client.get(BOOK + "c2.vcf", headers=BOB).status_code == 404
