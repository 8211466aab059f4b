"""Directory address books: SQL user sources with isAddressBook = YES, read-only, searched."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from werkzeug.test import Client

import sogod.dav.handler  # noqa: F401  (registers the DAV extensions)
from sogod.carddav.directory import entry_etag, entry_vcard
from sogod.carddav.vcard import parse_vcard
from sogod.config import load_system_defaults
from sogod.http.app import create_app
from sogod.store import database
from sogod.store.urls import parse_store_url

from .dav_helpers import D, multistatus
from .sogod_env import basic, embedded_config

CARD = "{urn:ietf:params:xml:ns:carddav}"
DEMO = basic("demo", "demo")
NS = b'xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"'
PEOPLE = "/SOGo/dav/demo/Contacts/people/"

CREATE = """CREATE TABLE people (c_uid VARCHAR(64) PRIMARY KEY, c_name VARCHAR(64) NOT NULL,
 c_password VARCHAR(255) NOT NULL, c_cn VARCHAR(255), mail VARCHAR(255), givenname VARCHAR(64),
 sn VARCHAR(64), telephonenumber VARCHAR(64), fax VARCHAR(64), title VARCHAR(64), o VARCHAR(64),
 info VARCHAR(255))"""
ROWS = [
    ("jdoe", "John Doe", "john@example.com", "John", "Doe", "+1 555 1000", "+1 555 1001", "CEO", "Acme", "room 1"),
    ("asmith", "Anna Smith", "anna@example.com", "Anna", "Smith", None, None, None, "Acme", None),
    ("bjones", "Bert Jones", "bert@other.org", "Bert", "Jones", None, None, None, None, None),
]


def test_entry_vcard_mapping_is_pure():
    entry = {"c_name": "jdoe", "c_uid": "jdoe", "c_cn": "John Doe", "mail": "john@example.com",
             "givenName": "John", "sn": "Doe", "telephonenumber": "+1 555", "fax": "+1 556",
             "title": "CEO", "o": "Acme", "ou": "Board", "info": "room 1", "street": "Main St 1", "l": "Town",
             "birthyear": "1970", "birthmonth": "2", "birthday": "3", "mozillanickname": "jd"}
    text = entry_vcard(entry, {"facsimiletelephonenumber": ["fax"]}, "info")
    card = parse_vcard(text)
    assert card.uid.value == "jdoe" and card.fn.value == "John Doe"
    assert "N:Doe;John;;;" in text and "EMAIL;TYPE=work,pref:john@example.com" in text
    assert "TEL;TYPE=work:+1 555" in text and "TEL;TYPE=fax:+1 556" in text
    assert "ORG:Acme;Board" in text and "TITLE:CEO" in text and "NICKNAME:jd" in text
    assert "ADR;TYPE=work:;;Main St 1;Town;;;" in text and "BDAY:1970-02-03" in text
    assert "NOTE:room 1" in text
    assert entry_etag(text).startswith("hash") and entry_etag(text) == entry_etag(text)
    # FN falls back to givenname + sn
    assert "FN:Ann Lee" in entry_vcard({"c_name": "x", "givenname": "Ann", "sn": "Lee"})


def _people(db) -> str:
    url = db.url("people")
    engine = create_engine(parse_store_url(url).database_url)
    with engine.begin() as conn:
        conn.execute(text(CREATE))
        for row in ROWS:
            conn.execute(text("INSERT INTO people VALUES (:u, :u, 'x', :cn, :m, :g, :s, :t, :f, :ti, :o, :i)"),
                         dict(zip(("u", "cn", "m", "g", "s", "t", "f", "ti", "o", "i"), row)))
    engine.dispose()
    return url


def _defaults(tmp_path, url, overrides=None, **entry):
    config = embedded_config(tmp_path / "conf")
    defaults = load_system_defaults(str(config), {})
    source = {"type": "sql", "id": "people", "viewURL": url, "canAuthenticate": "NO", "isAddressBook": "YES",
              "displayName": "Company", "mapping": {"facsimiletelephonenumber": ["fax"]},
              "SOGoLDAPContactInfoAttribute": "info", **entry}
    sources = list(defaults.get("SOGoUserSources")) + [source]
    return load_system_defaults(str(config), {"SOGoUserSources": sources, **(overrides or {})})


def _client(tmp_path, url, overrides=None, **entry):
    return Client(create_app(_defaults(tmp_path, url, overrides, **entry)))


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def people_url(request, tmp_path):
    (tmp_path / "conf").mkdir()
    if request.param == "sqlite":
        from tests.services import SQLiteDatabase
        db = SQLiteDatabase(tmp_path / "people.db")
    else:
        db = request.getfixturevalue(f"{request.param}_server").new_database()
    yield _people(db)
    database.dispose_all()


def propfind(client, path, depth="1", body=b""):
    return client.open(path, method="PROPFIND", data=body, headers={**DEMO, "Depth": depth})


def query(client, filter_xml: bytes, path=PEOPLE):
    body = (b'<C:addressbook-query ' + NS + b'><D:prop><D:getetag/><C:address-data/></D:prop><C:filter'
            + filter_xml + b'</C:filter></C:addressbook-query>')
    r = client.open(path, method="REPORT", data=body, headers={**DEMO, "Depth": "1"})
    assert r.status_code == 207, r.data
    return {h: v["200"] for h, v in multistatus(r.data).items() if "200" in v}


def email(text_: bytes) -> bytes:
    return b'><C:prop-filter name="EMAIL"><C:text-match>' + text_ + b'</C:text-match></C:prop-filter>'


def test_directory_book_lists_only_by_search(tmp_path, people_url):
    client = _client(tmp_path, people_url)
    home = multistatus(propfind(client, "/SOGo/dav/demo/Contacts/", body=b'<D:propfind xmlns:D="DAV:"><D:prop>'
                                b'<D:displayname/><D:resourcetype/></D:prop></D:propfind>').data)
    props = home[PEOPLE]["200"]
    assert props[D + "displayname"].text == "Company"
    assert CARD + "directory" in {c.tag for c in props[D + "resourcetype"]}
    assert list(multistatus(propfind(client, PEOPLE).data)) == [PEOPLE]       # listRequiresDot
    assert query(client, b">") == {}                                             # nothing to search for
    assert query(client, email(b"x")) == {}                                      # shorter than 2 characters
    found = query(client, email(b"example.com"))
    assert set(found) == {PEOPLE + "jdoe", PEOPLE + "asmith"}
    data = found[PEOPLE + "jdoe"][CARD + "address-data"].text
    assert "TEL;TYPE=work:+1 555 1000" in data and "NOTE:room 1" in data and "FN:John Doe" in data
    assert "TEL;TYPE=fax:+1 555 1001" in data                                  # the source's mapping
    etag = found[PEOPLE + "jdoe"][D + "getetag"].text
    assert etag.startswith("hash")
    assert set(query(client, email(b"."))) == {PEOPLE + u for u in ("jdoe", "asmith", "bjones")}
    # the post-filter applies the full filter to what the source returned
    assert set(query(client, b'><C:prop-filter name="FN"><C:text-match match-type="starts-with">anna'
                             b'</C:text-match></C:prop-filter>')) == {PEOPLE + "asmith"}
    r = client.get(PEOPLE + "jdoe", headers=DEMO)
    assert r.status_code == 200 and r.headers["ETag"] == etag and b"UID:jdoe" in r.data
    assert client.get(PEOPLE + "nobody", headers=DEMO).status_code == 404
    body = (b'<C:addressbook-multiget ' + NS + b'><D:prop><D:getetag/></D:prop><D:href>' + PEOPLE.encode()
            + b'bjones</D:href><D:href>' + PEOPLE.encode() + b'zz</D:href></C:addressbook-multiget>')
    result = multistatus(client.open(PEOPLE, method="REPORT", data=body, headers=DEMO).data)
    assert "200" in result[PEOPLE + "bjones"] and PEOPLE + "zz" in result


def test_directory_is_read_only(tmp_path, people_url):
    client = _client(tmp_path, people_url)
    card = b"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:n\r\nFN:n\r\nEND:VCARD\r\n"
    assert client.put(PEOPLE + "n.vcf", data=card, headers={**DEMO, "Content-Type": "text/vcard"}).status_code \
        in (403, 404, 405)
    assert client.put(PEOPLE + "jdoe", data=card, headers={**DEMO, "Content-Type": "text/vcard"}).status_code \
        == 405
    assert client.delete(PEOPLE + "jdoe", headers=DEMO).status_code == 405
    assert client.delete(PEOPLE, headers=DEMO).status_code == 405
    assert client.open(PEOPLE, method="MKCOL", headers=DEMO).status_code == 405


def test_list_without_dot_minimum_length_and_limit(tmp_path, people_url):
    client = _client(tmp_path, people_url, listRequiresDot="NO", SOGoLDAPQueryLimit=2)
    listing = [h for h in multistatus(propfind(client, PEOPLE).data) if h != PEOPLE]
    assert len(listing) == 2                                                    # capped by SOGoLDAPQueryLimit
    assert len(query(client, b">")) == 2



def test_search_minimum_word_length(tmp_path, people_url):
    client = _client(tmp_path, people_url, overrides={"SOGoSearchMinimumWordLength": 4})
    assert query(client, email(b"org")) == {}
    assert set(query(client, email(b".org"))) == {PEOPLE + "bjones"}


def test_mapping_of_a_sql_source(tmp_path, people_url):
    # guide §5.6: ``mapping`` belongs to every source, SQL ones included: columns are tried in order
    mapping = {"facsimiletelephonenumber": ["fax"], "title": ["info", "o"], "mozillanickname": ["givenname"],
               "mail": ["nosuchcolumn", "mail"]}
    defaults = _defaults(tmp_path, people_url, mapping=mapping)
    assert not [w for w in defaults.warnings if "mapping" in w]
    client = Client(create_app(defaults))
    found = query(client, email(b"example.com"))
    jdoe = found[PEOPLE + "jdoe"][CARD + "address-data"].text
    asmith = found[PEOPLE + "asmith"][CARD + "address-data"].text
    assert "TEL;TYPE=fax:+1 555 1001" in jdoe and "TITLE:room 1" in jdoe and "NICKNAME:John" in jdoe
    assert "TITLE:Acme" in asmith and "NICKNAME:Anna" in asmith          # first non-empty column wins
    assert "EMAIL;TYPE=work,pref:anna@example.com" in asmith


# --------------------------------------------------------------------------- domains (guide §5.15)

def _domain_source(url, source_id, **extra):
    return {"type": "sql", "id": source_id, "viewURL": url, "canAuthenticate": "YES", "isAddressBook": "YES",
            "displayName": source_id, "userPasswordAlgorithm": "ssha256", "prependPasswordScheme": "YES",
            **extra}


@pytest.fixture
def domains_conf(tmp_path):
    """Domains a, b and c.example, a user in each (alice, bert, carol), plus dave of the top-level
    source whose DomainFieldName column puts him in b.example; demo's top-level source has no domain."""
    from sogod.auth.embedded_users import EmbeddedUsers
    from tests.services import SQLiteDatabase
    (tmp_path / "conf").mkdir()
    db = SQLiteDatabase(tmp_path / "domains.db")
    for table, uid in (("users_a", "alice"), ("users_b", "bert"), ("users_c", "carol"), ("users_d", "dave")):
        users = EmbeddedUsers(db.url(table))
        users.ensure_table()
        users.add(uid, "pw", cn=uid.title(), mail=f"{uid}@example.net")
    engine = create_engine(parse_store_url(db.url("users_d")).database_url)
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE users_d ADD COLUMN c_domain VARCHAR(64)"))
        conn.execute(text("UPDATE users_d SET c_domain = 'B.example'"))
    engine.dispose()
    database.dispose_all()
    config = embedded_config(tmp_path / "conf")
    top = list(load_system_defaults(str(config), {}).get("SOGoUserSources"))
    top.append(_domain_source(db.url("users_d"), "dir_d", DomainFieldName="c_domain"))
    domains = {f"{d}.example": {"SOGoUserSources": [_domain_source(db.url(f"users_{d}"), f"dir_{d}")]}
               for d in "abc"}

    def client(**overrides):
        defaults = load_system_defaults(str(config), {"SOGoUserSources": top, "domains": domains, **overrides})
        return Client(create_app(defaults))
    yield client
    database.dispose_all()


