"""The browser interface. Today: the landing page that tells users where to point
clients, and the session endpoints (login.py) the web UI will stand on."""

from __future__ import annotations

from html import escape

from werkzeug.wrappers import Response

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body>
<h1>{title}</h1>
<p>The web interface of sogod is not available yet. Point your clients at:</p>
<ul>
<li>CalDAV and CardDAV: <code>{base}/SOGo/dav/</code> (your calendars:
<code>{base}/SOGo/dav/&lt;login&gt;/Calendar/</code>, your address books:
<code>{base}/SOGo/dav/&lt;login&gt;/Contacts/</code>)</li>
</ul>
</body></html>
"""


def root_page(ctx) -> Response:
    title = escape(str(ctx.defaults.get("SOGoPageTitle") or "SOGo"))
    return Response(PAGE.format(title=title, base=escape(ctx.server_url)), mimetype="text/html")


def handle_web(ctx, rest: str) -> Response:
    """``/SOGo/so/<rest>``: ``<user>/logoff`` today; the rest of the UI is not built yet."""
    parts = [p for p in rest.split("/") if p]
    if len(parts) == 2 and parts[1] == "logoff":
        from .login import logoff
        return logoff(ctx)
    from ..http import errors
    return errors.plain(404, "Not Found")
