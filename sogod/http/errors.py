"""Error responses: short, plain, never a traceback."""

from __future__ import annotations

from werkzeug.wrappers import Response

REALM = "SOGo"


def unauthorized() -> Response:
    response = Response("Unauthorized", status=401, mimetype="text/plain")
    response.headers["WWW-Authenticate"] = f'basic realm="{REALM}"'
    return response


def plain(status: int, message: str, **headers) -> Response:
    response = Response(message + "\n" if message else "", status=status, mimetype="text/plain")
    for name, value in headers.items():
        response.headers[name.replace("_", "-")] = value
    return response