def _books(client, uid, password="pw") -> set[str]:
    body = b'<D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/></D:prop></D:propfind>'
    r = client.open(f"/SOGo/dav/{uid}/Contacts/", method="PROPFIND", data=body,
                    headers={**basic(uid, password), "Depth": "1"})
    assert r.status_code == 207, r.data
    return {h.rstrip("/").rsplit("/", 1)[1] for h, v in multistatus(r.data).items()
            if CARD + "directory" in {c.tag for c in v["200"][D + "resourcetype"]}}


def test_domains_are_isolated(domains_conf):
    client = domains_conf()
    # the top-level sources (users, dir_d) belong to every domain
    assert _books(client, "alice") == {"users", "dir_d", "dir_a"}
    assert _books(client, "bert") == {"users", "dir_d", "dir_b"}
    assert _books(client, "dave") == {"users", "dir_d", "dir_b"}        # c_domain = B.example
    assert _books(client, "demo", "demo") == {"users", "dir_d"}         # no domain: no domain's books
    # another domain's book cannot be reached by its URL either
    assert propfind(client, "/SOGo/dav/demo/Contacts/dir_a/", depth="0").status_code == 404
    r = client.open("/SOGo/dav/alice/Contacts/dir_b/", method="PROPFIND",
                    headers={**basic("alice", "pw"), "Depth": "0"})
    assert r.status_code == 404
    r = client.open("/SOGo/dav/alice/Contacts/dir_a/", method="PROPFIND",
                    headers={**basic("alice", "pw"), "Depth": "0"})
    assert r.status_code == 207


