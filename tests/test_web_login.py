"""The web login, logoff and password change (``/SOGo/connect``,
``/SOGo/changePassword``, ``/SOGo/so/<user>/logoff``) in-process, on the
embedded SQLite store and SQL users: SOGo's session format, cookies, refusals."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from urllib.parse import unquote

import pytest
from werkzeug.test import Client

from sogod.config import load_system_defaults
from sogod.http.app import create_app
from sogod.web.session import COOKIE, parse_cookie, reveal

from .sogod_env import basic, embedded_config

PASSWORD = "Secr3t-pw!"


def _client(tmp_path, **overrides):
    config = embedded_config(tmp_path, extra_users=[("carol", PASSWORD, "Carol Stone", "carol@example.com")])
    app = create_app(load_system_defaults(str(config), overrides))
    return Client(app), app.app.services


def _connect(client, user="carol", password=PASSWORD, **extra):
    return client.post("/SOGo/connect", json={"userName": user, "password": password, **extra})


def _cookies(response) -> dict[str, str]:
    found = {}
    for header in response.headers.getlist("Set-Cookie"):
        name, _, rest = header.partition("=")
        found[name] = rest
    return found


def _value(set_cookie: str) -> str:
    return set_cookie.split(";", 1)[0]


def test_connect_opens_a_sogo_session(tmp_path, caplog):
    client, services = _client(tmp_path)
    with caplog.at_level(logging.INFO):
        r = _connect(client)
    assert r.status_code == 200, r.data
    assert r.json == {"cn": "Carol Stone", "expire": -1, "grace": -1}
    cookies = _cookies(r)
    session_cookie = cookies[COOKIE]
    assert session_cookie.startswith("basic%20") and "HttpOnly" in session_cookie and "path=/SOGo/" in session_cookie
    user_key, session_key = parse_cookie(_value(session_cookie))
    # the server keeps login:password XOR-ed with the user key, never in clear
    row = services.storage.sessions.get(session_key)
    assert row is not None and len(row.value) == 3010 and PASSWORD not in row.value
    credentials = reveal(row.value, user_key)
    assert (credentials.login, credentials.password) == ("carol", PASSWORD)
    assert services.cache.get(f"session:{session_key}") == row.value
    assert _value(cookies["XSRF-TOKEN"]) == hashlib.sha1(row.value.encode()).hexdigest()
    assert "SOGoLogin=;" in "SOGoLogin=" + cookies["SOGoLogin"] and "expires=" in cookies["SOGoLogin"]
    assert "successful login from" in caplog.text and PASSWORD not in caplog.text
    # the cookie, sent back as the browser does, names the session
    found = services.sessions.find(_value(session_cookie))
    assert found is not None and found.key == session_key and found.credentials.login == "carol"


def test_remember_login_cookie(tmp_path):
    client, _ = _client(tmp_path)
    cookies = _cookies(_connect(client, rememberLogin=1))
    assert _value(cookies["SOGoLogin"]) == base64.b64encode(b"carol").decode()
    assert "max-age=2592000" in cookies["SOGoLogin"]


@pytest.mark.parametrize("user,password", [("carol", "wrong"), ("nobody", "pw-of-nobody"), ("carol", ""), ("", PASSWORD)])
def test_refused_login_is_403_with_sogo_code(tmp_path, user, password, caplog):
    client, services = _client(tmp_path)
    with caplog.at_level(logging.INFO):
        r = _connect(client, user, password)
    assert r.status_code == 403
    assert r.content_type == "application/json" and r.json == {"LDAPPasswordPolicyError": 65535}
    assert COOKIE not in _cookies(r)
    assert "might not have worked" in caplog.text
    assert not password or password not in caplog.text


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b"\xff\xfe", b'"text"', b"x" * 70000])
def test_malformed_connect_body_is_400(tmp_path, body):
    client, _ = _client(tmp_path)
    r = client.post("/SOGo/connect", data=body, content_type="application/json")
    assert r.status_code == 400
    assert b"Traceback" not in r.data


def test_connect_only_by_post(tmp_path):
    client, _ = _client(tmp_path)
    assert client.get("/SOGo/connect").status_code == 405


def test_logoff_ends_the_session(tmp_path):
    client, services = _client(tmp_path)
    cookie = _value(_cookies(_connect(client))[COOKIE])
    _, session_key = parse_cookie(cookie)
    r = client.get("/SOGo/so/carol/logoff", headers={"Cookie": f"{COOKIE}={cookie}"})
    assert r.status_code == 302 and r.headers["Location"] == "/SOGo/so/"
    cookies = _cookies(r)
    assert _value(cookies[COOKIE]) == "discard" and "expires=Thu, 01-Jan-1970" in cookies[COOKIE]
    assert _value(cookies["XSRF-TOKEN"]) == "discard"
    assert services.storage.sessions.get(session_key) is None
    assert services.cache.get(f"session:{session_key}") is None
    assert services.sessions.find(cookie) is None


def test_session_outlives_the_cache(tmp_path):
    """A worker whose cache lost the session (another host, memcached restarted)
    finds it in the sessions table, and caches it again."""
    client, services = _client(tmp_path)
    cookie = _value(_cookies(_connect(client))[COOKIE])
    _, session_key = parse_cookie(cookie)
    services.cache.delete(f"session:{session_key}")
    found = services.sessions.find(cookie)
    assert found is not None and found.credentials.password == PASSWORD
    assert services.cache.get(f"session:{session_key}") is not None


@pytest.mark.parametrize("cookie", ["", "basic", "basic%20!!!", "digest%20abc", "basic%20" + "QQ==" * 3000,
                                    "basic%20" + base64.b64encode(b"no-colon").decode()])
def test_forged_cookies_name_no_session(tmp_path, cookie):
    _, services = _client(tmp_path)
    assert services.sessions.find(cookie) is None


def test_a_guessed_session_key_with_another_user_key_reveals_nothing(tmp_path):
    client, services = _client(tmp_path)
    cookie = _value(_cookies(_connect(client))[COOKIE])
    _, session_key = parse_cookie(cookie)
    forged_key = base64.b64encode(b"\x00" * 2255).decode()
    forged = "basic " + base64.b64encode(f"{forged_key}:{session_key}".encode()).decode()
    found = services.sessions.find(forged)
    assert found is None or found.credentials.password != PASSWORD


# --------------------------------------------------------------------------- password change

def _change(client, cookie=None, **body):
    headers = {"Cookie": f"{COOKIE}={cookie}"} if cookie else {}
    return client.post("/SOGo/changePassword", data=json.dumps(body), content_type="application/json",
                       headers=headers)


def test_password_change_needs_sogo_password_change_enabled(tmp_path):
    client, _ = _client(tmp_path)
    cookie = _value(_cookies(_connect(client))[COOKIE])
    r = _change(client, cookie, oldPassword=PASSWORD, newPassword="n3w-Password")
    assert r.status_code == 403 and r.json == {"LDAPPasswordPolicyError": -3}
    assert client.open("/SOGo/dav/carol/", method="PROPFIND", headers={"Depth": "0", **basic("carol", PASSWORD)}
                       ).status_code == 207


def test_password_change_in_a_session(tmp_path):
    client, services = _client(tmp_path, SOGoPasswordChangeEnabled="YES")
    cookie = _value(_cookies(_connect(client))[COOKIE])
    _, old_key = parse_cookie(cookie)
    wrong = _change(client, cookie, oldPassword="wrong", newPassword="n3w-Password")
    assert wrong.status_code == 403 and wrong.json == {"LDAPPasswordPolicyError": -1}
    for missing in ({"newPassword": "x"}, {"oldPassword": PASSWORD}):
        assert _change(client, cookie, **missing).status_code == 403
    r = _change(client, cookie, oldPassword=PASSWORD, newPassword="n3w-Password")
    assert r.status_code == 204
    new_cookie = _value(_cookies(r)[COOKIE])
    assert services.sessions.find(new_cookie).credentials.password == "n3w-Password"
    assert services.storage.sessions.get(old_key) is None          # the old session is gone
    dav = {"Depth": "0"}
    assert client.open("/SOGo/dav/carol/", method="PROPFIND", headers={**dav, **basic("carol", PASSWORD)}
                       ).status_code == 401                          # the cached credential too
    assert client.open("/SOGo/dav/carol/", method="PROPFIND", headers={**dav, **basic("carol", "n3w-Password")}
                       ).status_code == 207


def test_password_change_without_a_session_names_the_user(tmp_path):
    client, _ = _client(tmp_path, SOGoPasswordChangeEnabled="YES")
    assert _change(client, userName="carol", oldPassword="nope", newPassword="x2").status_code == 403
    assert _change(client, oldPassword=PASSWORD, newPassword="x2").status_code == 403
    r = _change(client, userName="carol", oldPassword=PASSWORD, newPassword="x2-Password")
    assert r.status_code == 204
    assert _connect(client, password="x2-Password").status_code == 200
    assert unquote(_value(_cookies(r)[COOKIE])).startswith("basic ")


# --------------------------------------------------------------------------- failed-login throttling

THROTTLE = {"SOGoMaximumFailedLoginCount": "3", "SOGoMaximumFailedLoginInterval": "30",
            "SOGoFailedLoginBlockInterval": "2"}


def test_only_quick_retries_are_refused(tmp_path):
    """Past the count, an attempt SOGoMaximumFailedLoginInterval seconds after the
    last failure is let through (and, failing, refused again for as long)."""
    client, services = _client(tmp_path, **{**THROTTLE, "SOGoFailedLoginBlockInterval": "600"})
    now = [1_800_000_000.0]
    services.directory.failed_logins.clock = lambda: now[0]
    assert [_dav(client, "wrong") for _ in range(3)] == [401] * 3
    now[0] += 29
    assert _dav(client, PASSWORD) == 401
    now[0] += 2                                   # 31 s after the last failure
    assert _dav(client, PASSWORD) == 207


def _dav(client, password):
    return client.open("/SOGo/dav/carol/", method="PROPFIND",
                       headers={"Depth": "0", **basic("carol", password)}).status_code


def test_repeated_failures_lock_the_login(tmp_path, caplog):
    client, services = _client(tmp_path, SOGoPasswordChangeEnabled="YES", **THROTTLE)
    now = [1_800_000_000.0]
    services.directory.failed_logins.clock = lambda: now[0]
    assert [_dav(client, "wrong") for _ in range(3)] == [401, 401, 401]
    count = json.loads(services.cache.get("carol+failedlogins"))      # SOGo's key and fields
    assert count["FailedCount"] == 3 and count["InitialDate"] <= count["LastRequestDate"]
    with caplog.at_level(logging.INFO):
        assert _dav(client, PASSWORD) == 401                           # the right password, refused
        r = _connect(client)
    assert r.status_code == 403 and r.json == {"LDAPPasswordPolicyError": 1}    # PolicyAccountLocked
    assert "too many failed attempts" in caplog.text
    # the password change is no way around it
    r = _change(client, userName="carol", oldPassword=PASSWORD, newPassword="other-Pw-1")
    assert r.json == {"LDAPPasswordPolicyError": 1}
    assert _connect(client, "other", "x-pw").json == {"LDAPPasswordPolicyError": 65535}   # others unaffected
    now[0] += 3                                                        # SOGoFailedLoginBlockInterval passed
    assert _dav(client, PASSWORD) == 207
    assert services.cache.get("carol+failedlogins") is None


def test_throttling_is_off_by_default(tmp_path):
    client, services = _client(tmp_path)
    assert [_dav(client, "wrong") for _ in range(5)] == [401] * 5
    assert services.cache.get("carol+failedlogins") is None
    assert _dav(client, PASSWORD) == 207


def test_a_forged_login_cannot_fake_log_lines(tmp_path, caplog):
    client, _ = _client(tmp_path)
    forged = "x'\nLogin from '203.0.113.9' for user 'root' might not have worked"
    with caplog.at_level(logging.INFO):
        assert _connect(client, forged, "pw-forged").status_code == 403
        assert client.open("/SOGo/dav/carol/", method="PROPFIND",
                           headers={"Depth": "0", **basic(forged, "pw-forged")}).status_code == 401
    lines = [r.getMessage() for r in caplog.records]
    assert lines and all("\n" not in line for line in lines)
    assert not any(line.startswith("Login from '203.0.113.9'") for line in lines)


@pytest.mark.parametrize("server", ["postgresql_server", "mariadb_server"])
def test_sessions_fit_a_sogo3_session_table(tmp_path, request, server):
    """A database set up by SOGo 3.x-5.5 has c_value VARCHAR(255): logins still work,
    with a shorter user key, as SOGo 3 made them."""
    database = request.getfixturevalue(server).new_database("oldsess")
    database.execute_script("CREATE TABLE sogo_sessions_folder (c_id VARCHAR(255) NOT NULL, "
                            "c_value VARCHAR(255) NOT NULL, c_creationdate INT NOT NULL, "
                            "c_lastseen INT NOT NULL, PRIMARY KEY (c_id))")
    client, services = _client(tmp_path, OCSSessionsFolderURL=database.url("sogo_sessions_folder"))
    assert services.storage.sessions.value_width == 255
    r = _connect(client)
    assert r.status_code == 200, r.data
    cookie = _value(_cookies(r)[COOKIE])
    _, session_key = parse_cookie(cookie)
    row = services.storage.sessions.get(session_key)
    assert len(row.value) <= 255
    services.cache.delete(f"session:{session_key}")
    found = services.sessions.find(cookie)
    assert (found.credentials.login, found.credentials.password) == ("carol", PASSWORD)
