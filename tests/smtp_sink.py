"""An SMTP sink on loopback (aiosmtpd): every message sogod sends, kept for the test.

``smtp_sink`` (function scope) yields a :class:`SMTPSink`: ``.host``, ``.port``,
``.address`` (``127.0.0.1:PORT``, for SOGoSMTPServer), ``.messages`` (list of
:class:`Received`: ``mail_from``, ``rcpt_tos``, ``data`` bytes, ``message``
parsed, ``login`` of the AUTH, if any), ``.wait(count)``, and ``.accounts``
({login: password} that AUTH accepts; AUTH is offered, never required).
"""

from __future__ import annotations

import email
import email.policy
import time
from dataclasses import dataclass, field

import pytest

from tests.services import free_port


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    login: str | None = None

    @property
    def message(self):
        return email.message_from_bytes(self.data, policy=email.policy.default)


@dataclass
class SMTPSink:
    host: str = "127.0.0.1"
    port: int = 0
    messages: list[Received] = field(default_factory=list)
    accounts: dict[str, str] = field(default_factory=dict)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def wait(self, count: int, timeout: float = 5.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.messages

    # aiosmtpd handler
    async def handle_DATA(self, server, session, envelope):
        login = session.auth_data.login.decode() if getattr(session, "auth_data", None) else None
        self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content, login))
        return "250 OK"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult, LoginPassword
        if isinstance(auth_data, LoginPassword):
            login, password = auth_data.login.decode(), auth_data.password.decode()
            if self.accounts.get(login) == password:
                return AuthResult(success=True, auth_data=auth_data)
        return AuthResult(success=False, handled=False)


@pytest.fixture
def smtp_sink():
    try:
        from aiosmtpd.controller import Controller
    except ImportError:
        pytest.fail("aiosmtpd is missing: pip install aiosmtpd (the test extra)", pytrace=False)
    sink = SMTPSink()
    for attempt in range(5):
        sink.port = free_port()
        controller = Controller(sink, hostname=sink.host, port=sink.port, authenticator=sink.authenticate,
                                auth_require_tls=False, auth_required=False)
        try:
            controller.start()
            break
        except (OSError, RuntimeError):
            if attempt == 4:
                raise
    try:
        yield sink
    finally:
        controller.stop()
