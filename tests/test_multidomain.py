"""Multi-domain installations (guide §5.15) against the real slapd's two naming
contexts, through the in-process app; and the credential cache under the password
policy (ppolicy overlay)."""

from __future__ import annotations

import ldap
import pytest
from werkzeug.test import Client

from .dav_helpers import D, multistatus
from .ldap_server import BIND_DN, BIND_PASSWORD
from .sogod_env import basic, embedded_config

STRICT = b"cn=strict,ou=policies,dc=example,dc=com"
ORG_BIND = ("cn=sogo,ou=services,dc=example,dc=org", "sogo-org-pw")


def _source(server, source_id, base, bind):
    return {"type": "ldap", "id": source_id, "hostname": server.url, "baseDN": base,
            "bindDN": bind[0], "bindPassword": bind[1], "CNFieldName": "cn", "IDFieldName": "uid",
            "UIDFieldName": "uid", "canAuthenticate": "YES", "isAddressBook": "YES"}


def _app(tmp_path, server, **settings):
    from sogod.config import load_system_defaults
    from sogod.http.app import create_app
    (tmp_path / "conf").mkdir()
    config = embedded_config(tmp_path / "conf")
    domains = {
        "example.com": {"SOGoMailDomain": "example.com", "SOGoUserSources": [
            _source(server, "com", "ou=users,dc=example,dc=com", (BIND_DN, BIND_PASSWORD))]},
        "example.org": {"SOGoMailDomain": "example.org", "SOGoUserSources": [
            _source(server, "org", "ou=users,dc=example,dc=org", ORG_BIND)]},
    }
    overrides = {"SOGoUserSources": [], "domains": domains,
                 "SOGoLoginDomains": ["example.com", "example.org"], **settings}
    return Client(create_app(load_system_defaults(str(config), overrides)))


PROPS = (b'<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:displayname/>'
         b'<D:current-user-principal/></D:prop></D:propfind>')


def _propfind(client, path, auth):
    return client.open(path, method="PROPFIND", data=PROPS,
                       headers={"Depth": "0", "Content-Type": "application/xml", **basic(*auth)})


def _search(client, auth, text):
    body = ('<?xml version="1.0"?><D:principal-property-search xmlns:D="DAV:"><D:property-search>'
            f'<D:prop><D:displayname/></D:prop><D:match>{text}</D:match></D:property-search>'
            '<D:prop><D:displayname/></D:prop></D:principal-property-search>').encode()
    r = client.open("/SOGo/dav/", method="REPORT", data=body,
                    headers={"Depth": "0", "Content-Type": "application/xml", **basic(*auth)})
    assert r.status_code == 207, r.data
    return set(multistatus(r.data))


def test_domain_based_uid_logins(tmp_path, ldap_server):
    client = _app(tmp_path, ldap_server, SOGoEnableDomainBasedUID="YES")
    com, org = ("alice@example.com", "alice-pw"), ("alice@example.org", "alice-org-pw")
    r = _propfind(client, "/SOGo/dav/alice@example.com/", com)
    assert r.status_code == 207, r.data
    assert multistatus(r.data)["/SOGo/dav/alice@example.com/"]["200"][D + "displayname"].text == "Alice Liddell"
    assert _propfind(client, "/SOGo/dav/alice@example.org/", org).status_code == 207
    # only that domain's sources are tried
    assert _propfind(client, "/SOGo/dav/alice@example.org/", ("alice@example.org", "alice-pw")).status_code == 401
    assert _propfind(client, "/SOGo/dav/olga@example.org/", ("olga@example.com", "olga-pw")).status_code == 401
    # folders live under the qualified uid
    cal = client.open("/SOGo/dav/alice@example.org/Calendar/", method="PROPFIND", data=PROPS,
                      headers={"Depth": "1", "Content-Type": "application/xml", **basic(*org)})
    assert cal.status_code == 207 and "/SOGo/dav/alice@example.org/Calendar/personal/" in multistatus(cal.data)
    # the plain uid is no principal any more
    assert _propfind(client, "/SOGo/dav/alice/", com).status_code == 404


def test_domains_are_isolated(tmp_path, ldap_server):
    client = _app(tmp_path, ldap_server, SOGoEnableDomainBasedUID="YES")
    bob = ("bob@example.com", "bob-pw")
    assert _propfind(client, "/SOGo/dav/olga@example.org/", bob).status_code == 404
    assert client.get("/SOGo/dav/olga@example.org/freebusy.ifb", headers=basic(*bob)).status_code == 404
    assert _propfind(client, "/SOGo/dav/alice@example.com/", bob).status_code == 207
    found = _search(client, bob, "Al")
    assert "/SOGo/dav/alice@example.com/" in found and "/SOGo/dav/alice@example.org/" not in found
    assert not _search(client, bob, "olga")
    assert _search(client, ("olga@example.org", "olga-pw"), "olga") == {"/SOGo/dav/olga@example.org/"}


