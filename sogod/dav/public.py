"""Anonymous access: ``/SOGo/dav/public/<uid>/Calendar/<id>/…`` (and ``Contacts``).

Only when ``SOGoEnablePublicAccess = YES``; no authentication there, the caller
is the user ``anonymous`` and gets exactly the roles granted to ``anonymous``
on the folder (never ``<default>`` nor the domain defaults). Only reading
methods are served; anything else is 401 (authenticate at the non-public URL),
anything unknown or not public 404.
"""

from __future__ import annotations

from ..auth.user import User
from ..http import errors as http_errors
from .errors import DAVError
from .resources import DAV_PREFIX, Principal, split_path, walk

PUBLIC_PREFIX = DAV_PREFIX + "/public/"
PUBLIC_CHILDREN = ("Calendar", "Contacts")
READ_METHODS = ("OPTIONS", "PROPFIND", "REPORT", "GET", "HEAD")
ANONYMOUS_USER = User(uid="anonymous", source_id="", cn="Public Access")


class PublicPrincipal(Principal):
    """The root of a user's public tree; children carry the ``/public`` prefix in their hrefs."""

    def __init__(self, user: User):
        super().__init__(user)
        self.path = f"/public/{user.uid}/"

    def child(self, ctx, name):
        return super().child(ctx, name) if name in PUBLIC_CHILDREN else None


def resolve_public(ctx, path: str):
    segments = split_path(path)[1:]          # drop "public"
    if len(segments) < 2:
        raise DAVError(404, "not found")
    user = ctx.services.directory.lookup(segments[0])
    if user is None:
        raise DAVError(404, "no such user")
    return walk(ctx, PublicPrincipal(user), segments[1:])


def handle_public(ctx):
    if not ctx.defaults.bool("SOGoEnablePublicAccess"):
        return http_errors.plain(404, "Not Found")
    if ctx.request.method not in READ_METHODS:
        return http_errors.unauthorized()
    from .handler import serve
    ctx.user = ANONYMOUS_USER
    return serve(ctx, lambda: resolve_public(ctx, ctx.request.path))
