"""sogo-ealarms-notify run as a program: the embedded SQLite setup, events stored
through the in-process app, reminders caught by the SMTP sink."""

from __future__ import annotations

import subprocess
import sys
import time
from email import message_from_bytes
from email.policy import default

import pytest
from sqlalchemy import select
from werkzeug.test import Client

from sogod.caldav.ealarms import due_window, find_alarm, reminder_message
from sogod.caldav.ical import parse_calendar
from sogod.caldav.quick import alarm_rows
from sogod.config import load_system_defaults
from sogod.http.app import create_app

from .services import free_port
from .sogod_env import ROOT, basic, embedded_config

PROG = [sys.executable, "-m", "sogo_tool.ealarms"]
CAL_PATH = "/Users/demo/Calendar/personal"
CAL = "/SOGo/dav/demo/Calendar/personal/"

EVENT = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
BEGIN:VEVENT
UID:{uid}
DTSTAMP:20260101T000000Z
DTSTART:{start}
DURATION:PT1H
{rrule}SUMMARY:Dentist
BEGIN:VALARM
ACTION:EMAIL
TRIGGER:-PT10M
SUMMARY:Réunion chez le dentiste
DESCRIPTION:Leave now\\, take the café card
ATTENDEE;CN=Demo User:mailto:demo@example.com
ATTENDEE:mailto:carol@example.org
END:VALARM
END:VEVENT
END:VCALENDAR
"""


def stamp(epoch: int) -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(epoch))


def minute() -> int:
    return int(time.time()) // 60 * 60


class Setup:
    def __init__(self, tmp_path, sink):
        self.sink = sink
        self.config = embedded_config(tmp_path, conf_extra=(
            "  SOGoEnableEMailAlarms = YES;\n  SOGoMailingMechanism = smtp;\n"
            f'  SOGoSMTPServer = "{sink.address}";'))
        self.client = Client(create_app(load_system_defaults(str(self.config), {})))
        self.alarms = self.client.application.app.services.storage.alarms

    def run(self, *args):
        return subprocess.run(PROG + ["--config", str(self.config), *args], cwd=ROOT,
                              capture_output=True, text=True, timeout=60)

    def put(self, name: str, trigger: int, rrule: str = "", scheduled_at: int | None = None) -> str:
        """Store an event whose alarm fires at ``trigger``. With ``scheduled_at``, write
        its alarm rows as the PUT path computed them at that (earlier) time."""
        text = EVENT.format(uid=name, start=stamp(trigger + 600), rrule=rrule)
        response = self.client.put(CAL + name, data=text.encode(),
                                   headers={**basic("demo", "demo"), "Content-Type": "text/calendar"})
        assert response.status_code == 201, response.data
        if scheduled_at is not None:
            rows = alarm_rows(parse_calendar(text), owner_emails=["demo@example.com"], now=scheduled_at)
            self.alarms.replace(CAL_PATH, name, rows)
        return text

    def rows(self) -> dict[str, int]:
        t = self.alarms.table
        with self.alarms.engine.connect() as conn:
            return {r.c_name: r.c_alarm_date for r in conn.execute(select(t))}


@pytest.fixture
def setup(tmp_path, smtp_sink):
    return Setup(tmp_path, smtp_sink)


def quiet(result) -> bool:
    return (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_a_due_reminder_goes_to_each_alarm_attendee_once(setup):
    due = minute() - 60
    setup.put("once.ics", due, scheduled_at=due - 120)
    assert setup.rows() == {"once.ics": due}
    result = setup.run()
    assert quiet(result), result.stderr
    messages = setup.sink.wait(2)
    assert sorted(m.rcpt_tos[0] for m in messages) == ["carol@example.org", "demo@example.com"]
    for received in messages:
        assert received.mail_from == "demo@example.com"
        message = received.message
        assert message["From"] == "Demo User <demo@example.com>"
        assert message["Subject"] == "Réunion chez le dentiste"
        assert message["Content-Transfer-Encoding"] == "quoted-printable"
        assert message.get_content().strip() == "Leave now, take the café card"
        assert message["Date"] and message["Message-ID"]
    assert {m.message["To"] for m in messages} == {"Demo User <demo@example.com>", "carol@example.org"}
    assert setup.rows() == {}                              # a single event: done
    assert quiet(setup.run())                              # a second run sends nothing more
    time.sleep(0.3)
    assert len(setup.sink.messages) == 2


def test_a_daily_series_moves_on_to_its_next_alarm(setup):
    due = minute() - 60
    setup.put("daily.ics", due, rrule="RRULE:FREQ=DAILY;COUNT=3\n", scheduled_at=due - 120)
    assert setup.rows() == {"daily.ics": due}
    assert quiet(setup.run())
    assert len(setup.sink.wait(2)) == 2
    assert setup.rows() == {"daily.ics": due + 86400}
    assert quiet(setup.run())
    time.sleep(0.3)
    assert len(setup.sink.messages) == 2


def test_alarms_outside_the_five_minutes_are_not_sent(setup):
    setup.put("old.ics", minute() - 10 * 60, scheduled_at=minute() - 20 * 60)
    setup.put("later.ics", minute() + 3600)               # the PUT path writes this row itself
    before = setup.rows()
    assert set(before) == {"old.ics", "later.ics"}
    assert quiet(setup.run())
    time.sleep(0.3)
    assert setup.sink.messages == [] and setup.rows() == before


def test_smtp_down_keeps_the_row_for_the_next_run(setup):
    due = minute() - 60
    setup.put("once.ics", due, scheduled_at=due - 120)
    result = setup.run("-SOGoSMTPServer", f"127.0.0.1:{free_port()}")
    assert result.returncode == 1 and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert "kept for the next run" in result.stderr
    assert setup.rows() == {"once.ics": due}
    assert quiet(setup.run())
    assert len(setup.sink.wait(2)) == 2 and setup.rows() == {}


def test_disabled_alarms_do_nothing(setup):
    due = minute() - 60
    setup.put("once.ics", due, scheduled_at=due - 120)
    assert quiet(setup.run("-SOGoEnableEMailAlarms", "NO"))
    time.sleep(0.3)
    assert setup.sink.messages == [] and setup.rows() == {"once.ics": due}


def test_credentials_file_logs_in_to_smtp(setup, tmp_path):
    setup.sink.accounts["alarms"] = "s3cr:et"
    due = minute() - 60
    setup.put("once.ics", due, scheduled_at=due - 120)
    plain = ("-SOGoSMTPAuthenticationType", "PLAIN")
    result = setup.run(*plain)                              # AUTH configured, no -p
    assert result.returncode == 1 and "-p credFile" in result.stderr
    wrong = tmp_path / "wrong.creds"
    wrong.write_text("alarms:nope\n")
    result = setup.run(*plain, "-p", str(wrong))
    assert result.returncode == 1 and "nope" not in result.stderr + result.stdout
    assert setup.rows() == {"once.ics": due}
    good = tmp_path / "smtp.creds"
    good.write_text("alarms:s3cr:et\n")
    result = setup.run(*plain, "-p", str(good))
    assert quiet(result), result.stderr
    assert [m.login for m in setup.sink.wait(2)] == ["alarms", "alarms"]
    assert setup.rows() == {}


@pytest.mark.parametrize("content, message", [
    (None, "cannot read the credentials file"),
    ("no-colon-s3cret\n", "expected one line username:password"),
])
def test_a_bad_credentials_file_fails_clearly(setup, tmp_path, content, message):
    path = tmp_path / "bad.creds"
    if content is not None:
        path.write_text(content)
    due = minute() - 60
    setup.put("once.ics", due, scheduled_at=due - 120)
    result = setup.run("-p", str(path))
    assert result.returncode == 1 and message in result.stderr and str(path) in result.stderr
    assert "s3cret" not in result.stderr + result.stdout
    time.sleep(0.3)
    assert setup.sink.messages == [] and setup.rows() == {"once.ics": due}


def test_help_and_usage():
    result = subprocess.run(PROG + ["-h"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "-p credFile" in result.stdout
    result = subprocess.run(PROG + ["-p"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "-p needs a credentials file" in result.stderr


def test_a_row_whose_object_is_gone_is_dropped_quietly(setup):
    due = minute() - 60
    setup.alarms.replace(CAL_PATH, "ghost.ics", [{"c_uid": "ghost", "c_recurrence_id": 0,
                                                  "c_alarm_number": 0, "c_alarm_date": due}])
    assert quiet(setup.run())
    assert setup.rows() == {} and setup.sink.messages == []


def test_message_and_alarm_lookup_without_io():
    text = EVENT.format(uid="u", start="20300101T100000Z", rrule="")
    text = text.replace("SUMMARY:Réunion chez le dentiste\n", "")
    calendar = parse_calendar(text)
    assert find_alarm(calendar, 0, 1) is None and find_alarm(calendar, 1893492000, 0) is None
    component, alarm = find_alarm(calendar, 0, 0)
    data = reminder_message(component, alarm, sender="demo@example.com", sender_name="",
                            recipient="c@example.org")
    assert b"\r\n" in data
    message = message_from_bytes(data, policy=default)
    assert message["Subject"] == "Dentist"                # the event's, when the alarm has none
    assert message["From"] == "demo@example.com" and message["To"] == "c@example.org"
    assert due_window(1_800_000_059) == (1_799_999_700, 1_800_000_000)   # now truncated to the minute
