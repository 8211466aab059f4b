"""Sending a message as SOGo does (guide §5.11): ``SOGoMailingMechanism`` picks
the ``sendmail`` program (``WOSendMail``) or SMTP to ``SOGoSMTPServer``.

``SOGoSMTPServer`` is ``host``, ``host:port`` (3.2.8; port 25) or a 5.x URL:
``smtp://host:port/?tls=YES`` (STARTTLS) or ``smtps://host:port`` (TLS from
the first byte; port 465). With ``SOGoSMTPAuthenticationType = PLAIN`` the
request's own login and password are used (AUTH PLAIN), or the user's primary
address as login with ``SOGoForceExternalLoginWithEmail``.
"""

from __future__ import annotations

import smtplib
import ssl
import subprocess
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from ..server.logs import get_logger

log = get_logger("mail")

TIMEOUT = 30


class MailError(Exception):
    """The message could not be handed over (server refused, unreachable, bad setting)."""


@dataclass(frozen=True)
class SMTPServer:
    host: str
    port: int = 25
    tls: str = ""          # "" | "starttls" | "ssl"


def parse_smtp_server(value: str | None) -> SMTPServer:
    """``host``, ``host:port``, ``[v6]:port``, ``smtp://h:p/?tls=YES`` or ``smtps://h:p``."""
    text = (value or "localhost").strip()
    if "://" in text:
        parts = urlsplit(text)
        scheme = parts.scheme.lower()
        if scheme not in ("smtp", "smtps") or not parts.hostname:
            raise MailError(f"SOGoSMTPServer: unsupported value {text!r}")
        query = {k.lower(): v for k, v in parse_qs(parts.query).items()}
        starttls = (query.get("tls") or [""])[0].upper() in ("YES", "TRUE", "1")
        try:
            port = parts.port
        except ValueError:
            raise MailError(f"SOGoSMTPServer: bad port in {text!r}") from None
        if scheme == "smtps":
            return SMTPServer(parts.hostname, port or 465, "ssl")
        return SMTPServer(parts.hostname, port or 25, "starttls" if starttls else "")
    host, port = text, 25
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        if rest.startswith(":"):
            port = _port(rest[1:], text)
    elif text.count(":") == 1:
        host, _, number = text.partition(":")
        port = _port(number, text)
    if not host:
        raise MailError(f"SOGoSMTPServer: no host in {text!r}")
    return SMTPServer(host, port)


def _port(number: str, text: str) -> int:
    if not number.isdigit() or not 0 < int(number) < 65536:
        raise MailError(f"SOGoSMTPServer: bad port in {text!r}")
    return int(number)


def send_mail(defaults, sender: str, recipients: list[str], message: bytes, *,
              credentials=None, user=None) -> None:
    """Hand ``message`` over for ``recipients`` (envelope), from ``sender``.

    ``defaults`` is the (domain) defaults chain; ``credentials`` the request's
    login/password (for AUTH PLAIN); ``user`` the sender (for the e-mail login).
    Raises MailError.
    """
    recipients = [r for r in dict.fromkeys(recipients) if r]
    if not recipients:
        return
    mechanism = str(defaults.get("SOGoMailingMechanism") or "sendmail").lower()
    if mechanism == "smtp":
        server = parse_smtp_server(defaults.get("SOGoSMTPServer"))
        auth = None
        if str(defaults.get("SOGoSMTPAuthenticationType") or "").lower() == "plain":
            if credentials is None:
                raise MailError("SMTP authentication is configured but the request has no credentials")
            login = credentials.login
            if user is not None and defaults.bool("SOGoForceExternalLoginWithEmail") and user.primary_email:
                login = user.primary_email
            auth = (login, credentials.password)
        send_smtp(server, sender, recipients, message, auth=auth)
    else:
        send_sendmail(str(defaults.get("WOSendMail") or "/usr/lib/sendmail"), sender, recipients, message)


def send_smtp(server: SMTPServer, sender: str, recipients: list[str], message: bytes, *,
              auth: tuple[str, str] | None = None, timeout: float = TIMEOUT) -> None:
    try:
        if server.tls == "ssl":
            connection = smtplib.SMTP_SSL(server.host, server.port, timeout=timeout,
                                          context=ssl.create_default_context())
        else:
            connection = smtplib.SMTP(server.host, server.port, timeout=timeout)
        with connection as smtp:
            smtp.ehlo_or_helo_if_needed()
            if server.tls == "starttls":
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if auth is not None:
                smtp.user, smtp.password = auth
                smtp.auth("PLAIN", smtp.auth_plain)
            refused = smtp.sendmail(sender, recipients, message)
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(f"SMTP {server.host}:{server.port}: {type(exc).__name__}: {exc}") from None
    if refused:
        log.warning("SMTP %s:%s refused %s", server.host, server.port, ", ".join(refused))


def send_sendmail(program: str, sender: str, recipients: list[str], message: bytes,
                  timeout: float = TIMEOUT) -> None:
    """Pipe the message to ``program -i -f sender -- recipients`` (as NGSendMail)."""
    if any(r.startswith("-") for r in [sender, *recipients]):
        raise MailError("refusing an address that starts with '-'")
    try:
        result = subprocess.run([program, "-i", "-f", sender, "--", *recipients], input=message,
                                capture_output=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise MailError(f"{program}: {exc}") from None
    if result.returncode != 0:
        raise MailError(f"{program} exited with {result.returncode}: "
                        f"{result.stderr.decode('utf-8', 'replace')[:200]}")
