"""The WSGI application: one entry point, routed by path prefix as SOGo does.

``/SOGo/dav`` (DAV clients, HTTP Basic), ``/SOGo/so`` (web UI),
``/SOGo/Microsoft-Server-ActiveSync`` (EAS), ``/.well-known/{caldav,carddav}``.
"""

from __future__ import annotations

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from ..auth import current
from ..config import SystemDefaults
from ..auth.sources import StaleCredentials
from ..server.logs import get_logger, quoted_name
from ..services import Services
from . import errors
from .accesslog import REMOTE_HOST_KEY, AccessLog
from .context import RequestContext
from .webobjects import client_address, server_url

log = get_logger("http")

URLS = Map([
    Rule("/.well-known/caldav", endpoint="well_known"),
    Rule("/.well-known/carddav", endpoint="well_known"),
    Rule("/", endpoint="root"),
    Rule("/SOGo", endpoint="web_root"),
    Rule("/SOGo/", endpoint="web_root"),
    Rule("/SOGo/connect", endpoint="connect", methods=["POST"]),
    Rule("/SOGo/changePassword", endpoint="change_password", methods=["POST"]),
    Rule("/SOGo/dav", endpoint="dav"),
    Rule("/SOGo/dav/", endpoint="dav"),
    Rule("/SOGo/dav/<path:rest>", endpoint="dav"),
    Rule("/SOGo/so/<path:rest>", endpoint="web"),
    Rule("/SOGo/Microsoft-Server-ActiveSync", endpoint="activesync"),
    Rule("/Microsoft-Server-ActiveSync", endpoint="activesync"),
], strict_slashes=False, merge_slashes=False)


class SogodApp:
    def __init__(self, defaults: SystemDefaults):
        self.services = Services(defaults)

    def __call__(self, environ, start_response):
        current.clear()             # nobody is logged in until this request says so
        environ[REMOTE_HOST_KEY] = client_address(environ, self.services.trusted_proxies)
        request = Request(environ)
        request.max_content_length = self.services.max_upload_bytes
        ctx = RequestContext(request=request, services=self.services,
                             remote_host=environ[REMOTE_HOST_KEY], server_url=server_url(environ))
        try:
            response = self.dispatch(ctx)
        except HTTPException as exc:
            response = exc.get_response(environ)
        except StaleCredentials:
            if ctx.credentials is not None:
                self.services.directory.credentials.forget(ctx.credentials.login)
            log.info("credentials of '%s' refused by the directory during the request",
                     quoted_name(ctx.credentials.login if ctx.credentials else "-"))
            response = errors.unauthorized()
        except TimeoutError:
            log.info("%s: client stalled while sending the request body", ctx.remote_host)
            response = errors.plain(408, "Request Timeout", Connection="close")
        except Exception as exc:  # a bug: log one line, answer without details
            log.error("%s %s failed: %s: %s", request.method, request.path, type(exc).__name__, exc)
            response = errors.plain(500, "Internal Server Error")
        return response(environ, start_response)

    def dispatch(self, ctx: RequestContext) -> Response:
        adapter = URLS.bind_to_environ(ctx.request.environ)
        try:
            endpoint, args = adapter.match(return_rule=False)
        except MethodNotAllowed:
            raise
        except HTTPException:
            raise NotFound()
        if endpoint == "dav":
            from ..dav import handle_dav
            return handle_dav(ctx)
        if endpoint == "well_known":
            # SOGo leaves this to Apache; sogod answers it itself (RFC 6764).
            return redirect(ctx.absolute_url("/SOGo/dav/"), code=301)
        if endpoint == "root":
            return redirect(ctx.absolute_url("/SOGo/"), code=302)
        if endpoint == "web_root":
            from ..web import root_page
            return root_page(ctx)
        if endpoint in ("connect", "change_password"):
            from ..web import login
            return getattr(login, endpoint)(ctx)
        if endpoint == "web":
            from ..web import handle_web
            return handle_web(ctx, args["rest"])
        if endpoint == "activesync":
            return errors.plain(501, "ActiveSync is not available on this server yet")
        raise NotFound()


def create_app(defaults: SystemDefaults):
    return AccessLog(SogodApp(defaults))
