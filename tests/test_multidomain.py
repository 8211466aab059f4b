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



# --------------------------------------------------------------------------- ACLs of invisible users

VISIBLE = {"SOGoDomainsVisibility": [["example.com", "example.org"]]}
BOB_COM = ("bob@example.com", "bob-pw")
BOB_CAL = "/SOGo/dav/bob@example.com/Calendar/personal/"
INVERSE = "urn:inverse:params:xml:ns:inverse-dav"


def _acl_query(client, inner):
    body = f'<?xml version="1.0" encoding="utf-8"?><acl-query xmlns="{INVERSE}">{inner}</acl-query>'
    return client.post(BOB_CAL, data=body.encode(), headers={**basic(*BOB_COM), "Content-Type": "application/xml"})


def _acl_principals(client):
    body = b'<D:acl-principal-prop-set xmlns:D="DAV:"><D:prop><D:displayname/></D:prop></D:acl-principal-prop-set>'
    r = client.open(BOB_CAL, method="REPORT", data=body,
                    headers={"Depth": "0", "Content-Type": "application/xml", **basic(*BOB_COM)})
    assert r.status_code == 207, r.data
    return {h: props["200"][D + "displayname"].text for h, props in multistatus(r.data).items()}


def _acl_client(tmp_path, ldap_server, **settings):
    client = _app(tmp_path, ldap_server, SOGoEnableDomainBasedUID="YES", **settings)
    assert _acl_query(client, '<set-roles user="alice@example.com"><PublicViewer/></set-roles>').status_code == 204
    return client


def _bob_acl_uids(client):
    folder = client.application.app.services.storage.folders.get("bob@example.com", "Calendar", "personal")
    return {(row.c_uid, row.c_role) for row in folder.acl_rows()}


def test_acls_refuse_and_hide_users_of_invisible_domains(tmp_path, ldap_server):
    client = _acl_client(tmp_path, ldap_server)
    for inner in ('<set-roles user="olga@example.org"><PublicViewer/></set-roles>',
                  '<set-roles users="alice@example.com,olga@example.org"><PublicModifier/></set-roles>',
                  '<add-user user="olga@example.org"/>', '<add-users users="olga@example.org"/>'):
        assert _acl_query(client, inner).status_code == 400, inner      # as for an unknown user
    assert _acl_query(client, '<set-roles user="nobody@example.org"><PublicViewer/></set-roles>').status_code == 400
    assert _bob_acl_uids(client) == {("alice@example.com", "PublicViewer")}
    # A row naming her anyway (stored before the domains were split): listed as unknown.
    client.application.app.services.storage.folders.get(
        "bob@example.com", "Calendar", "personal").set_roles("olga@example.org", None, ["PublicViewer"])
    listing = _acl_query(client, "<user-list/>").data
    assert b"<user><id>olga@example.org</id><displayName>olga@example.org</displayName></user>" in listing
    assert b"Olga Org" not in listing and b"<email>olga@example.org</email>" not in listing
    assert b"<displayName>Alice Liddell</displayName><email>alice@example.com</email>" in listing
    assert _acl_principals(client) == {"/SOGo/dav/bob@example.com/": "Bob Builder",
                                       "/SOGo/dav/alice@example.com/": "Alice Liddell"}


def test_acls_name_users_of_visible_domains(tmp_path, ldap_server):
    client = _acl_client(tmp_path, ldap_server, **VISIBLE)
    assert _acl_query(client, '<set-roles user="olga@example.org"><PublicViewer/></set-roles>').status_code == 204
    assert _acl_query(client, '<add-user user="alice@example.org"/>').status_code == 204
    assert {uid for uid, _ in _bob_acl_uids(client)} == {"alice@example.com", "olga@example.org", "alice@example.org"}
    listing = _acl_query(client, "<user-list/>").data
    assert b"<user><id>olga@example.org</id><displayName>Olga Org</displayName><email>olga@example.org</email>" \
        b"</user>" in listing
    assert _acl_principals(client)["/SOGo/dav/olga@example.org/"] == "Olga Org"


# --------------------------------------------------------------------------- scheduling across domains

MIXED = "cn=mixed,ou=users,dc=example,dc=com"


def _mailing_app(tmp_path, ldap_server, smtp_sink, **settings):
    # plain uids (bob, olga): group members are named by their bare uid
    return _app(tmp_path, ldap_server, SOGoAppointmentSendEMailNotifications="YES", SOGoMailingMechanism="smtp",
                SOGoSMTPServer=smtp_sink.address, **settings)


def _event(uid, organizer, attendees, partstats=None):
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN", "BEGIN:VEVENT", f"UID:{uid}",
             "DTSTAMP:20260101T000000Z", "DTSTART:20260110T100000Z", "DTEND:20260110T110000Z",
             "SUMMARY:Across", f"ORGANIZER:mailto:{organizer}"]
    lines += [f"ATTENDEE;PARTSTAT={(partstats or {}).get(a, 'NEEDS-ACTION')};RSVP=TRUE:mailto:{a}"
              for a in attendees]
    return "\r\n".join(lines + ["END:VEVENT", "END:VCALENDAR", ""]).encode()


