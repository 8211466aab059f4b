"""SQL user sources (guide §5.10) on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from sogod.auth import passwords
from sogod.auth.directory import UserDirectory
from sogod.auth.sources import SourceError, make_source
from sogod.cache import LocalCache
from sogod.config import load_system_defaults
from sogod.store import database
from sogod.store.urls import parse_store_url

USERS = [
    # c_uid, c_name, password, algorithm, c_cn, mail, extra mail, imap host, kind, bookings, domain, login alias
    ("user1", "u1", "pass1", "md5", "User One", "user1@example.com", "u1@alias.example.com one@example.com",
     "imap1.example.com", None, None, "example.com", "first"),
    ("user2", "u2", "pass2", "ssha256", "User Two", "user2@example.com", None, None, None, None, "example.com", None),
    ("room1", "r1", "roompw", "sha512-crypt", "Room One", "room1@example.com", None, None, "location", "2",
     "example.com", None),
    ("bob", "bob", "bobpw", "plain", "Bob", "bob@example.net", None, None, None, None, "example.net", None),
]

CREATE = """CREATE TABLE {t} (c_uid VARCHAR(255) PRIMARY KEY, c_name VARCHAR(255) NOT NULL,
 c_password VARCHAR(255) NOT NULL, c_cn VARCHAR(255), mail VARCHAR(255), mail2 VARCHAR(255),
 imaphost VARCHAR(255), kind VARCHAR(32), bookings VARCHAR(8), domain VARCHAR(255), alias VARCHAR(255),
 active INT DEFAULT 1)"""


@pytest.fixture
def users_url(any_database):
    url = any_database.url("sogo_users")
    engine = create_engine(parse_store_url(url).database_url)
    with engine.begin() as conn:
        conn.execute(text(CREATE.format(t="sogo_users")))
        for uid, name, pw, algo, cn, mail, mail2, imap, kind, bookings, domain, alias in USERS:
            stored = passwords.hash_password(pw, algo, prepend_scheme=(uid != "user1"))
            conn.execute(text("INSERT INTO sogo_users (c_uid, c_name, c_password, c_cn, mail, mail2, imaphost,"
                              " kind, bookings, domain, alias) VALUES (:u, :n, :p, :cn, :m, :m2, :i, :k, :b, :d, :a)"),
                         dict(u=uid, n=name, p=stored, cn=cn, m=mail, m2=mail2, i=imap, k=kind, b=bookings,
                              d=domain, a=alias))
    engine.dispose()
    yield url
    database.dispose_all()


def source(url, **entry):
    base = {"type": "sql", "id": "directory", "viewURL": url, "canAuthenticate": "YES",
            "isAddressBook": "YES", "userPasswordAlgorithm": "md5"}
    base.update(entry)
    return make_source(base, load_system_defaults(None, {}))


def test_authenticate_with_default_algorithm_and_prefixed_schemes(users_url):
    src = source(users_url)
    user = src.authenticate("user1", "pass1")
    assert user.uid == "user1" and user.cn == "User One" and user.emails == ("user1@example.com",)
    assert src.authenticate("user2", "pass2").uid == "user2"        # {SSHA256} prefix wins over md5
    assert src.authenticate("room1", "roompw").uid == "room1"       # {SHA512-CRYPT}
    assert src.authenticate("user1", "wrong") is None
    assert src.authenticate("nobody", "pass1") is None
    assert src.authenticate("USER1", "pass1").uid == "user1"        # logins are case-insensitive, as in SOGo


def test_optional_field_names(users_url):
    src = source(users_url, LoginFieldNames=["c_uid", "alias"], MailFieldNames=["mail2"],
                 IMAPHostFieldName="imaphost", IMAPLoginFieldName="c_name", SieveHostFieldName="imaphost",
                 KindFieldName="kind", MultipleBookingsFieldName="bookings")
    user = src.authenticate("first", "pass1")
    assert user.uid == "user1"
    assert user.emails == ("user1@example.com", "u1@alias.example.com", "one@example.com")
    assert user.imap_host == "imap1.example.com" and user.sieve_host == "imap1.example.com"
    assert user.imap_login == "u1"
    room = src.lookup("room1")
    assert room.kind == "location" and room.is_resource and room.multiple_bookings == 2
    assert "c_password" not in {k.lower() for k in room.attributes}


def test_authentication_filter_and_can_authenticate(users_url):
    assert source(users_url, authenticationFilter="kind IS NULL").authenticate("room1", "roompw") is None
    assert source(users_url, authenticationFilter="kind IS NULL").authenticate("user1", "pass1") is not None
    assert source(users_url, canAuthenticate="NO").authenticate("user1", "pass1") is None


def test_domain_field_and_domain_based_uid(users_url):
    defaults = load_system_defaults(None, {"SOGoEnableDomainBasedUID": "YES"})
    src = make_source({"type": "sql", "id": "d", "viewURL": users_url, "canAuthenticate": "YES",
                       "DomainFieldName": "domain", "userPasswordAlgorithm": "md5"}, defaults)
    user = src.authenticate("bob@example.net", "bobpw")
    assert user.uid == "bob@example.net" and user.domain == "example.net"
    assert src.authenticate("bob@example.com", "bobpw") is None
    assert src.lookup("bob@example.net").cn == "Bob"


def test_password_change_uses_the_source_algorithm(users_url):
    src = source(users_url, userPasswordAlgorithm="ssha512", prependPasswordScheme="YES")
    src.change_password("user2", "n3w")
    assert src.authenticate("user2", "pass2") is None
    assert src.authenticate("user2", "n3w").uid == "user2"
    engine = create_engine(parse_store_url(users_url).database_url)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT c_password FROM sogo_users WHERE c_uid = 'user2'")).scalar()
    engine.dispose()
    assert stored.startswith("{SSHA512}") and "n3w" not in stored


def test_sources_tried_in_order_and_credentials_cached(users_url, tmp_path):
    first = source(users_url, id="first", authenticationFilter="c_uid = 'user1'")
    second = source(users_url, id="second")
    directory = UserDirectory([first, second], LocalCache())
    assert directory.authenticate("user1", "pass1").source_id == "first"
    assert directory.authenticate("user2", "pass2").source_id == "second"
    assert directory.authenticate("user2", "nope") is None
    # Cached: served even when the source is gone, but only with the same password.
    second.url = parse_store_url("sqlite:///nonexistent/dir/x.db/sogo_users")
    second._table = None
    assert directory.authenticate("user2", "pass2").uid == "user2"
    assert directory.authenticate("user2", "pass3") is None


def test_unreachable_source_is_an_error_not_a_wrong_password():
    src = source("postgresql://sogo:secretpw@127.0.0.1:1/sogo/sogo_users")
    directory = UserDirectory([src], LocalCache())
    with pytest.raises(SourceError) as info:
        directory.authenticate("user1", "pass1")
    assert "secretpw" not in str(info.value)


def test_misconfigured_sources_are_clear_errors(users_url):
    with pytest.raises(SourceError, match="viewURL"):
        make_source({"type": "sql", "id": "x"}, None)
    with pytest.raises(SourceError, match="not supported"):
        make_source({"type": "nis", "id": "x"}, None)
    with pytest.raises(SourceError, match="userPasswordAlgorithm"):
        source(users_url, userPasswordAlgorithm="rot13")
