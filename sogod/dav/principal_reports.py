"""REPORTs about principals (RFC 3744 §9, RFC 3253 §3.8).

principal-property-search, principal-search-property-set and principal-match
are served on /SOGo/dav/ and on principals, as SOGo does (sogo-facts §5.2);
acl-principal-prop-set and expand-property on any resource.
SOGo 5.8 itself answers principal-property-search only for
calendar-home-set (an href naming the user) and email-address-set (a
directory search), and an empty multistatus for anything else (transcript
16); sogod answers those two the same way and the other searchable
properties it advertises too.
Searches go to the user sources through ``directory.search(text, limit)``;
the values are then matched here, on the properties a client would read.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from werkzeug.wrappers import Response

from .errors import DAVError
from .folder import Collection, FolderObject, Home
from .methods.propfind import properties_of
from .methods.report import REPORTS
from .properties import PROPERTIES
from .proxy import ProxyPrincipal
from .resources import DAV_PREFIX, DavRoot, Principal, resolve
from .visibility import lookup, visible
from .xml import CALDAV, CALENDARSERVER, DAV, MultiStatus, clark, element, href, serialize

DEFAULT_LIMIT = 100
MAX_EXPAND_DEPTH = 3

# /SOGo/dav/, principals and proxy groups answer REPORT (the folder resources already do).
for _cls in (DavRoot, Principal, ProxyPrincipal):
    if "REPORT" not in _cls.methods:
        _cls.methods = _cls.methods + ("REPORT",)


def _multistatus(status: MultiStatus) -> Response:
    return Response(status.body(), status=207, content_type='text/xml; charset="utf-8"')


def _requested(root) -> list:
    prop = root.find(clark(DAV, "prop"))
    return list(prop) if prop is not None else []


# -- principal-property-search --------------------------------------------------

def _first_last(user) -> tuple[str, str]:
    first, _, last = (user.cn or "").strip().partition(" ")
    return first, last


def _property_texts(ctx, principal: Principal, name: str) -> list[str]:
    if name == clark(CALENDARSERVER, "first-name"):
        return [_first_last(principal.user)[0]]
    if name == clark(CALENDARSERVER, "last-name"):
        return [_first_last(principal.user)[1]]
    prop = PROPERTIES.get(name)
    value = prop.get(ctx, principal) if prop else None
    if value is None:
        return []
    texts = [t.strip() for t in value.itertext() if t and t.strip()]
    if name == clark(CALDAV, "calendar-user-address-set"):
        texts += [t[7:] for t in texts if t.lower().startswith("mailto:")]
    return texts


def _matches(value: str, needle: str, match_type: str) -> bool:
    value, needle = value.casefold(), needle.casefold()
    if match_type == "equals":
        return value == needle
    if match_type == "starts-with":
        return value.startswith(needle)
    if match_type == "ends-with":
        return value.endswith(needle)
    return needle in value


class _Search:
    """One DAV:property-search: properties, the text, how to compare."""

    def __init__(self, el):
        prop = el.find(clark(DAV, "prop"))
        match = el.find(clark(DAV, "match"))
        if prop is None or match is None or not len(prop):
            raise DAVError(400, "property-search needs prop and match")
        self.names = [p.tag for p in prop]
        self.text = (match.text or "").strip()
        if "://" in self.text and DAV_PREFIX + "/" in self.text:     # an absolute URL: its path
            self.text = self.text[self.text.index(DAV_PREFIX + "/"):]
        self.match_type = (match.get("match-type") or "contains").lower()

    def matches(self, ctx, principal) -> bool:
        return any(_matches(value, self.text, self.match_type)
                   for name in self.names for value in _property_texts(ctx, principal, name))

    def directory_text(self) -> str | None:
        """What to ask the directory for; None when only a full listing can answer."""
        if not self.text or set(self.names) <= {clark(CALDAV, "calendar-user-type")}:
            return None
        text = self.text
        if text.lower().startswith("mailto:"):
            text = text[7:]
        elif text.startswith(DAV_PREFIX + "/"):
            text = text[len(DAV_PREFIX) + 1:].strip("/").split("/")[0]
        return text


def _limit(root) -> int:
    text = (root.findtext(f"{clark(DAV, 'limit')}/{clark(DAV, 'nresults')}") or "").strip()
    if not text:
        return DEFAULT_LIMIT
    if not text.isdigit() or int(text) < 1:
        raise DAVError(400, "invalid limit")
    return min(int(text), DEFAULT_LIMIT)


def _candidates(ctx, searches: list[_Search], anyof: bool, limit: int) -> dict:
    """{uid: user} the directory offers for these searches; matched afterwards."""
    texts = {s.directory_text() for s in searches} or {None}
    if anyof and None in texts or not anyof and texts == {None}:
        texts = {""}                                                   # a full listing
    elif not anyof:
        texts = {max((t for t in texts if t is not None), key=len)}   # the most selective one
    candidates = {}
    for text in sorted(texts):
        for user in ctx.services.directory.search(text, limit):
            if visible(ctx, user):
                candidates.setdefault(user.uid, user)
    return candidates


class PrincipalPropertySearch:
    name = clark(DAV, "principal-property-search")

    def applies_to(self, resource) -> bool:
        return isinstance(resource, (DavRoot, Principal))

    def run(self, ctx, resource, root):
        # No property-search at all (RFC 3744 wants one) lists every principal, as clients expect.
        searches = [_Search(el) for el in root.findall(clark(DAV, "property-search"))]
        anyof = (root.get("test") or "allof").lower() == "anyof"
        limit = _limit(root)
        candidates = _candidates(ctx, searches, anyof, limit * 4)
        combine = any if anyof else all
        status = MultiStatus()
        # python-caldav (3.x) sends the wanted properties beside an empty DAV:prop: take them too.
        known = {clark(DAV, n) for n in ("prop", "property-search", "limit", "apply-to-principal-collection-set")}
        requested = _requested(root) + [el for el in root if el.tag not in known]
        count = 0
        for uid in sorted(candidates):
            principal = Principal(candidates[uid])
            if not combine(s.matches(ctx, principal) for s in searches):
                continue
            if count == limit:
                status.root.append(element(clark(DAV, "response"), children=[
                    href(resource.href), element(clark(DAV, "status"), "HTTP/1.1 507 Insufficient Storage")]))
                break
            count += 1
            found, missing = properties_of(ctx, principal, "prop", requested)
            status.add(principal.href, found, missing)
        return _multistatus(status)


# -- principal-search-property-set ----------------------------------------------

# As SOGo 5.8 answers it (transcript 15), calendar-user-type twice included.
SEARCH_PROPERTIES = (
    (clark(CALDAV, "calendar-user-type"), "Calendar User Type"),
    (clark(CALDAV, "calendar-user-address-set"), "Calendar User Address Set"),
    (clark(CALDAV, "calendar-user-type"), "Calendar User Type"),
    (clark(DAV, "displayname"), "Displayname"),
    (clark(CALENDARSERVER, "first-name"), "First Name"),
    (clark(CALENDARSERVER, "last-name"), "Last Name"),
    (clark(CALENDARSERVER, "email-address-set"), "Email Address Set"),
)


class PrincipalSearchPropertySet:
    name = clark(DAV, "principal-search-property-set")

    def applies_to(self, resource) -> bool:
        return isinstance(resource, (DavRoot, Principal))

    def run(self, ctx, resource, root):
        body = element(self.name, children=[
            element(clark(DAV, "principal-search-property"), children=[
                element(clark(DAV, "prop"), children=[element(name)]),
                element(clark(DAV, "description"), description)])
            for name, description in SEARCH_PROPERTIES])
        # SOGo answers 207 here (RFC 3744 says 200); clients accept both.
        return Response(serialize(body), status=207, content_type='text/xml; charset="utf-8"')


# -- principal-match --------------------------------------------------------------

def _owner_uid(resource) -> str | None:
    user = getattr(resource, "user", None) or getattr(resource, "owner", None)
    return getattr(user, "uid", None)


class PrincipalMatch:
    name = clark(DAV, "principal-match")

    def applies_to(self, resource) -> bool:
        return isinstance(resource, (DavRoot, Principal, Home, Collection))

    def run(self, ctx, resource, root):
        if ctx.request.headers.get("Depth", "0").strip() != "0":
            raise DAVError(400, "principal-match needs Depth: 0")
        requested = _requested(root)
        status = MultiStatus()
        me = ctx.user.uid if ctx.user else None
        if root.find(clark(DAV, "self")) is not None:
            members = [resource] if isinstance(resource, Principal) else resource.children(ctx)
            targets = [m for m in members if isinstance(m, Principal) and m.user.uid == me]
        else:
            pp = root.find(clark(DAV, "principal-property"))
            if pp is None or not len(pp):
                raise DAVError(400, "principal-match needs self or principal-property")
            if pp[0].tag != clark(DAV, "owner"):
                targets = []     # only DAV:owner names principals on our resources
            else:
                targets = [m for m in resource.children(ctx) if _owner_uid(m) == me]
        for target in targets:
            if requested:
                found, missing = properties_of(ctx, target, "prop", requested)
                status.add(target.href, found, missing)
            else:
                status.root.append(element(clark(DAV, "response"), children=[
                    href(target.href), element(clark(DAV, "status"), "HTTP/1.1 200 OK")]))
        return _multistatus(status)


# -- acl-principal-prop-set ---------------------------------------------------------

def _acl_principals(ctx, resource) -> list[str]:
    """The uids the resource's ACL names: its owner, then the users of its ACL rows."""
    uids = []
    owner = _owner_uid(resource)
    if owner:
        uids.append(owner)
    collection = resource if isinstance(resource, Collection) else getattr(resource, "collection", None)
    if collection is not None:
        from .acl import acl_table
        table = acl_table(ctx, collection.folder)
        objects = [collection.folder.acl_object]
        if isinstance(resource, FolderObject):
            objects.append(f"{collection.folder.acl_object}/{resource.name}")
        for obj in objects:
            for uid in table.get(obj, {}):
                if uid not in uids and not uid.startswith(("@", "<")) and uid != "anonymous":
                    uids.append(uid)
    return uids


