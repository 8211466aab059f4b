"""Pure units: Basic header parsing, client address, public URL, access-log line."""

from __future__ import annotations

import base64

import pytest

from sogod.http.accesslog import format_line
from sogod.http.basic import parse_basic
from sogod.http.webobjects import client_address, server_url

TRUSTED = frozenset({"127.0.0.1", "::1"})


def b64(text: bytes) -> str:
    return "Basic " + base64.b64encode(text).decode()


@pytest.mark.parametrize("header, login, password", [
    (b64(b"user3:pass"), "user3", "pass"),
    (b64(b"user%40example.com:p:w"), "user@example.com", "p:w"),
    (b64("bob:pässwörd".encode()), "bob", "pässwörd"),
    (b64("bob:p\xe4ss".encode("latin-1")), "bob", "päss"),
    ("basic " + base64.b64encode(b"a:b").decode(), "a", "b"),
])
def test_basic_valid(header, login, password):
    creds = parse_basic(header)
    assert (creds.login, creds.password) == (login, password)
    assert password not in repr(creds) or not password


@pytest.mark.parametrize("header", [None, "", "Basic", "Basic AAAA", "Basic !!!!", "Bearer abc",
                                    'Digest username="x"', b64(b"nocolon"), b64(b":pw"),
                                    b64(b"a\x00b:c"), "Basic " + "A" * 10000])
def test_basic_invalid(header):
    assert parse_basic(header) is None


def test_client_address_trusts_only_proxies():
    env = {"REMOTE_ADDR": "203.0.113.5", "HTTP_X_FORWARDED_FOR": "10.0.0.1"}
    assert client_address(env, TRUSTED) == "203.0.113.5"
    env = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "1.2.3.4, 198.51.100.7"}
    assert client_address(env, TRUSTED) == "198.51.100.7"
    env = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_WEBOBJECTS_REMOTE_HOST": "2001:db8::1"}
    assert client_address(env, TRUSTED) == "2001:db8::1"
    env = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "<script>"}
    assert client_address(env, TRUSTED) == "127.0.0.1"


def test_server_url_sources():
    assert server_url({"HTTP_X_WEBOBJECTS_SERVER_URL": "https://m.example.com/"}) == "https://m.example.com"
    assert server_url({"HTTP_X_WEBOBJECTS_SERVER_NAME": "m.example.com", "HTTP_X_WEBOBJECTS_SERVER_PORT": "443",
                       "HTTP_X_WEBOBJECTS_SERVER_PROTOCOL": "HTTP/1.0"}) == "https://m.example.com"
    assert server_url({"HTTP_HOST": "h:20000", "wsgi.url_scheme": "http"}) == "http://h:20000"
    assert server_url({"HTTP_HOST": "evil\r\nx", "wsgi.url_scheme": "http"}) == "http://localhost"


def test_access_line_format_and_escaping():
    env = {"REQUEST_METHOD": "GET", "RAW_URI": '/SOGo/"x"\n', "SERVER_PROTOCOL": "HTTP/1.1",
           "CONTENT_LENGTH": "12", "sogod.remote_host": "192.0.2.1"}
    assert format_line(env, "200", 2531, 0.0034) == '192.0.2.1 "GET /SOGo/%22x%22%0A HTTP/1.1" 200 2531/12 0.003 - - 0'
