"""Web sessions, in SOGo's own format so that a session opened by SOGo stays
valid under sogod and the other way round (sogo-facts §6.2).

The browser holds ``0xHIGHFLYxSOGo = "basic " + base64("<userKey>:<sessionKey>")``;
the server holds, under the session key (memcached ``session:<key>`` and the
``OCSSessionsFolderURL`` row), ``login:password`` XOR-ed with the user key. Neither
half alone gives the password back, and the server never stores it in clear. The
XSRF token is the SHA-1 of the stored value.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass
from urllib.parse import quote, unquote

from ..http.basic import Credentials
from ..server.logs import get_logger

log = get_logger("web.session")

COOKIE = "0xHIGHFLYxSOGo"
XSRF_COOKIE = "XSRF-TOKEN"
COOKIE_PATH = "/SOGo/"
USER_KEY_BYTES = 2255          # SOGo's generateKeyForLength: 3000 / 1.33
SESSION_KEY_BYTES = 12         # 16 / 1.33
LINE = 1024                    # GNUstep's base64 line length for these values
MAX_VALUE = 3010               # the stored value of a 2255-byte key
MAX_COOKIE = 8192


def _b64(data: bytes) -> str:
    text = base64.b64encode(data).decode("ascii")
    return "\n".join(text[i:i + LINE] for i in range(0, len(text), LINE))


def _unb64(text: str) -> bytes:
    return base64.b64decode("".join(text.split()), validate=True)


def _xor(value: bytes, key: bytes) -> bytes:
    if len(key) < len(value):                   # SOGo repeats a short key
        key = key * (len(value) // len(key) + 1)
    padded = value.ljust(len(key), b"\0")
    return bytes(a ^ b for a, b in zip(key, padded))


def secure(login: str, password: str, user_key: str) -> str:
    return _b64(_xor(f"{login}:{password}".encode("utf-8"), _unb64(user_key)))


def reveal(value: str, user_key: str) -> Credentials | None:
    try:
        plain = _xor(_unb64(value), _unb64(user_key))
    except (binascii.Error, ValueError):
        return None
    text = plain.split(b"\0", 1)[0].decode("utf-8", "replace")
    login, sep, password = text.partition(":")
    return Credentials(login, password) if sep and login else None


def xsrf_token(value: str) -> str:
    return hashlib.sha1(value.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class WebSession:
    key: str                       # the session key (c_id)
    cookie: str                    # the cookie value, before quoting
    value: str                     # what the server stores
    credentials: Credentials

    @property
    def xsrf_token(self) -> str:
        return xsrf_token(self.value)


class SessionManager:
    """Opens, finds and ends sessions in the cache (shared by workers and hosts)
    and in the sessions table (which outlives the cache)."""

    def __init__(self, store, cache):
        self.store, self.cache = store, cache

    def open(self, login: str, password: str) -> WebSession:
        user_key = _b64(os.urandom(self._key_bytes()))
        session_key = _b64(os.urandom(SESSION_KEY_BYTES))
        value = secure(login, password, user_key)
        self.cache.set(f"session:{session_key}", value)
        if self.store is not None:
            self.store.put(session_key, value)
        cookie = "basic " + _b64(f"{user_key}:{session_key}".encode("ascii"))
        return WebSession(session_key, cookie, value, Credentials(login, password))

    def _key_bytes(self) -> int:
        """SOGo 5's key length, or a shorter one for a session table of SOGo 3.x-5.5
        (c_value VARCHAR(255)): SOGo 3 used 64 random bytes; we take what fits."""
        width = self.store.value_width if self.store is not None else MAX_VALUE
        if width >= MAX_VALUE:
            return USER_KEY_BYTES
        return max(SESSION_KEY_BYTES, min(USER_KEY_BYTES, width // 4 * 3))

    def find(self, cookie: str | None) -> WebSession | None:
        """The session a cookie value names (quoted or not), or None."""
        parsed = parse_cookie(cookie)
        if parsed is None:
            return None
        user_key, session_key = parsed
        value = self.cache.get(f"session:{session_key}")
        if value is None and self.store is not None:
            row = self.store.get(session_key)
            if row is not None:
                value = row.value
                self.cache.set(f"session:{session_key}", value)
                self.store.touch(session_key)   # as SOGo: c_lastseen on a cache miss only
        if value is None:
            return None
        credentials = reveal(value, user_key)
        if credentials is None:
            return None
        return WebSession(session_key, unquote(cookie), value, credentials)

    def end(self, session_key: str) -> None:
        self.cache.delete(f"session:{session_key}")
        if self.store is not None:
            self.store.delete(session_key)


def parse_cookie(cookie: str | None) -> tuple[str, str] | None:
    """``(user_key, session_key)`` from a cookie value; None when it is no session cookie."""
    if not cookie or len(cookie) > MAX_COOKIE:
        return None
    text = unquote(cookie.strip().strip('"'))
    scheme, _, token = text.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        raw = _unb64(token).decode("ascii")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    user_key, sep, session_key = raw.rpartition(":")
    if not sep or not user_key or not session_key or any(c.isspace() for c in session_key):
        return None
    return user_key, session_key


def cookie_header(name: str, value: str, *, expired: bool = False, http_only: bool = False,
                  max_age: int | None = None) -> str:
    """A Set-Cookie value as SOGo writes it (percent-encoded, path /SOGo/)."""
    parts = [f"{name}={quote(value, safe='+/=:')}"]
    if expired:
        parts.append("expires=Thu, 01-Jan-1970 00:00:00 GMT")
    elif max_age is not None:
        parts.append(f"max-age={max_age}")
    parts.append(f"path={COOKIE_PATH}")
    if http_only:
        parts.append("HttpOnly")
    return "; ".join(parts)
