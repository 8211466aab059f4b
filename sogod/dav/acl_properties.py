"""RFC 3744 properties as SOGo exposes them: ``DAV:acl``, ``acl-restrictions``,
``supported-privilege-set`` and ``current-user-privilege-set``.

Roles are changed through the Inverse ``acl-query`` POST (acl_query.py), never
through the ACL method. ``DAV:acl`` is only shown to those who may change it:
the owner and the super users.
"""

from __future__ import annotations

from .acl import ANONYMOUS, DEFAULT_UID, Access, access_for, acl_table
from .folder import Collection, FolderObject, Home
from .properties import Property, register
from .resources import DAV_PREFIX, Principal
from .xml import CALDAV, DAV, INVERSE, clark, element, href

READ_CUPS = [(DAV, "read"), (DAV, "read-current-user-privilege-set")]
HOME_OWNER = [(DAV, n) for n in ("read-current-user-privilege-set", "read", "bind", "unbind", "write",
                                 "write-properties", "write-content")]


def privilege_elements(privileges) -> list:
    return [element(clark(DAV, "privilege"), children=[element(clark(ns, name))]) for ns, name in privileges]


def access_of(resource) -> Access | None:
    if isinstance(resource, Collection):
        return resource.access
    if isinstance(resource, FolderObject):
        return resource.collection.access
    return None


def acl_target(resource):
    """(folder, object name or None) whose ACL a resource shows, or None."""
    if isinstance(resource, Collection):
        return resource.folder, None
    if isinstance(resource, FolderObject):
        return resource.collection.folder, resource.name
    return None


@register
class CurrentUserPrivilegeSet(Property):
    name = clark(DAV, "current-user-privilege-set")
    in_allprop = False

    def get(self, ctx, resource):
        access = access_of(resource)
        if access is not None:
            privileges = access.privileges()
        elif isinstance(resource, Home):
            privileges = HOME_OWNER if resource.is_owner else READ_CUPS
        elif isinstance(resource, Principal):
            own = ctx.user is not None and resource.user.uid == ctx.user.uid
            privileges = READ_CUPS + ([(DAV, "all")] if own else [])
        elif hasattr(resource, "collection"):
            privileges = []          # personal.ics / .xml exports: SOGo lists nothing
        else:
            privileges = READ_CUPS
        return self.make(children=privilege_elements(privileges))


@register
class AclRestrictions(Property):
    name = clark(DAV, "acl-restrictions")
    in_allprop = False

    def get(self, ctx, resource):
        if acl_target(resource) is None:
            return None
        return self.make(children=[element(clark(DAV, "grant-only")), element(clark(DAV, "no-invert"))])


def _priv(ns, name, *, abstract=False, children=()):
    return (ns, name, abstract, children)


def _schedule(kind, comps):
    return _priv(CALDAV, f"schedule-{kind}", children=[_priv(CALDAV, f"schedule-{kind}-{c}") for c in comps])


CALENDAR_TREE = _priv(DAV, "all", abstract=True, children=[
    _priv(DAV, "read", abstract=True, children=[
        _priv(DAV, "read-current-user-privilege-set", abstract=True),
        _priv(CALDAV, "read-free-busy"),
        *[_priv(INVERSE, f"{what}-{klass}-records")
          for klass in ("public", "private", "confidential")
          for what in ("viewwhole", "viewdant", "modify", "respondto")],
    ]),
    _priv(DAV, "write", abstract=True, children=[
        _priv(DAV, "bind", children=[_priv(CALDAV, "schedule", children=[
            _schedule("post", ("vevent", "vtodo", "vjournal", "vfreebusy")),
            _schedule("deliver", ("vevent", "vtodo", "vjournal", "vfreebusy")),
            _schedule("respond", ("vevent", "vtodo"))])]),
        _priv(DAV, "unbind"),
        _priv(DAV, "write-properties", abstract=True),
        _priv(DAV, "write-content", abstract=True),
    ]),
    _priv(INVERSE, "admin", abstract=True, children=[
        _priv(DAV, "read-acl", abstract=True), _priv(DAV, "write-acl", abstract=True)]),
])

