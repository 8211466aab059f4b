"""Answering a /SOGo/dav request: authentication, resolution, dispatch.

Importing this module registers every extension (CalDAV, CardDAV, ACLs…)."""

from __future__ import annotations

from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from ..auth.policy import PolicyError
from ..auth.sources import SourceError
from ..http import errors as http_errors
from ..http.basic import Credentials, parse_basic
from ..server.logs import get_logger, quoted_name
from .errors import DAVError
from .methods import METHODS
from .resources import resolve, split_path
from .xml import DAV, clark, element, serialize
# Extensions register their resources, properties, reports and POST handlers on import.
from . import folder_properties, sync  # noqa: F401,E402
from . import acl_properties, acl_query, proxy, subscriptions  # noqa: F401,E402
from .public import PUBLIC_PREFIX  # noqa: E402
from . import principal_reports  # noqa: F401,E402
from ..caldav import properties as _caldav_properties  # noqa: F401,E402
from ..caldav import reports as _caldav_reports  # noqa: F401,E402
from ..caldav import freebusy as _caldav_freebusy, outbox as _caldav_outbox  # noqa: F401,E402
from ..carddav import properties as _carddav_properties, reports as _carddav_reports  # noqa: F401,E402

log = get_logger("dav")


def handle_dav(ctx) -> Response:
    if ctx.request.path.startswith(PUBLIC_PREFIX):
        from .public import handle_public
        return handle_public(ctx)
    credentials = parse_basic(ctx.request.headers.get("Authorization"))
    proxied = proxy_login(ctx)
    if proxied is not None:
        try:
            user = ctx.services.directory.lookup_login(proxied)
        except SourceError:
            return http_errors.plain(503, "User directory unavailable", Retry_After="30")
        if user is None:
            log.info("proxy-authenticated user '%s' is unknown here", quoted_name(proxied))
            return http_errors.plain(403, "Unknown user")
        # The front end checked the password; one sent along is kept for the mail services.
        kept = credentials.password if credentials is not None and credentials.login == proxied else ""
        return _serve_user(ctx, user, Credentials(proxied, kept))
    if credentials is None:
        return http_errors.unauthorized()
    try:
        outcome = ctx.services.directory.login(credentials.login, credentials.password)
    except SourceError:
        return http_errors.plain(503, "User directory unavailable", Retry_After="30")
    user = outcome.user if outcome.error == PolicyError.NO_ERROR else None
    if user is None:
        log.info("Login from '%s' for user '%s' might not have worked - password policy: %d",
                 ctx.remote_host, quoted_name(credentials.login), outcome.error)
        return http_errors.unauthorized()
    return _serve_user(ctx, user, credentials)


def _serve_user(ctx, user, credentials) -> Response:
    ctx.user, ctx.credentials = user, credentials
    if not ctx.services.request_limiter.allow(user.uid):
        log.warning("user '%s' made too many requests: refused for now", quoted_name(user.uid))
        return Response(status=429)
    return serve(ctx, lambda: _resolve_visible(ctx))


def proxy_login(ctx) -> str | None:
    """The login a trusted front end authenticated (SOGoTrustProxyAuthentication and
    ``x-webobjects-remote-user`` from an address of SOGodTrustedProxies), else None."""
    name = (ctx.request.headers.get("x-webobjects-remote-user") or "").strip()
    if not name or not ctx.defaults.bool("SOGoTrustProxyAuthentication"):
        return None
    peer = ctx.request.environ.get("REMOTE_ADDR") or "-"
    if peer not in ctx.services.trusted_proxies:
        log.warning("x-webobjects-remote-user from %s ignored: not in SOGodTrustedProxies", peer)
        return None
    if len(name) > 256 or any(not c.isprintable() for c in name):
        return None
    return name


def _resolve_visible(ctx):
    """The resource of the path, when its principal belongs to a domain the caller
    sees (guide §5.15): another domain's principal is not found."""
    segments = split_path(ctx.request.path)
    if segments and segments[0] != ctx.user.uid:
        directory = ctx.services.directory
        other = directory.lookup(segments[0])
        if other is not None and not directory.can_see(ctx.user, other):
            raise DAVError(404, "no such user")
    return resolve(ctx, ctx.request.path)


def serve(ctx, find) -> Response:
    """Dispatch the request to the resource ``find()`` returns (for the caller in ``ctx.user``)."""
    try:
        resource = find()
        handler = METHODS.get(ctx.request.method)
        if getattr(resource, "unmapped", False) and ctx.request.method not in resource.methods:
            return http_errors.plain(404, "Not Found")
        if handler is None or ctx.request.method not in resource.methods:
            response = http_errors.plain(405, "Method Not Allowed")
            response.headers["Allow"] = ", ".join(resource.methods)
            return response
        return handler(ctx, resource)
    except DAVError as exc:
        return error_response(exc)
    except RequestEntityTooLarge:
        return http_errors.plain(413, "Request body too large")


def error_response(exc: DAVError) -> Response:
    if exc.precondition:
        body = serialize(element(clark(DAV, "error"), children=[element(exc.precondition)]))
        return Response(body, status=exc.status, content_type='text/xml; charset="utf-8"')
    return http_errors.plain(exc.status, exc.message)
