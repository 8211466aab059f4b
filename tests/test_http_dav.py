"""In-process WSGI tests: authentication, principals, x-webobjects, bad input."""

from __future__ import annotations

import json

import pytest
from werkzeug.test import Client

from sogod.config import load_system_defaults
from sogod.http.app import create_app

from .dav_helpers import D, hrefs, multistatus
from .sogod_env import basic, embedded_config

CALDAV = "{urn:ietf:params:xml:ns:caldav}"

PROPFIND = (b'<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:" '
            b'xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:current-user-principal/>'
            b'<D:principal-URL/><D:displayname/><D:resourcetype/><C:calendar-user-address-set/>'
            b'<D:alternate-URI-set/></D:prop></D:propfind>')


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    directory = tmp_path_factory.mktemp("inproc")
    config = embedded_config(directory, extra_users=[
        ("alice@example.org", "s3cret", "Alice Liddell", "alice@example.org"),
        ("bob", "pässwörd", "Bob", "bob@example.com"),
    ], conf_extra="  WOMaxUploadSize = 64;")
    return Client(create_app(load_system_defaults(str(config), {})))


def propfind(client, path, auth=("demo", "demo"), depth="0", body=PROPFIND, **headers):
    hdrs = {"Depth": depth, "Content-Type": "application/xml", **headers}
    if auth:
        hdrs.update(basic(*auth))
    return client.open(path, method="PROPFIND", data=body, headers=hdrs)


def test_no_credentials_is_401_with_realm(client):
    r = propfind(client, "/SOGo/dav/demo/", auth=None)
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == 'basic realm="SOGo"'


@pytest.mark.parametrize("login, password", [("demo", "wrong"), ("nobody", "demo"), ("demo", ""),
                                             ("DEMO ", "x"), ("*", "demo")])
def test_wrong_password_and_unknown_user_are_the_same_401(client, login, password):
    r = propfind(client, "/SOGo/dav/demo/", auth=(login, password))
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == 'basic realm="SOGo"'


def test_principal_properties(client):
    r = propfind(client, "/SOGo/dav/demo/")
    assert r.status_code == 207
    assert r.headers["Content-Type"].startswith("text/xml")
    props = multistatus(r.data)["/SOGo/dav/demo/"]
    found = props["200"]
    assert hrefs(found[D + "current-user-principal"]) == ["/SOGo/dav/demo/"]
    assert hrefs(found[D + "principal-URL"]) == ["/SOGo/dav/demo/"]
    assert found[D + "displayname"].text == "Demo User"
    assert {c.tag for c in found[D + "resourcetype"]} == {D + "collection", D + "principal"}
    assert hrefs(found[CALDAV + "calendar-user-address-set"]) == ["mailto:demo@example.com", "/SOGo/dav/demo/"]
    assert D + "alternate-URI-set" in props["404"]


def test_root_answers_current_user_principal(client):
    r = propfind(client, "/SOGo/dav/", auth=("bob", "pässwörd"))
    assert r.status_code == 207
    root = multistatus(r.data)["/SOGo/dav/"]["200"]
    assert hrefs(root[D + "current-user-principal"]) == ["/SOGo/dav/bob/"]
    depth1 = multistatus(propfind(client, "/SOGo/dav/", auth=("bob", "pässwörd"), depth="1").data)
    assert set(depth1) == {"/SOGo/dav/", "/SOGo/dav/bob/"}


def test_login_with_percent40_is_an_at_sign(client):
    r = propfind(client, "/SOGo/dav/alice%40example.org/", auth=("alice%40example.org", "s3cret"))
    assert r.status_code == 207
    found = multistatus(r.data)["/SOGo/dav/alice@example.org/"]["200"]
    assert found[D + "displayname"].text == "Alice Liddell"


def test_allprop_without_body(client):
    r = client.open("/SOGo/dav/demo/", method="PROPFIND", headers={**basic("demo", "demo"), "Depth": "0"})
    assert r.status_code == 207
    found = multistatus(r.data)["/SOGo/dav/demo/"]["200"]
    assert D + "displayname" in found and D + "resourcetype" in found