def test_domains_visibility(domains_conf):
    client = domains_conf(SOGoDomainsVisibility=[["a.example", "b.example"]])
    assert _books(client, "alice") == {"users", "dir_d", "dir_a", "dir_b"}
    assert _books(client, "dave") == {"users", "dir_d", "dir_a", "dir_b"}
    assert _books(client, "carol") == {"users", "dir_d", "dir_c"}
    body = (b'<C:addressbook-query ' + NS + b'><D:prop><D:getetag/></D:prop><C:filter>'
            b'<C:prop-filter name="EMAIL"><C:text-match>bert@</C:text-match></C:prop-filter>'
            b'</C:filter></C:addressbook-query>')
    r = client.open("/SOGo/dav/alice/Contacts/dir_b/", method="REPORT", data=body,
                    headers={**basic("alice", "pw"), "Depth": "1"})
    assert list(multistatus(r.data)) == ["/SOGo/dav/alice/Contacts/dir_b/bert"]


def test_visible_domains_is_pure():
    from sogod.auth.directory import UserDirectory
    from sogod.cache import LocalCache
    groups = [["a.example", "B.example"], ["b.example", "c.example"], "junk"]
    visible_domains = UserDirectory([], LocalCache(), visibility=groups).visible_domains
    assert visible_domains("a.example") == {"a.example", "b.example"}
    assert visible_domains("b.example") == {"a.example", "b.example", "c.example"}
    assert visible_domains("d.example") == {"d.example"}
    assert visible_domains(None) == set()
    assert UserDirectory([], LocalCache()).visible_domains("a.example") == {"a.example"}