def _put(client, uid, name, body):
    r = client.put(f"/SOGo/dav/{uid}/Calendar/personal/{name}", data=body,
                   headers={**basic(uid, f"{uid}-pw"), "Content-Type": "text/calendar"})
    assert r.status_code in (201, 204), r.data
    return r


def _stored(client, uid):
    """{object name: calendar} of ``uid``'s personal calendar, straight from the store."""
    from icalendar import Calendar
    folder = client.application.app.services.storage.folders.get(uid, "Calendar", "personal")
    if folder is None:
        return {}
    return {row.c_name: Calendar.from_ical(folder.get_object(row.c_name).c_content) for row in folder.quick_rows()}


def _attendees(calendar) -> list:
    attendees = calendar.walk("VEVENT")[0].get("ATTENDEE", [])
    return attendees if isinstance(attendees, list) else [attendees]


def _partstat(calendar, address):
    return next((a.params.get("PARTSTAT") for a in _attendees(calendar) if str(a).lower() == f"mailto:{address}"),
                None)


def _imip(received):
    from icalendar import Calendar
    [part] = [p for p in received.message.walk() if p.get_content_type() == "text/calendar"]
    return part.get_param("method"), Calendar.from_ical(part.get_content())


def test_attendees_of_invisible_domains_are_external(tmp_path, ldap_server, smtp_sink):
    client = _mailing_app(tmp_path, ldap_server, smtp_sink)
    _put(client, "bob", "across.ics", _event("across", "bob@example.com", ("olga@example.org", "alice@example.com")))
    assert _stored(client, "olga") == {}                           # nothing in her calendar
    assert list(_stored(client, "alice")) == ["across.ics"]
    [request] = smtp_sink.wait(1)
    assert request.rcpt_tos == ["olga@example.org"] and _imip(request)[0] == "REQUEST"
    # removing her: a CANCEL by mail too
    _put(client, "bob", "across.ics", _event("across", "bob@example.com", ("alice@example.com",)))
    cancel = smtp_sink.wait(2)[-1]
    assert cancel.rcpt_tos == ["olga@example.org"] and _imip(cancel)[0] == "CANCEL"


def test_attendees_of_visible_domains_are_local(tmp_path, ldap_server, smtp_sink):
    client = _mailing_app(tmp_path, ldap_server, smtp_sink, **VISIBLE)
    _put(client, "bob", "across.ics", _event("across", "bob@example.com", ("olga@example.org",)))
    assert list(_stored(client, "olga")) == ["across.ics"]
    assert smtp_sink.messages == []


def test_organizer_of_an_invisible_domain_gets_a_reply_by_mail(tmp_path, ldap_server, smtp_sink):
    client = _mailing_app(tmp_path, ldap_server, smtp_sink)
    _put(client, "olga", "meet.ics", _event("meet", "olga@example.org", ("bob@example.com",)))
    assert _stored(client, "bob") == {}
    [request] = smtp_sink.wait(1)
    assert request.rcpt_tos == ["bob@example.com"]
    # bob files the invitation he got by mail and accepts it
    _put(client, "bob", "meet.ics", _event("meet", "olga@example.org", ("bob@example.com",)))
    _put(client, "bob", "meet.ics", _event("meet", "olga@example.org", ("bob@example.com",),
                                           {"bob@example.com": "ACCEPTED"}))
    reply = smtp_sink.wait(2)[-1]
    assert reply.rcpt_tos == ["olga@example.org"] and _imip(reply)[0] == "REPLY"
    assert _partstat(_stored(client, "olga")["meet.ics"], "bob@example.com") == "NEEDS-ACTION"


def test_organizer_of_a_visible_domain_gets_the_answer_in_place(tmp_path, ldap_server, smtp_sink):
    client = _mailing_app(tmp_path, ldap_server, smtp_sink, **VISIBLE)
    _put(client, "olga", "meet.ics", _event("meet", "olga@example.org", ("bob@example.com",)))
    [name] = _stored(client, "bob")
    _put(client, "bob", name, _event("meet", "olga@example.org", ("bob@example.com",),
                                     {"bob@example.com": "ACCEPTED"}))
    assert _partstat(_stored(client, "olga")["meet.ics"], "bob@example.com") == "ACCEPTED"
    assert smtp_sink.messages == []


