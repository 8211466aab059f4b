"""One access line per request in SOGo's format (fail2ban parses it).

``<remote-host> "<METHOD> <URI> <HTTP-version>" <status> <resp-bytes>/<req-bytes> <seconds.mmm> - - 0``
"""

from __future__ import annotations

import time

from ..server.logs import get_logger

log = get_logger("access")

REMOTE_HOST_KEY = "sogod.remote_host"


class AccessLog:
    """WSGI middleware: time the request, count bytes, log when the body is sent."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        started = time.monotonic()
        status_holder = ["-"]

        def recording_start_response(status, headers, exc_info=None):
            status_holder[0] = status.split(" ", 1)[0]
            return start_response(status, headers, exc_info)

        sent = 0
        body = None
        try:
            body = self.app(environ, recording_start_response)
            for chunk in body:
                sent += len(chunk)
                yield chunk
        finally:
            if hasattr(body, "close"):
                body.close()
            log.info("%s", format_line(environ, status_holder[0], sent, time.monotonic() - started))


def format_line(environ: dict, status: str, sent: int, seconds: float) -> str:
    uri = environ.get("RAW_URI") or (environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""))
    if not environ.get("RAW_URI") and environ.get("QUERY_STRING"):
        uri += "?" + environ["QUERY_STRING"]
    received = environ.get("CONTENT_LENGTH") or "0"
    if not str(received).isdigit():
        received = "0"
    host = environ.get(REMOTE_HOST_KEY) or environ.get("REMOTE_ADDR") or "-"
    # The URI is client data: keep the line parseable.
    uri = uri.replace('"', "%22").replace("\n", "%0A").replace("\r", "%0D")
    method = "".join(c for c in environ.get("REQUEST_METHOD", "-") if c.isalnum())
    return (f'{host} "{method} {uri} {environ.get("SERVER_PROTOCOL", "HTTP/1.1")}" '
            f"{status} {sent}/{received} {seconds:.3f} - - 0")
