"""The ``-p credFile`` of SOGo's tools: one line ``username:password``.

As ``SOGoCredentialsFile``: UTF-8, line ends trimmed, split at the first colon
(the password may hold colons). Messages name the file, never its content.
"""

from __future__ import annotations


class CredentialsError(Exception):
    """The file is missing, unreadable or not ``username:password``."""


def read_credentials(path: str) -> tuple[str, str]:
    try:
        with open(path, "rb") as f:
            text = f.read().decode("utf-8")
    except OSError as exc:
        raise CredentialsError(f"cannot read the credentials file {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise CredentialsError(f"credentials file {path}: not UTF-8 text") from None
    login, colon, password = text.strip("\r\n").partition(":")
    if not colon or not login or "\n" in text.strip("\r\n"):
        raise CredentialsError(f"credentials file {path}: expected one line username:password")
    return login, password
