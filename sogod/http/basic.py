"""HTTP Basic credentials, parsed defensively.

Real SOGo 5.8 loses a worker to ``Authorization: Basic AAAA`` and drops the
connection on any other scheme; here every malformed or foreign header is
simply "no credentials" (the caller answers 401).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from urllib.parse import unquote


@dataclass(frozen=True)
class Credentials:
    """A login and password, kept in memory for one request only (IMAP needs it later)."""

    login: str
    password: str = ""

    def __repr__(self) -> str:  # never print the password
        return f"Credentials(login={self.login!r})"


MAX_HEADER = 4096


def parse_basic(header: str | None) -> Credentials | None:
    if not header or len(header) > MAX_HEADER:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "basic" or not token.strip():
        return None
    try:
        raw = base64.b64decode(token.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    login, sep, password = text.partition(":")
    if not sep or not login or "\x00" in text:
        return None
    # SOGo accepts %40 for @ in logins (some clients cannot type @ in a user name).
    login = unquote(login) if "%" in login else login
    return Credentials(login.strip(), password)
