"""Logging in and out of the web interface, and changing one's password there,
as SOGo 5 does it: ``POST /SOGo/connect``, ``POST /SOGo/changePassword``,
``GET /SOGo/so/<user>/logoff`` (sogo-facts §6.2, transcripts 77, 78, 91).

A refusal answers 403 ``{"LDAPPasswordPolicyError": code}`` with the source's
reason (policy.PolicyError): the login page tells "wrong password" from
"expired" or "must change it first", and offers the change in the last case.
"""

from __future__ import annotations

import base64
import json

from werkzeug.wrappers import Response

from ..auth.policy import PolicyError, PolicyRefused
from ..auth.sources import SourceError
from ..http import errors
from ..server.logs import get_logger, quoted_name
from .session import COOKIE, XSRF_COOKIE, cookie_header

log = get_logger("web.login")

MAX_BODY = 64 * 1024
REMEMBER_SECONDS = 30 * 24 * 3600           # SOGoLogin cookie: one month


class BadRequest(Exception):
    pass


def _json_body(ctx) -> dict:
    request = ctx.request
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise BadRequest("request body too large")
    data = request.get_data(cache=False)
    if len(data) > MAX_BODY:
        raise BadRequest("request body too large")
    try:
        body = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BadRequest("the body is not JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("the body is not a JSON object")
    return body


def _text(body: dict, key: str) -> str | None:
    value = body.get(key)
    return value if isinstance(value, str) and value else None


def _json(status: int, payload) -> Response:
    return Response(json.dumps(payload), status=status, content_type="application/json")


def _policy_error(error: PolicyError) -> Response:
    return _json(403, {"LDAPPasswordPolicyError": int(error)})


def _qualified_login(ctx, user_name: str, domain: str | None) -> str:
    """``user@domain`` when the login page offered ``domain`` (SOGoLoginDomains)."""
    domains = {str(d).lower() for d in ctx.defaults.list("SOGoLoginDomains") or ()}
    if domain and domain.lower() in domains and "@" not in user_name:
        return f"{user_name}@{domain}"
    return user_name


def _session_cookies(response: Response, session) -> None:
    response.headers.add("Set-Cookie", cookie_header(COOKIE, session.cookie, http_only=True))
    response.headers.add("Set-Cookie", cookie_header(XSRF_COOKIE, session.xsrf_token))


def connect(ctx) -> Response:
    if not ctx.defaults.bool("SOGoWebAccessEnabled"):
        return errors.plain(403, "Web access is disabled on this server")
    try:
        body = _json_body(ctx)
    except BadRequest as exc:
        log.info("login from '%s' refused: %s", ctx.remote_host, exc)
        return errors.plain(400, str(exc))
    user_name, password = _text(body, "userName"), _text(body, "password")
    login = _qualified_login(ctx, user_name or "", _text(body, "domain"))
    try:
        outcome = ctx.services.directory.login(login, password or "")
    except SourceError:
        return errors.plain(503, "User directory unavailable", Retry_After="30")
    # SOGo's rule: a login passes with no policy error and either no warning, grace
    # logins left, or an expiry warning (expire >= 0) without grace logins.
    accepted = outcome.ok and ((outcome.expire < 0 and outcome.grace < 0)
                               or (outcome.expire < 0 and outcome.grace > 0)
                               or (outcome.expire >= 0 and outcome.grace == -1))
    if not accepted:
        log.info("Login from '%s' for user '%s' might not have worked - password policy: %d  "
                 "grace: %d  expire: %d", ctx.remote_host, quoted_name(login), outcome.error,
                 outcome.grace, outcome.expire)
        response = _policy_error(outcome.error)
    else:
        user = outcome.user
        log.info("successful login from '%s' for user '%s' - expire = %d  grace = %d",
                 ctx.remote_host, quoted_name(user.uid), outcome.expire, outcome.grace)
        ctx.user = user
        # As SOGo: the session keeps the login as typed (qualified with the chosen
        # domain); every later request logs in with it again.
        session = ctx.services.sessions.open(login, password)
        response = _json(200, {"cn": user.cn or user.uid, "expire": outcome.expire, "grace": outcome.grace})
        _session_cookies(response, session)
    if body.get("rememberLogin") in (True, 1, "1", "YES", "true") and user_name:
        remembered = base64.b64encode(user_name.encode("utf-8")).decode("ascii")
        response.headers.add("Set-Cookie", cookie_header("SOGoLogin", remembered, max_age=REMEMBER_SECONDS))
    else:
        response.headers.add("Set-Cookie", cookie_header("SOGoLogin", "", expired=True))
    return response


def change_password(ctx) -> Response:
    try:
        body = _json_body(ctx)
    except BadRequest as exc:
        return errors.plain(400, str(exc))
    sessions = ctx.services.sessions
    session = sessions.find(_raw_cookie(ctx))
    if session is not None:
        login = session.credentials.login           # logged in: the session says who
    else:
        login = _qualified_login(ctx, _text(body, "userName") or "", _text(body, "domain"))
    old_password = _text(body, "oldPassword") or _text(body, "password")   # 5.x / 3.x names
    new_password = _text(body, "newPassword")
    if not login:
        return errors.plain(403, "Missing 'username' parameter")
    if not old_password:
        return errors.plain(403, "Missing 'oldPassword' parameter")
    if not new_password:
        return errors.plain(403, "Missing 'newPassword' parameter")
    if not ctx.defaults.bool("SOGoPasswordChangeEnabled"):
        log.info("password change for '%s' refused: SOGoPasswordChangeEnabled is NO", quoted_name(login))
        return _policy_error(PolicyError.PASSWORD_CHANGE_UNSUPPORTED)
    try:
        ctx.services.directory.change_own_password(login, old_password, new_password)
    except PolicyRefused as exc:
        log.info("password change for '%s' refused: %s", quoted_name(login), exc.error.name)
        return _policy_error(exc.error)
    except SourceError as exc:
        log.error("password change for '%s' failed: %s", quoted_name(login), exc)
        return errors.plain(503, "User directory unavailable", Retry_After="30")
    if session is not None:
        sessions.end(session.key)
    response = Response(status=204)
    _session_cookies(response, sessions.open(login, new_password))
    return response


def logoff(ctx) -> Response:
    session = ctx.services.sessions.find(_raw_cookie(ctx))
    if session is not None:
        ctx.services.sessions.end(session.key)
        log.info("user '%s' logged off", quoted_name(session.credentials.login))
    response = Response(status=302, headers={"Location": "/SOGo/so/", "Cache-Control": "no-store"})
    response.headers.add("Set-Cookie", cookie_header(COOKIE, "discard", expired=True))
    response.headers.add("Set-Cookie", cookie_header(XSRF_COOKIE, "discard", expired=True))
    return response


def _raw_cookie(ctx) -> str | None:
    """The session cookie as sent: werkzeug would undo quoting SOGo never applied."""
    for part in (ctx.request.headers.get("Cookie") or "").split(";"):
        name, sep, value = part.strip().partition("=")
        if sep and name == COOKIE:
            return value
    return None