def test_propname(client):
    body = b'<D:propfind xmlns:D="DAV:"><D:propname/></D:propfind>'
    found = multistatus(propfind(client, "/SOGo/dav/demo/", body=body).data)["/SOGo/dav/demo/"]["200"]
    assert all(len(el) == 0 and not (el.text or "").strip() for el in found.values())
    assert D + "displayname" in found


def test_unknown_user_path_is_404(client):
    assert propfind(client, "/SOGo/dav/nosuchuser/").status_code == 404


def test_options(client):
    r = client.options("/SOGo/dav/demo/", headers=basic("demo", "demo"))
    assert r.status_code == 200
    assert "PROPFIND" in r.headers["Allow"]
    assert "1" in r.headers["DAV"].split(", ")
    assert client.options("/SOGo/dav/").status_code == 401


def test_unsupported_method_is_405(client):
    r = client.open("/SOGo/dav/demo/", method="MOVE", headers=basic("demo", "demo"))
    assert r.status_code == 405
    assert "PROPFIND" in r.headers["Allow"]


def test_webobjects_headers_shape_absolute_urls(client):
    r = client.get("/.well-known/caldav", headers={"x-webobjects-server-url": "https://mail.example.com"})
    assert r.status_code == 301
    assert r.headers["Location"] == "https://mail.example.com/SOGo/dav/"
    r = client.get("/.well-known/carddav", headers={"x-webobjects-server-name": "dav.example.net",
                                                    "x-webobjects-server-port": "8443",
                                                    "x-webobjects-server-protocol": "HTTPS/1.0"})
    assert r.headers["Location"] == "https://dav.example.net:8443/SOGo/dav/"
    r = client.get("/.well-known/caldav", headers={"Host": "cal.example.org"})
    assert r.headers["Location"] == "http://cal.example.org/SOGo/dav/"
    r = client.get("/.well-known/caldav", headers={"x-webobjects-server-url": "javascript:alert(1)"})
    assert not r.headers["Location"].startswith("javascript")


@pytest.mark.parametrize("body", [
    b"<D:propfind xmlns:D='DAV:'><D:prop>",                      # truncated
    b"not xml at all",
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
    b'<D:propfind xmlns:D="DAV:"><D:prop><D:displayname>&lol2;</D:displayname></D:prop></D:propfind>',
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><x>&xxe;</x>',
    b'<D:other xmlns:D="DAV:"/>',
    b'<D:propfind xmlns:D="DAV:"/>',
])
def test_malformed_or_hostile_xml_is_400(client, body):
    r = propfind(client, "/SOGo/dav/demo/", body=body)
    assert r.status_code == 400
    assert b"root:" not in r.data


def test_bad_depth_is_400(client):
    assert propfind(client, "/SOGo/dav/demo/", depth="2").status_code == 400


def test_body_over_max_upload_size_is_413(client):
    big = PROPFIND + b" " * (70 * 1024)
    assert propfind(client, "/SOGo/dav/demo/", body=big).status_code == 413


@pytest.mark.parametrize("path", ["/SOGo/dav/demo/../bob/", "/SOGo/dav/demo/%2e%2e/bob/",
                                  "/SOGo/dav/%2e%2e/", "/SOGo/dav/demo/%00/"])
def test_path_escapes_are_refused(client, path):
    r = propfind(client, path)
    assert r.status_code in (400, 404)


def test_non_dav_paths(client):
    assert client.get("/SOGo/").status_code == 200
    assert client.get("/").status_code == 302
    assert client.get("/etc/passwd").status_code == 404
    assert client.post("/SOGo/Microsoft-Server-ActiveSync").status_code == 501