def test_domains_visibility(tmp_path, ldap_server):
    client = _app(tmp_path, ldap_server, SOGoEnableDomainBasedUID="YES",
                  SOGoDomainsVisibility=[["example.com", "example.org"]])
    bob = ("bob@example.com", "bob-pw")
    assert _propfind(client, "/SOGo/dav/olga@example.org/", bob).status_code == 207
    assert _search(client, bob, "olga") == {"/SOGo/dav/olga@example.org/"}
    assert client.get("/SOGo/dav/olga@example.org/freebusy.ifb", headers=basic(*bob)).status_code in (200, 403)


def test_plain_logins_without_domain_based_uid(tmp_path, ldap_server):
    client = _app(tmp_path, ldap_server)
    # every source is tried: the password decides which alice it is
    assert _propfind(client, "/SOGo/dav/olga/", ("olga", "olga-pw")).status_code == 207
    assert _propfind(client, "/SOGo/dav/bob/", ("bob", "bob-pw")).status_code == 207
    assert _propfind(client, "/SOGo/dav/olga/", ("bob", "bob-pw")).status_code == 404
    assert _propfind(client, "/SOGo/dav/bob/", ("olga", "olga-pw")).status_code == 404


# --------------------------------------------------------------------------- password policy and the cache

def _policy_directory(ldap_server):
    from sogod.auth.directory import UserDirectory
    from sogod.auth.sources import make_source
    source = make_source({**_source(ldap_server, "pp", "ou=pwpolicy,dc=example,dc=com", (BIND_DN, BIND_PASSWORD)),
                          "passwordPolicy": "YES"}, None)
    return UserDirectory([source], _DictCache())


class _DictCache(dict):
    def get(self, key, default=None):
        return super().get(key, default)

    def set(self, key, value, *args, **kwargs):
        self[key] = value

    def delete(self, key):
        self.pop(key, None)


def test_policy_state_is_not_cached(ldap_server):
    directory = _policy_directory(ldap_server)
    assert directory.authenticate("grace", "grace-pw").uid == "grace"
    assert directory.credentials.check("grace", "grace-pw") is None     # grace login: ask slapd next time


def test_policy_refusal_drops_a_cached_credential(ldap_server):
    from sogod.auth.user import User
    directory = _policy_directory(ldap_server)
    # cached while the password was still good
    directory.credentials.remember("reset", "stale-pw", User(uid="reset", source_id="pp"))
    assert directory.authenticate("reset", "reset-pw") is None          # must change after reset
    assert directory.credentials.check("reset", "stale-pw") is None


@pytest.mark.parametrize("uid", ["expired", "reset"])
def test_cached_credential_does_not_outlive_the_policy(ldap_server, uid):
    """Cached while the password was good; expired or reset since: slapd is asked again."""
    from sogod.auth.user import User
    directory = _policy_directory(ldap_server)
    directory.credentials.remember(uid, f"{uid}-pw", User(uid=uid, source_id="pp"))
    assert directory.authenticate(uid, f"{uid}-pw") is None
    assert directory.credentials.check(uid, f"{uid}-pw") is None


def test_reset_by_the_administrator_ends_the_cached_login(ldap_server):
    directory = _policy_directory(ldap_server)
    directory.sources[0].base_dn = "ou=users,dc=example,dc=com"
    dn = "uid=bob,ou=users,dc=example,dc=com"
    try:
        assert directory.authenticate("bob", "bob-pw").uid == "bob"
        assert directory.credentials.check("bob", "bob-pw") is not None        # no policy state: cached
        assert directory.authenticate("bob", "bob-pw").uid == "bob"              # served warm
        ldap_server.admin().modify_s(dn, [(ldap.MOD_REPLACE, "pwdReset", [b"TRUE"]),
                                          (ldap.MOD_REPLACE, "pwdPolicySubentry", [STRICT])])
        assert directory.authenticate("bob", "bob-pw") is None
        assert directory.credentials.check("bob", "bob-pw") is None
    finally:
        ldap_server.admin().modify_s(dn, [(ldap.MOD_DELETE, "pwdReset", None),
                                          (ldap.MOD_DELETE, "pwdPolicySubentry", None)])
    assert directory.authenticate("bob", "bob-pw").uid == "bob"


def test_password_change_forgets_cached_credentials(ldap_server):
    directory = _policy_directory(ldap_server)
    source = directory.sources[0]
    source.password_policy = False
    try:
        directory.sources[0].base_dn = "ou=users,dc=example,dc=com"
        assert directory.authenticate("bob", "bob-pw").uid == "bob"
        assert directory.credentials.check("bob", "bob-pw") is not None
        directory.change_password(directory.lookup("bob"), "bob-new-pw")
        assert directory.credentials.check("bob", "bob-pw") is None
        assert directory.authenticate("bob", "bob-pw") is None
        assert directory.authenticate("bob", "bob-new-pw").uid == "bob"
    finally:
        ldap_server.admin().modify_s("uid=bob,ou=users,dc=example,dc=com",
                                     [(ldap.MOD_REPLACE, "userPassword", [b"bob-pw"])])
