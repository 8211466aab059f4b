"""Apple calendar proxies: ``/SOGo/dav/<uid>/calendar-proxy-(read|write)/``.

Nothing proxy-specific is stored (sogo-facts §5.5). ``group-member-set`` of
``<owner>/calendar-proxy-write`` lists the users holding a modifying role
(some ``…Modifier`` or ``ObjectCreator``) on one of the owner's calendars;
``calendar-proxy-read`` those who can only read. A principal's
``group-membership`` lists the proxy groups of the users whose calendars it
has subscribed to, by the access it holds on them.
"""

from __future__ import annotations

from . import visibility
from .acl import ANONYMOUS, DEFAULT_UID, access_for, acl_table, forget, is_superuser
from .properties import Property, register
from .resources import DAV_PREFIX, PRINCIPAL_CHILDREN, Principal, Resource
from .xml import CALENDARSERVER, DAV, clark, href

READ, WRITE = "calendar-proxy-read", "calendar-proxy-write"


class ProxyPrincipal(Resource):
    """A group principal whose members are computed from the owner's calendar ACLs."""

    methods = ("OPTIONS", "PROPFIND", "PROPPATCH")
    dav_classes = ("1", "access-control", "calendar-access", "calendar-proxy")

    def __init__(self, principal: Principal, name: str):
        self.principal = principal
        self.user = principal.user
        self.owner = principal.user
        self.name = name
        self.write = name == WRITE
        self.path = f"{principal.path}{name}/"
        self.resource_types = (clark(DAV, "principal"), clark(CALENDARSERVER, name))

    def members(self, ctx) -> list[str]:
        read, write = proxies_of(ctx, self.user.uid)
        return sorted(write if self.write else read - write)


def proxies_of(ctx, owner: str) -> tuple[set[str], set[str]]:
    """(users who can read, users who can modify) one of ``owner``'s calendars."""
    read, write = set(), set()
    for folder in ctx.services.storage.folders.list(owner, "Calendar"):
        for uid in acl_table(ctx, folder).get(folder.acl_object, {}):
            if uid in (DEFAULT_UID, ANONYMOUS) or uid.startswith("@") or uid == owner:
                continue
            access = access_for(ctx, folder, uid)
            if access.can_write_any:
                write.add(uid)
            elif access.can_read_folder:
                read.add(uid)
    return read, write


def proxy_resolver(name):
    def resolve(ctx, principal):
        if not ctx.defaults.bool("SOGoCalendarDAVAccessEnabled"):
            return None
        return ProxyPrincipal(principal, name)
    return resolve


PRINCIPAL_CHILDREN[READ] = proxy_resolver(READ)
PRINCIPAL_CHILDREN[WRITE] = proxy_resolver(WRITE)


# What delegating through PROPPATCH group-member-set grants on each of the owner's calendars.
PROXY_ROLES = {
    READ: ["PublicViewer", "ConfidentialViewer", "PrivateViewer"],
    WRITE: ["PublicModifier", "ConfidentialModifier", "PrivateModifier", "ObjectCreator", "ObjectEraser"],
}


@register
class GroupMemberSet(Property):
    """The proxies; the owner sets them (iCal delegation): roles on every calendar plus a subscription."""

    name = clark(DAV, "group-member-set")
    in_allprop = False

    def get(self, ctx, resource):
        if not isinstance(resource, ProxyPrincipal):
            return None
        return self.make(children=[href(f"{DAV_PREFIX}/{uid}/") for uid in resource.members(ctx)])

    def writable(self, ctx, resource):
        if not isinstance(resource, ProxyPrincipal) or ctx.user is None:
            return False
        return ctx.user.uid == resource.user.uid or is_superuser(ctx, ctx.user.uid, ctx.user.domain)

    def validate(self, ctx, resource, el):
        try:
            self.uids(ctx, resource, el)
        except ValueError as exc:
            return str(exc)
        return None

    def uids(self, ctx, resource, el) -> list[str]:
        result = []
        for h in el.iter(clark(DAV, "href")):
            path = (h.text or "").strip()
            if "://" in path:
                path = "/" + path.split("://", 1)[1].partition("/")[2]
            uid = path[len(DAV_PREFIX):].strip("/") if path.startswith(DAV_PREFIX + "/") else ""
            if not uid or "/" in uid or uid == resource.user.uid or visibility.lookup(ctx, uid) is None:
                raise ValueError(f"not a user principal: {h.text!r}")
            result.append(uid)
        return result

    def set(self, ctx, resource, el):
        wanted = set(self.uids(ctx, resource, el))
        current = set(resource.members(ctx))
        folders = ctx.services.storage.folders.list(resource.user.uid, "Calendar")
        from .subscriptions import set_subscription
        for uid in current - wanted:
            for folder in folders:
                folder.remove_acls([uid])
                set_subscription(ctx, uid, folder, False)
        for uid in wanted - current:
            for folder in folders:
                folder.set_roles(uid, None, PROXY_ROLES[resource.name])
                set_subscription(ctx, uid, folder, True)
        forget(ctx)

    def remove(self, ctx, resource):
        self.set(ctx, resource, self.make())


@register
class GroupMembership(Property):
    name = clark(DAV, "group-membership")
    in_allprop = False

    def get(self, ctx, resource):
        if isinstance(resource, ProxyPrincipal):
            return self.make()
        if not isinstance(resource, Principal):
            return None
        return self.make(children=[href(h) for h in memberships(ctx, resource.user.uid)])


def memberships(ctx, uid: str) -> list[str]:
    from .subscriptions import parse_reference, subscribed
    result = []
    for ref in subscribed(ctx, uid, "Calendar"):
        parsed = parse_reference(ref)
        if parsed is None or parsed[0] == uid:
            continue
        folder = ctx.services.storage.folders.get(parsed[0], "Calendar", parsed[2])
        if folder is None:
            continue
        access = access_for(ctx, folder, uid)
        kind = WRITE if access.can_write_any else READ if access.can_read_folder else None
        if kind:
            entry = f"{DAV_PREFIX}/{parsed[0]}/{kind}/"
            if entry not in result:
                result.append(entry)
    # A write proxy is a read proxy too: show only the strongest group per user.
    return [e for e in result if not (e.endswith(f"/{READ}/") and e.replace(READ, WRITE) in result)]


@register
class ProxyPrincipalURL(Property):
    name = clark(DAV, "principal-URL")

    def __init__(self):
        from .properties import PROPERTIES
        self.fallback = PROPERTIES.get(self.name)

    def get(self, ctx, resource):
        if isinstance(resource, ProxyPrincipal):
            return self.make(children=[href(resource.href)])
        return self.fallback.get(ctx, resource) if self.fallback else None


__all__ = ["ProxyPrincipal", "proxies_of", "memberships"]
