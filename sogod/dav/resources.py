"""The DAV tree under /SOGo/dav/: which object a path names.

Today: the root (principal collection) and each user's principal. CalDAV and
CardDAV add their homes and collections by registering child resolvers.
"""

from __future__ import annotations

from typing import Callable

from ..auth.user import User
from .errors import DAVError
from .xml import DAV, clark

DAV_PREFIX = "/SOGo/dav"


class Resource:
    path: str = "/"
    resource_types: tuple[str, ...] = ()
    dav_classes: tuple[str, ...] = ("1", "access-control")
    methods: tuple[str, ...] = ("OPTIONS", "PROPFIND")
    is_collection = True

    def children(self, ctx) -> list["Resource"]:
        return []

    @property
    def href(self) -> str:
        return DAV_PREFIX + self.path


class DavRoot(Resource):
    path = "/"
    resource_types = (clark(DAV, "collection"),)

    def children(self, ctx):
        # Only the caller's own principal: the directory is not listed to everyone.
        return [Principal(ctx.user)] if ctx.user else []


class Principal(Resource):
    resource_types = (clark(DAV, "collection"), clark(DAV, "principal"))

    def __init__(self, user: User):
        self.user = user
        self.path = f"/{user.uid}/"

    def child(self, ctx, name: str) -> Resource | None:
        resolver = PRINCIPAL_CHILDREN.get(name)
        return resolver(ctx, self) if resolver else None

    def children(self, ctx) -> list[Resource]:
        # Calendar/, Contacts/, freebusy.ifb … as SOGo lists them (those that are enabled).
        found = (resolver(ctx, self) for resolver in PRINCIPAL_CHILDREN.values())
        return [child for child in found if child is not None]


# name -> resolver(ctx, principal) for /SOGo/dav/<uid>/<name>/…; filled by CalDAV, CardDAV…
PRINCIPAL_CHILDREN: dict[str, Callable] = {}


def split_path(path: str) -> list[str]:
    """The segments after /SOGo/dav; '..', '.' and control characters are refused."""
    if not (path == DAV_PREFIX or path.startswith(DAV_PREFIX + "/")):
        raise DAVError(404, "not a DAV path")
    segments = [s for s in path[len(DAV_PREFIX):].split("/") if s]
    for segment in segments:
        if segment in (".", "..") or any(ord(c) < 32 or c == "\x7f" for c in segment):
            raise DAVError(400, "invalid path segment")
    return segments


def resolve(ctx, path: str) -> Resource:
    segments = split_path(path)
    if not segments:
        return DavRoot()
    user = ctx.services.directory.lookup(segments[0])
    if user is None:
        raise DAVError(404, "no such user")
    return walk(ctx, Principal(user), segments[1:])


def walk(ctx, resource: Resource, names: list[str]) -> Resource:
    """The resource reached from ``resource`` through ``names``; 404 at the first missing one."""
    for name in names:
        child = getattr(resource, "child", None)
        resource = child(ctx, name) if child else None
        if resource is None:
            raise DAVError(404, "not found")
    return resource
