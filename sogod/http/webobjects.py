"""The ``x-webobjects-*`` headers a front-end (Apache) sends, and the client address.

Apache tells SOGo the public URL with ``x-webobjects-server-url`` (or
``-server-protocol``/``-server-name``/``-server-port``); absolute URLs that
sogod generates start with it. The client address comes from
``x-webobjects-remote-host`` or ``X-Forwarded-For`` only when the TCP peer is
a trusted proxy: anyone else could otherwise choose the address that appears
in the log (and poison fail2ban).
"""

from __future__ import annotations

import ipaddress
import re

_URL_RE = re.compile(r"^https?://[A-Za-z0-9.\-\[\]:]+$")


def client_address(environ: dict, trusted: frozenset[str]) -> str:
    peer = environ.get("REMOTE_ADDR") or "-"
    if peer not in trusted:
        return peer
    forwarded = environ.get("HTTP_X_WEBOBJECTS_REMOTE_HOST") or ""
    if not forwarded:
        # The last address not added by a trusted proxy is the client's.
        hops = [h.strip() for h in (environ.get("HTTP_X_FORWARDED_FOR") or "").split(",") if h.strip()]
        while hops and hops[-1] in trusted:
            hops.pop()
        forwarded = hops[-1] if hops else ""
    return forwarded if _is_ip(forwarded) else peer


def server_url(environ: dict) -> str:
    """The public base URL (scheme://host[:port]) without a trailing slash."""
    url = (environ.get("HTTP_X_WEBOBJECTS_SERVER_URL") or "").strip().rstrip("/")
    if url and _URL_RE.match(url):
        return url
    name = environ.get("HTTP_X_WEBOBJECTS_SERVER_NAME", "").strip()
    if name and re.match(r"^[A-Za-z0-9.\-\[\]:]+$", name):
        scheme = (environ.get("HTTP_X_WEBOBJECTS_SERVER_PROTOCOL") or "").lower()
        port = environ.get("HTTP_X_WEBOBJECTS_SERVER_PORT", "").strip()
        scheme = "https" if scheme.startswith("https") or port == "443" else "http"
        default = "443" if scheme == "https" else "80"
        suffix = f":{port}" if port.isdigit() and port != default and ":" not in name else ""
        return f"{scheme}://{name}{suffix}"
    host = environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME', 'localhost')}:{environ.get('SERVER_PORT', '80')}"
    if not re.match(r"^[A-Za-z0-9.\-\[\]:]+$", host):
        host = "localhost"
    return f"{environ.get('wsgi.url_scheme', 'http')}://{host}"


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return False