class AclPrincipalPropSet:
    name = clark(DAV, "acl-principal-prop-set")

    def applies_to(self, resource) -> bool:
        return True

    def run(self, ctx, resource, root):
        if ctx.request.headers.get("Depth", "0").strip() != "0":
            raise DAVError(400, "acl-principal-prop-set needs Depth: 0")
        collection = resource if isinstance(resource, Collection) else getattr(resource, "collection", None)
        if collection is not None and not collection.access.can_administer:
            raise DAVError(403, "read-acl needed", precondition=clark(DAV, "need-privileges"))
        requested = _requested(root)
        status = MultiStatus()
        for uid in _acl_principals(ctx, resource):
            user = lookup(ctx, uid)
            if user is None:
                continue
            principal = Principal(user)
            found, missing = properties_of(ctx, principal, "prop", requested)
            status.add(principal.href, found, missing)
        return _multistatus(status)


# -- expand-property ----------------------------------------------------------------

def _target(ctx, raw: str):
    path = unquote(urlsplit(raw.strip()).path)
    if not path.startswith(DAV_PREFIX + "/"):
        return None
    try:
        return resolve(ctx, path)
    except DAVError:
        return None


def _expand(ctx, resource, specs, depth: int):
    found, missing = [], []
    for spec in specs:
        name = clark(spec.get("namespace") or DAV, spec.get("name") or "")
        prop = PROPERTIES.get(name)
        try:
            value = prop.get(ctx, resource) if prop else None
        except DAVError:
            value = None
        if value is None:
            missing.append(name)
            continue
        nested = spec.findall(clark(DAV, "property"))
        if nested and depth < MAX_EXPAND_DEPTH:
            expanded = element(name)
            for child in value:
                if child.tag == clark(DAV, "href") and (child.text or "").strip().startswith(("/", "http")):
                    expanded.append(_response(ctx, child.text.strip(), nested, depth + 1))
                else:
                    expanded.append(child)
            value = expanded
        found.append(value)
    return found, missing


def _response(ctx, raw: str, specs, depth: int):
    target = _target(ctx, raw)
    if target is None:
        return element(clark(DAV, "response"), children=[
            href(raw), element(clark(DAV, "status"), "HTTP/1.1 404 Not Found")])
    found, missing = _expand(ctx, target, specs, depth)
    status = MultiStatus()
    status.add(target.href, found, missing)
    return status.root[0]


class ExpandProperty:
    name = clark(DAV, "expand-property")

    def applies_to(self, resource) -> bool:
        return True

    def run(self, ctx, resource, root):
        specs = root.findall(clark(DAV, "property"))
        found, missing = _expand(ctx, resource, specs, 0)
        status = MultiStatus()
        status.add(resource.href, found, missing)
        return _multistatus(status)


for _report in (PrincipalPropertySearch(), PrincipalSearchPropertySet(), PrincipalMatch(),
                AclPrincipalPropSet(), ExpandProperty()):
    REPORTS[_report.name] = _report
