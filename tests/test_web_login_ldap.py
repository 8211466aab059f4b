"""The web login and password change against the real slapd's password policy
(ppolicy overlay): the reason of a refusal reaches the caller as SOGo's
``LDAPPasswordPolicyError`` code, and a password the policy wants changed can
be changed by its owner at the login page."""

from __future__ import annotations

import json

import ldap
import pytest
from werkzeug.test import Client

from sogod.config import load_system_defaults
from sogod.http.app import create_app
from sogod.web.session import COOKIE

from .ldap_server import BIND_DN, BIND_PASSWORD
from .sogod_env import basic, embedded_config

POLICY_USERS = "ou=pwpolicy,dc=example,dc=com"
STRICT = "cn=strict,ou=policies,dc=example,dc=com"


@pytest.fixture
def client(tmp_path, ldap_server):
    config = embedded_config(tmp_path)
    source = {"type": "ldap", "id": "pp", "hostname": ldap_server.url, "baseDN": POLICY_USERS,
              "bindDN": BIND_DN, "bindPassword": BIND_PASSWORD, "CNFieldName": "cn", "IDFieldName": "uid",
              "UIDFieldName": "uid", "canAuthenticate": "YES", "passwordPolicy": "YES"}
    app = create_app(load_system_defaults(str(config), {"SOGoUserSources": [source],
                                                        "SOGoPasswordChangeEnabled": "YES"}))
    ldap_server.reset()            # other tests use grace logins up too
    yield Client(app)
    ldap_server.reset()            # grace logins used, passwords changed


def _connect(client, user, password):
    return client.post("/SOGo/connect", json={"userName": user, "password": password})


def _change(client, **body):
    return client.post("/SOGo/changePassword", data=json.dumps(body), content_type="application/json")


def test_expired_password_is_reported(client):
    r = _connect(client, "expired", "expired-pw")
    assert r.status_code == 403 and r.json == {"LDAPPasswordPolicyError": 0}      # PolicyPasswordExpired
    assert _connect(client, "expired", "wrong").json == {"LDAPPasswordPolicyError": 65535}
    # an expired password without grace cannot be changed by its owner either
    r = _change(client, userName="expired", oldPassword="expired-pw", newPassword="Brand-new-1")
    assert r.status_code == 403 and r.json == {"LDAPPasswordPolicyError": 0}


def test_grace_logins_are_reported(client):
    r = _connect(client, "grace", "grace-pw")
    assert r.status_code == 200, r.data
    assert r.json["expire"] == -1 and r.json["grace"] == 2        # pwdGraceAuthNLimit 3, one used now


def test_must_change_after_reset_then_change_at_the_login_page(client, ldap_server):
    r = _connect(client, "reset", "reset-pw")
    assert r.status_code == 403 and r.json == {"LDAPPasswordPolicyError": 2}      # PolicyChangeAfterReset
    assert client.open("/SOGo/dav/reset/", method="PROPFIND",
                       headers={"Depth": "0", **basic("reset", "reset-pw")}).status_code == 401
    assert _change(client, userName="reset", oldPassword="wrong", newPassword="Brand-new-1").json \
        == {"LDAPPasswordPolicyError": -1}
    r = _change(client, userName="reset", oldPassword="reset-pw", newPassword="Brand-new-1")
    assert r.status_code == 204, r.data
    assert any(h.startswith(COOKIE + "=basic%20") for h in r.headers.getlist("Set-Cookie"))
    # slapd took the change as the user's own: the reset flag is gone, the value hashed by slapd
    [(_, attrs)] = ldap_server.admin().search_s(f"uid=reset,{POLICY_USERS}", ldap.SCOPE_BASE,
                                                 attrlist=["pwdReset", "userPassword"])
    assert "pwdReset" not in attrs and attrs["userPassword"][0].startswith(b"{SSHA}")
    assert _connect(client, "reset", "Brand-new-1").status_code == 200
    assert _connect(client, "reset", "reset-pw").status_code == 403


def test_quality_refusals_are_reported(client, ldap_server):
    ldap_server.admin().modify_s(STRICT, [(ldap.MOD_ADD, "pwdMinLength", [b"12"]),
                                          (ldap.MOD_ADD, "pwdCheckQuality", [b"2"])])
    r = _change(client, userName="reset", oldPassword="reset-pw", newPassword="short")
    assert r.status_code == 403 and r.json == {"LDAPPasswordPolicyError": 6}      # PolicyPasswordTooShort
    # nothing changed: the old password still proves the user (who must still change it)
    assert _connect(client, "reset", "reset-pw").json == {"LDAPPasswordPolicyError": 2}


def test_policy_refusal_is_logged_without_password(client, caplog):
    import logging
    with caplog.at_level(logging.INFO):
        _connect(client, "expired", "expired-pw")
    assert "password policy: 0" in caplog.text and "expired-pw" not in caplog.text