CONTACTS_TREE = _priv(DAV, "all", abstract=True, children=[
    _priv(DAV, "read", abstract=True, children=[_priv(DAV, "read-current-user-privilege-set", abstract=True)]),
    _priv(DAV, "write", abstract=True, children=[
        _priv(DAV, "bind"), _priv(DAV, "unbind"),
        _priv(DAV, "write-properties", abstract=True), _priv(DAV, "write-content", abstract=True)]),
    _priv(INVERSE, "admin", abstract=True, children=[
        _priv(DAV, "read-acl", abstract=True), _priv(DAV, "write-acl", abstract=True)]),
])


def _render_tree(node):
    ns, name, abstract, children = node
    parts = [element(clark(DAV, "privilege"), children=[element(clark(ns, name))])]
    if abstract:
        parts.append(element(clark(DAV, "abstract")))
    description = element(clark(DAV, "description"), name)
    description.set("{http://www.w3.org/XML/1998/namespace}lang", "en")
    parts.append(description)
    parts += [_render_tree(child) for child in children]
    return element(clark(DAV, "supported-privilege"), children=parts)


@register
class SupportedPrivilegeSet(Property):
    name = clark(DAV, "supported-privilege-set")
    in_allprop = False

    def get(self, ctx, resource):
        target = acl_target(resource)
        if target is None:
            return None
        tree = CALENDAR_TREE if target[0].kind == "Calendar" else CONTACTS_TREE
        return self.make(children=[_render_tree(tree)])


def may_administer(ctx, resource) -> bool:
    access = access_of(resource)
    return access is not None and access.owner


def _ace(principal_children, privileges, inherited_from=None):
    parts = [element(clark(DAV, "principal"), children=principal_children),
             element(clark(DAV, "grant"), children=privilege_elements(privileges))]
    if inherited_from:
        parts.append(element(clark(DAV, "inherited"), children=[href(inherited_from)]))
    return element(clark(DAV, "ace"), children=parts)


@register
class Acl(Property):
    """SOGo's ACEs: DAV:self, the owner property, DAV:authenticated (``<default>``), then one per user."""

    name = clark(DAV, "acl")
    in_allprop = False

    def get(self, ctx, resource):
        target = acl_target(resource)
        if target is None or not may_administer(ctx, resource):
            return None
        folder, name = target
        owner_href = f"{DAV_PREFIX}/{folder.owner}/"
        aces = []
        own = access_of(resource)
        aces.append(_ace([element(clark(DAV, "self"))], own.privileges(), owner_href))
        owner_access = Access(True, frozenset(), folder.kind)
        aces.append(_ace([element(clark(DAV, "property"), children=[element(clark(DAV, "owner"))])],
                         owner_access.privileges(), owner_href))
        default = access_for(ctx, folder, DEFAULT_UID, name)
        if default.roles:
            aces.append(_ace([element(clark(DAV, "authenticated"))], default.privileges(), owner_href))
        for uid in acl_users(ctx, folder, name):
            if uid == DEFAULT_UID:
                continue
            access = access_for(ctx, folder, uid, name)
            if access.roles or access.owner:
                principal = (element(clark(DAV, "unauthenticated")) if uid == ANONYMOUS
                             else href(f"{DAV_PREFIX}/{uid}/"))
                aces.append(_ace([principal], access.privileges()))
        return self.make(children=aces)


def acl_users(ctx, folder, name: str | None = None) -> list[str]:
    """The c_uid values with rows on the folder (or the object), as SOGo's ``aclUsers``."""
    path = folder.acl_object if name is None else f"{folder.acl_object}/{name}"
    return sorted(acl_table(ctx, folder).get(path, {}))


@register
class InheritedAclSet(Property):
    name = clark(DAV, "inherited-acl-set")
    in_allprop = False

    def get(self, ctx, resource):
        if isinstance(resource, FolderObject) and may_administer(ctx, resource):
            return self.make(children=[href(resource.collection.href)])
        return None


__all__ = ["Acl", "AclRestrictions", "CurrentUserPrivilegeSet", "SupportedPrivilegeSet", "acl_users"]
