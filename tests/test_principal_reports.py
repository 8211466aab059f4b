"""Principal REPORTs in-process: property search, search property set, match, ACL principals, expand-property."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from werkzeug.test import Client

from sogod.config import load_system_defaults
from sogod.http.app import create_app

from .dav_helpers import D, hrefs, multistatus
from .sogod_env import basic, embedded_config

C = "{urn:ietf:params:xml:ns:caldav}"
CS = "{http://calendarserver.org/ns/}"
DEMO = basic("demo", "demo")
NS = 'xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:CS="http://calendarserver.org/ns/"'


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    config = embedded_config(tmp_path_factory.mktemp("preports"), extra_users=[
        ("bob", "bobpw", "Bob Builder", "bob@example.com"),
        ("bobby", "bobbypw", "Bobby Tables", "tables@example.org"),
        ("carol", "carolpw", "Carol Danvers", "carol@example.com"),
    ])
    return Client(create_app(load_system_defaults(str(config), {})))


def report(client, path, body: str, auth=DEMO, depth="0"):
    return client.open(path, method="REPORT", data=body.encode(),
                       headers={**auth, "Depth": depth, "Content-Type": "application/xml"})


def search(client, *criteria, test=None, props="<D:displayname/>", limit=None, path="/SOGo/dav/"):
    parts = "".join(f'<D:property-search><D:prop>{p}</D:prop><D:match{mt}>{m}</D:match></D:property-search>'
                    for p, m, mt in ((c + ("",))[:3] for c in criteria))
    limit_el = f"<D:limit><D:nresults>{limit}</D:nresults></D:limit>" if limit else ""
    test_attr = f' test="{test}"' if test else ""
    r = report(client, path, f'<D:principal-property-search {NS}{test_attr}>{parts}'
                             f'<D:prop>{props}</D:prop>{limit_el}</D:principal-property-search>')
    assert r.status_code == 207, r.data
    return multistatus(r.data)


def test_search_by_displayname(client):
    found = search(client, ("<D:displayname/>", "bob"))
    assert sorted(found) == ["/SOGo/dav/bob/", "/SOGo/dav/bobby/"]
    assert found["/SOGo/dav/bob/"]["200"][D + "displayname"].text == "Bob Builder"


def test_search_is_case_insensitive_and_returns_requested_properties(client):
    found = search(client, ("<D:displayname/>", "CAROL"),
                   props="<D:displayname/><C:calendar-home-set/><C:calendar-user-address-set/><D:foo/>")
    props = found["/SOGo/dav/carol/"]
    assert hrefs(props["200"][C + "calendar-home-set"]) == ["/SOGo/dav/carol/Calendar/"]
    assert hrefs(props["200"][C + "calendar-user-address-set"]) == ["mailto:carol@example.com", "/SOGo/dav/carol/"]
    assert D + "foo" in props["404"]


def test_search_by_calendar_user_address(client):
    found = search(client, ("<C:calendar-user-address-set/>", "mailto:tables@example.org"))
    assert list(found) == ["/SOGo/dav/bobby/"]
    found = search(client, ("<C:calendar-user-address-set/>", "/SOGo/dav/carol/"))
    assert list(found) == ["/SOGo/dav/carol/"]


def test_search_by_email_address_set_with_match_type(client):
    found = search(client, ("<CS:email-address-set/>", "example.com"))
    assert {"/SOGo/dav/bob/", "/SOGo/dav/carol/"} <= set(found) and "/SOGo/dav/bobby/" not in found
    assert list(search(client, ("<CS:email-address-set/>", "tables", ' match-type="starts-with"'))) == \
        ["/SOGo/dav/bobby/"]
    assert search(client, ("<CS:email-address-set/>", "example", ' match-type="starts-with"')) == {}


def test_search_by_calendar_user_type(client):
    found = search(client, ("<C:calendar-user-type/>", "INDIVIDUAL"))
    assert {"/SOGo/dav/bob/", "/SOGo/dav/bobby/", "/SOGo/dav/carol/", "/SOGo/dav/demo/"} <= set(found)
    assert search(client, ("<C:calendar-user-type/>", "ROOM")) == {}


def test_allof_and_anyof(client):
    both = [("<D:displayname/>", "bob"), ("<CS:email-address-set/>", "example.org")]
    assert list(search(client, *both)) == ["/SOGo/dav/bobby/"]            # allof is the default
    assert list(search(client, *both, test="allof")) == ["/SOGo/dav/bobby/"]
    either = [("<D:displayname/>", "carol"), ("<CS:email-address-set/>", "tables")]
    assert sorted(search(client, *either, test="anyof")) == ["/SOGo/dav/bobby/", "/SOGo/dav/carol/"]
    assert search(client, *either, test="allof") == {}


def test_search_first_and_last_name(client):
    assert list(search(client, ("<CS:first-name/>", "Carol"))) == ["/SOGo/dav/carol/"]
    assert list(search(client, ("<CS:last-name/>", "tables"))) == ["/SOGo/dav/bobby/"]


def test_search_limit_truncates_with_507(client):
    r = report(client, "/SOGo/dav/", f'<D:principal-property-search {NS}><D:property-search><D:prop>'
                                     '<D:displayname/></D:prop><D:match>bob</D:match></D:property-search>'
                                     '<D:prop><D:displayname/></D:prop><D:limit><D:nresults>1</D:nresults>'
                                     '</D:limit></D:principal-property-search>')
    root = ET.fromstring(r.data)
    statuses = [resp.findtext(D + "status") for resp in root.findall(D + "response")]
    assert statuses == [None, "HTTP/1.1 507 Insufficient Storage"]


def test_search_on_a_principal_and_bad_bodies(client):
    assert list(search(client, ("<D:displayname/>", "carol"), path="/SOGo/dav/demo/")) == ["/SOGo/dav/carol/"]
    r = report(client, "/SOGo/dav/", f"<D:principal-property-search {NS}><D:property-search><D:prop>"
                                     "<D:displayname/></D:prop></D:property-search></D:principal-property-search>")
    assert r.status_code == 400


def test_search_escapes_sql_wildcards(client):
    assert search(client, ("<D:displayname/>", "%")) == {}
    assert search(client, ("<D:displayname/>", "_")) == {}


def test_principal_search_property_set_as_sogo(client):
    r = report(client, "/SOGo/dav/", '<D:principal-search-property-set xmlns:D="DAV:"/>')
    assert r.status_code == 207
    root = ET.fromstring(r.data)
    assert root.tag == D + "principal-search-property-set"
    props = [p.find(D + "prop")[0].tag for p in root]
    assert props == [C + "calendar-user-type", C + "calendar-user-address-set", C + "calendar-user-type",
                     D + "displayname", CS + "first-name", CS + "last-name", CS + "email-address-set"]
    assert root[3].findtext(D + "description") == "Displayname"


def test_principal_match_self(client):
    body = f"<D:principal-match {NS}><D:self/><D:prop><D:displayname/></D:prop></D:principal-match>"
    found = multistatus(report(client, "/SOGo/dav/", body).data)
    assert list(found) == ["/SOGo/dav/demo/"]
    assert found["/SOGo/dav/demo/"]["200"][D + "displayname"].text
    found = multistatus(report(client, "/SOGo/dav/demo/", body).data)
    assert list(found) == ["/SOGo/dav/demo/"]
    assert report(client, "/SOGo/dav/", body, depth="1").status_code == 400


def test_principal_match_owner_on_the_calendar_home(client):
    body = (f"<D:principal-match {NS}><D:principal-property><D:owner/></D:principal-property>"
            "</D:principal-match>")
    r = report(client, "/SOGo/dav/demo/Calendar/", body)
    assert r.status_code == 207
    root = ET.fromstring(r.data)
    assert "/SOGo/dav/demo/Calendar/personal/" in [h.text for h in root.iter(D + "href")]
    r = report(client, "/SOGo/dav/bob/Calendar/", body, auth=basic("bob", "bobpw"))
    assert "/SOGo/dav/demo/Calendar/personal/" not in r.data.decode()


def test_acl_principal_prop_set_names_the_owner(client):
    body = f"<D:acl-principal-prop-set {NS}><D:prop><D:displayname/></D:prop></D:acl-principal-prop-set>"
    found = multistatus(report(client, "/SOGo/dav/demo/Calendar/personal/", body).data)
    assert "/SOGo/dav/demo/" in found
    r = report(client, "/SOGo/dav/demo/", body)
    assert list(multistatus(r.data)) == ["/SOGo/dav/demo/"]


def test_expand_property_follows_hrefs(client):
    body = (f'<D:expand-property {NS}><D:property name="calendar-home-set" namespace="urn:ietf:params:xml:ns:caldav">'
            '<D:property name="displayname"/><D:property name="resourcetype"/><D:property name="nope"/></D:property>'
            '<D:property name="displayname"/><D:property name="alternate-URI-set"/></D:expand-property>')
    r = report(client, "/SOGo/dav/demo/", body)
    assert r.status_code == 207
    root = ET.fromstring(r.data)
    top = root.find(D + "response")
    assert top.findtext(D + "href") == "/SOGo/dav/demo/"
    home_set = top.find(f"{D}propstat/{D}prop/{C}calendar-home-set")
    inner = home_set.find(D + "response")
    assert inner.findtext(D + "href") == "/SOGo/dav/demo/Calendar/"
    inner_props = {p.tag for ps in inner.findall(D + "propstat") for p in ps.find(D + "prop")}
    assert {D + "displayname", D + "resourcetype", D + "nope"} <= inner_props
    assert multistatus(r.data)["/SOGo/dav/demo/"]["404"].keys() == {D + "alternate-URI-set"}


def test_expand_property_leaves_mailto_and_marks_unknown_targets(client):
    body = (f'<D:expand-property {NS}><D:property name="calendar-user-address-set" '
            'namespace="urn:ietf:params:xml:ns:caldav"><D:property name="displayname"/></D:property>'
            '<D:property name="owner"><D:property name="displayname"/></D:property></D:expand-property>')
    root = ET.fromstring(report(client, "/SOGo/dav/bob/", body, auth=basic("bob", "bobpw")).data)
    cuas = root.find(f"{D}response/{D}propstat/{D}prop/{C}calendar-user-address-set")
    assert [c.tag for c in cuas] == [D + "href", D + "response"]
    assert cuas[0].text == "mailto:bob@example.com"
    owner = root.find(f"{D}response/{D}propstat/{D}prop/{D}owner/{D}response")
    assert owner.find(f"{D}propstat/{D}prop/{D}displayname").text == "Bob Builder"


def test_principals_advertise_the_reports(client):
    body = '<D:propfind xmlns:D="DAV:"><D:prop><D:supported-report-set/></D:prop></D:propfind>'
    r = client.open("/SOGo/dav/demo/", method="PROPFIND", data=body, headers={**DEMO, "Depth": "0"})
    reports = {el.tag for rep in ET.fromstring(r.data).iter(D + "report") for el in rep}
    assert {D + "principal-property-search", D + "expand-property", D + "principal-match"} <= reports


def test_directory_search_interface(client, tmp_path):
    from sogod.auth.directory import UserDirectory
    config = embedded_config(tmp_path, extra_users=[("zed", "zedpw", "Zed Zulu", "zed@z.example")])
    defaults = load_system_defaults(str(config), {})

    class NoCache(dict):
        def set(self, key, value, *args):
            self[key] = value

    directory = UserDirectory.from_config(defaults, NoCache())
    assert [u.uid for u in directory.search("zulu")] == ["zed"]
    assert [u.uid for u in directory.search("Z.EXAMPLE")] == ["zed"]
    assert {u.uid for u in directory.search("")} >= {"demo", "zed"}
    assert len(directory.search("", limit=1)) == 1


def test_search_without_criteria_lists_principals(client):
    found = search(client)
    assert {"/SOGo/dav/bob/", "/SOGo/dav/carol/", "/SOGo/dav/demo/"} <= set(found)


def test_search_with_properties_beside_an_empty_prop_as_python_caldav_sends(client):
    body = ('<D:principal-property-search xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
            '<D:property-search><D:prop><D:displayname/></D:prop><D:match>Carol Danvers</D:match>'
            '</D:property-search><D:prop/><C:calendar-home-set/><D:displayname/></D:principal-property-search>')
    found = multistatus(report(client, "/SOGo/dav/", body).data)
    assert hrefs(found["/SOGo/dav/carol/"]["200"][C + "calendar-home-set"]) == ["/SOGo/dav/carol/Calendar/"]
    assert found["/SOGo/dav/carol/"]["200"][D + "displayname"].text == "Carol Danvers"


def test_shared_calendar_principals_and_proxy_members_expanded(client):
    inverse = "urn:inverse:params:xml:ns:inverse-dav"
    r = client.post("/SOGo/dav/demo/Calendar/personal/", headers={**DEMO, "Content-Type": "application/xml"},
                    data=f'<acl-query xmlns="{inverse}"><set-roles user="bob"><PublicModifier/>'
                         '</set-roles></acl-query>')
    assert r.status_code in (200, 204), r.data
    body = f"<D:acl-principal-prop-set {NS}><D:prop><D:displayname/></D:prop></D:acl-principal-prop-set>"
    found = multistatus(report(client, "/SOGo/dav/demo/Calendar/personal/", body).data)
    assert list(found) == ["/SOGo/dav/demo/", "/SOGo/dav/bob/"]
    assert found["/SOGo/dav/bob/"]["200"][D + "displayname"].text == "Bob Builder"
    # Only who may read the ACL gets it.
    r = report(client, "/SOGo/dav/demo/Calendar/personal/", body, auth=basic("bob", "bobpw"))
    assert r.status_code == 403

    body = (f'<D:expand-property {NS}><D:property name="group-member-set">'
            '<D:property name="displayname"/><D:property name="calendar-user-address-set" '
            'namespace="urn:ietf:params:xml:ns:caldav"/></D:property></D:expand-property>')
    r = report(client, "/SOGo/dav/demo/calendar-proxy-write/", body)
    assert r.status_code == 207, r.data
    root = ET.fromstring(r.data)
    members = root.findall(f"{D}response/{D}propstat/{D}prop/{D}group-member-set/{D}response")
    assert [m.findtext(D + "href") for m in members] == ["/SOGo/dav/bob/"]
    assert members[0].find(f"{D}propstat/{D}prop/{D}displayname").text == "Bob Builder"
    assert "mailto:bob@example.com" in hrefs(members[0].find(f"{D}propstat/{D}prop/{C}calendar-user-address-set"))


def test_search_by_calendar_home_set_as_sogo_does(client):
    found = search(client, ("<C:calendar-home-set/>", "/SOGo/dav/carol/Calendar"))
    assert list(found) == ["/SOGo/dav/carol/"]
    found = search(client, ("<C:calendar-home-set/>", "https://dav.example.com/SOGo/dav/bob/Calendar/"))
    assert list(found) == ["/SOGo/dav/bob/"]