def test_too_many_requests_are_refused_with_429(tmp_path):
    config = embedded_config(tmp_path, extra_users=[("eve", "eve-pw", "Eve", "eve@example.com")])
    app = create_app(load_system_defaults(str(config), {
        "SOGoMaximumRequestCount": "3", "SOGoMaximumRequestInterval": "30", "SOGoRequestBlockInterval": "60"}))
    client, services = Client(app), app.app.services
    now = [1_800_000_000.0]
    services.request_limiter.clock = lambda: now[0]
    assert [propfind(client, "/SOGo/dav/demo/").status_code for _ in range(3)] == [207] * 3
    blocked = propfind(client, "/SOGo/dav/demo/")
    assert blocked.status_code == 429 and blocked.data == b""
    assert propfind(client, "/SOGo/dav/demo/", auth=("eve", "eve-pw")).status_code == 207   # others go on
    # nobody is locked out by requests naming them without their password
    assert [propfind(client, "/SOGo/dav/eve/", auth=("eve", "wrong")).status_code for _ in range(5)] == [401] * 5
    assert propfind(client, "/SOGo/dav/eve/", auth=("eve", "eve-pw")).status_code == 207
    count = json.loads(services.cache.get("demo+requestcount"))            # SOGo's key and fields
    assert count == {"RequestCount": 4, "InitialDate": 1_800_000_000}
    now[0] += 40                                                           # past the window, still blocked
    assert propfind(client, "/SOGo/dav/demo/").status_code == 429
    now[0] += 21                                                           # SOGoRequestBlockInterval passed
    assert propfind(client, "/SOGo/dav/demo/").status_code == 207


def test_requests_spread_over_the_interval_are_not_limited(tmp_path):
    config = embedded_config(tmp_path)
    app = create_app(load_system_defaults(str(config), {
        "SOGoMaximumRequestCount": "2", "SOGoMaximumRequestInterval": "10"}))
    client = Client(app)
    now = [1_800_000_000.0]
    app.app.services.request_limiter.clock = lambda: now[0]
    for _ in range(6):
        assert propfind(client, "/SOGo/dav/demo/").status_code == 207
        now[0] += 6                                  # two requests per 10 s window at most


@pytest.fixture(scope="module")
def proxy_client(tmp_path_factory):
    config = embedded_config(tmp_path_factory.mktemp("proxy"))
    return Client(create_app(load_system_defaults(str(config), {"SOGoTrustProxyAuthentication": "YES"})))


def test_proxy_authentication_is_off_by_default(client):
    assert _proxied(client, "demo").status_code == 401


def _proxied(client, user, peer="127.0.0.1"):
    return client.open("/SOGo/dav/demo/", method="PROPFIND", data=PROPFIND,
                       headers={"Depth": "0", "x-webobjects-remote-user": user},
                       environ_overrides={"REMOTE_ADDR": peer})


def test_proxy_authentication_from_a_trusted_front_end(proxy_client):
    r = _proxied(proxy_client, "demo")
    assert r.status_code == 207
    assert hrefs(multistatus(r.data)["/SOGo/dav/demo/"]["200"][D + "current-user-principal"]) == ["/SOGo/dav/demo/"]
    assert _proxied(proxy_client, "ghost").status_code == 403         # authenticated, but unknown here
    assert propfind(proxy_client, "/SOGo/dav/demo/", auth=("demo", "demo")).status_code == 207   # Basic still works


def test_proxy_header_from_elsewhere_is_ignored(proxy_client, caplog):
    assert _proxied(proxy_client, "demo", peer="192.0.2.7").status_code == 401
    assert "not in SOGodTrustedProxies" in caplog.text


def test_web_access_can_be_disabled(tmp_path):
    config = embedded_config(tmp_path)
    client = Client(create_app(load_system_defaults(str(config), {"SOGoWebAccessEnabled": "NO"})))
    r = client.post("/SOGo/connect", json={"userName": "demo", "password": "demo"})
    assert r.status_code == 403 and b"disabled" in r.data
    assert propfind(client, "/SOGo/dav/demo/").status_code == 207       # DAV stays
