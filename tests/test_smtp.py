"""Sending mail: SOGoSMTPServer forms, SMTP (with AUTH PLAIN) to a real sink, sendmail."""

from __future__ import annotations

import os
import stat

import pytest

from sogod.http.basic import Credentials
from sogod.mail.smtp import MailError, SMTPServer, parse_smtp_server, send_mail, send_smtp
from tests.services import free_port


class Defaults(dict):
    def bool(self, name):
        return str(self.get(name, "")).upper() in ("YES", "TRUE", "1")


@pytest.mark.parametrize("value, expected", [
    (None, SMTPServer("localhost", 25)),
    ("mail.example.com", SMTPServer("mail.example.com", 25)),
    ("127.0.0.1:2525", SMTPServer("127.0.0.1", 2525)),
    ("[::1]:587", SMTPServer("::1", 587)),
    ("smtp://mail:587/?tls=YES", SMTPServer("mail", 587, "starttls")),
    ("smtp://mail", SMTPServer("mail", 25)),
    ("smtps://mail", SMTPServer("mail", 465, "ssl")),
    ("smtps://mail:4465/", SMTPServer("mail", 4465, "ssl")),
])
def test_smtp_server_forms(value, expected):
    assert parse_smtp_server(value) == expected


@pytest.mark.parametrize("value", ["host:99999", "host:abc", "imap://x", "smtp://", ":25"])
def test_bad_smtp_server_values(value):
    with pytest.raises(MailError):
        parse_smtp_server(value)


MESSAGE = b"From: a@example.com\r\nTo: b@example.org\r\nSubject: hi\r\n\r\nbody\r\n"


def test_smtp_delivery_to_the_sink(smtp_sink):
    defaults = Defaults(SOGoMailingMechanism="smtp", SOGoSMTPServer=smtp_sink.address)
    send_mail(defaults, "a@example.com", ["b@example.org", "b@example.org", "c@example.org"], MESSAGE)
    [received] = smtp_sink.wait(1)
    assert received.mail_from == "a@example.com"
    assert received.rcpt_tos == ["b@example.org", "c@example.org"]
    assert received.message["Subject"] == "hi" and received.login is None


def test_smtp_auth_plain_uses_the_request_credentials(smtp_sink):
    smtp_sink.accounts["demo"] = "secret"
    defaults = Defaults(SOGoMailingMechanism="smtp", SOGoSMTPServer=f"smtp://{smtp_sink.address}/",
                        SOGoSMTPAuthenticationType="PLAIN")
    send_mail(defaults, "a@example.com", ["b@example.org"], MESSAGE, credentials=Credentials("demo", "secret"))
    assert smtp_sink.wait(1)[0].login == "demo"
    with pytest.raises(MailError):
        send_mail(defaults, "a@example.com", ["b@example.org"], MESSAGE, credentials=Credentials("demo", "bad"))
    with pytest.raises(MailError):
        send_mail(defaults, "a@example.com", ["b@example.org"], MESSAGE)
    assert len(smtp_sink.messages) == 1


def test_unreachable_server_is_a_mail_error():
    with pytest.raises(MailError):
        send_smtp(SMTPServer("127.0.0.1", free_port()), "a@example.com", ["b@example.org"], MESSAGE, timeout=5)


def test_sendmail_mechanism(tmp_path):
    program = tmp_path / "sendmail"
    out = tmp_path / "out"
    program.write_text(f"#!/bin/sh\necho \"$@\" > {out}.args\ncat > {out}\n")
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    defaults = Defaults(SOGoMailingMechanism="sendmail", WOSendMail=str(program))
    send_mail(defaults, "a@example.com", ["b@example.org"], MESSAGE)
    assert (tmp_path / "out.args").read_text().split() == ["-i", "-f", "a@example.com", "--", "b@example.org"]
    assert (tmp_path / "out").read_bytes() == MESSAGE
    failing = tmp_path / "fail"
    failing.write_text("#!/bin/sh\nexit 3\n")
    failing.chmod(0o755)
    with pytest.raises(MailError):
        send_mail(Defaults(WOSendMail=str(failing)), "a@example.com", ["b@example.org"], MESSAGE)
    with pytest.raises(MailError):
        send_mail(defaults, "-oQ/tmp", ["b@example.org"], MESSAGE)
    assert os.path.exists(out)