@pytest.fixture
def mixed_group(ldap_server):
    """A group of example.com with bob and example.org's olga."""
    admin = ldap_server.admin()
    admin.add_s(MIXED, [("objectClass", [b"groupOfNames", b"extensibleObject"]), ("cn", [b"mixed"]),
                        ("uid", [b"mixed"]), ("mail", [b"mixed@example.com"]),
                        ("member", [b"uid=bob,ou=users,dc=example,dc=com", b"uid=olga,ou=users,dc=example,dc=org"])])
    try:
        yield "mixed@example.com"
    finally:
        admin.delete_s(MIXED)


@pytest.mark.parametrize("visible", [False, True])
def test_group_members_of_invisible_domains_are_not_invited(tmp_path, ldap_server, smtp_sink, mixed_group, visible):
    client = _mailing_app(tmp_path, ldap_server, smtp_sink, **(VISIBLE if visible else {}))
    _put(client, "alice", "team.ics", _event("team", "alice@example.com", (mixed_group,)))
    attendees = sorted(str(a).lower() for a in _attendees(_stored(client, "alice")["team.ics"]))
    assert list(_stored(client, "bob")) == ["team.ics"]
    if visible:
        assert attendees == ["mailto:bob@example.com", "mailto:olga@example.org"]
        assert list(_stored(client, "olga")) == ["team.ics"]
    else:
        assert attendees == ["mailto:bob@example.com"]
        assert _stored(client, "olga") == {}
    assert smtp_sink.messages == []

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


def test_groups_under_domain_based_uids(tmp_path, ldap_server, mixed_group):
    """Members and memberships are named uid@domain, each by the domain that holds it."""
    client = _app(tmp_path, ldap_server, SOGoEnableDomainBasedUID="YES")
    directory = client.application.app.services.directory
    assert sorted(directory.members("mixed@example.com")) == ["bob@example.com", "olga@example.org"]
    assert directory.members("bob@example.com") is None                    # not a group
    assert {"mixed", "mixed@example.com"} <= set(directory.groups_of("bob@example.com"))
    assert directory.groups_of("alice@example.com") == []


@pytest.mark.parametrize("visible", [False, True])
def test_outbox_delivery_respects_domains(tmp_path, ldap_server, smtp_sink, visible):
    client = _mailing_app(tmp_path, ldap_server, smtp_sink, **(VISIBLE if visible else {}))
    body = _event("posted", "bob@example.com", ("olga@example.org",)).replace(
        b"VERSION:2.0", b"VERSION:2.0\r\nMETHOD:REQUEST")
    r = client.post("/SOGo/dav/bob/Calendar/personal/", data=body,
                    headers={**basic("bob", "bob-pw"), "Content-Type": "text/calendar"})
    assert r.status_code == 200, r.data
    assert (b"1.2;Delivered" in r.data) is visible
    assert (list(_stored(client, "olga")) != []) is visible


@pytest.mark.parametrize("visible", [False, True])
def test_proxies_only_from_visible_domains(tmp_path, ldap_server, visible):
    client = _app(tmp_path, ldap_server, **(VISIBLE if visible else {}))
    patch = (b'<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:group-member-set>'
             b'<D:href>/SOGo/dav/olga/</D:href></D:group-member-set></D:prop></D:set></D:propertyupdate>')
    r = client.open("/SOGo/dav/bob/calendar-proxy-write/", method="PROPPATCH", data=patch,
                    headers={**basic("bob", "bob-pw"), "Content-Type": "application/xml", "Depth": "0"})
    assert r.status_code == 207
    assert (b"200 OK" in r.data) is visible and (b"409 Conflict" in r.data) is not visible


def test_web_login_with_a_login_domain(tmp_path, ldap_server):
    """The login page's domain menu (SOGoLoginDomains) qualifies the user name."""
    from sogod.web.session import COOKIE
    client = _app(tmp_path, ldap_server, SOGoEnableDomainBasedUID="YES")
    services = client.application.app.services
    r = client.post("/SOGo/connect", json={"userName": "alice", "password": "alice-org-pw", "domain": "example.org"})
    assert r.status_code == 200 and r.json["cn"], r.data
    cookie = next(h for h in r.headers.getlist("Set-Cookie") if h.startswith(COOKIE + "=")).split(";")[0]
    assert services.sessions.find(cookie.split("=", 1)[1]).credentials.login == "alice@example.org"
    # the other domain's alice, with her own password
    r = client.post("/SOGo/connect", json={"userName": "alice", "password": "alice-pw", "domain": "example.com"})
    assert r.status_code == 200
    # a domain the page does not offer is not appended: the plain login is tried everywhere
    r = client.post("/SOGo/connect", json={"userName": "nobody", "password": "x-pw", "domain": "evil.test"})
    assert r.status_code == 403
    r = client.post("/SOGo/connect", json={"userName": "alice", "password": "alice-org-pw", "domain": "evil.test"})
    cookie = next(h for h in r.headers.getlist("Set-Cookie") if h.startswith(COOKIE + "=")).split(";")[0]
    assert services.sessions.find(cookie.split("=", 1)[1]).credentials.login == "alice"
