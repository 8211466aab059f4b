"""E-mail reminders: what ``sogo-ealarms-notify`` does every minute.

As SOGo's ``SOGoEAlarmsNotifier``: the rows of ``sogo_alarms_folder`` due in
[now − 5 min, now] (now truncated to the minute) point at an object
(``c_path``, ``c_name``), its instance (``c_recurrence_id``) and one of its
VALARMs (``c_alarm_number``). Each ATTENDEE of that EMAIL alarm gets a message
from the calendar owner: Subject = the alarm's SUMMARY, body = its DESCRIPTION.
Then the object's rows are computed again, with the code of the PUT path, so a
series moves on to its next alarm and a single event loses its row.

Unlike SOGo, a reminder that could not be handed over keeps its row: the next
run retries it while it stays in the five-minute window.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formataddr, formatdate, make_msgid

from ..mail.smtp import MailError, send_mail
from .ical import InvalidCalendar, main_components, param, parse_calendar, prop_moment, props, rfc822_email, text_value
from .quick import alarm_rows

WINDOW = 5 * 60


@dataclass(frozen=True)
class SMTPCredentials:
    """The ``-p credFile`` login, for AUTH PLAIN (SOGoSMTPAuthenticationType = PLAIN)."""

    login: str
    password: str = field(repr=False)


class ReminderError(Exception):
    """One reminder could not be sent; its row stays for the next run."""


def due_window(now: float) -> tuple[int, int]:
    end = int(now) // 60 * 60
    return end - WINDOW, end


def owner_alarm_rows(content: str, owner, prefs, now: float | None = None) -> list[dict]:
    """The alarm rows of one stored object, as the PUT path and the notifier compute them."""
    return alarm_rows(parse_calendar(content), owner_emails=owner.emails, now=now,
                      default_tz=str(prefs.get("SOGoTimeZone") or "UTC"))


def find_alarm(calendar, recurrence_id: int, number: int):
    """(instance, VALARM) that an alarm row names, or None.

    As SOGo: the events, or the tasks when there are none; the instance whose
    RECURRENCE-ID is ``recurrence_id`` (0: the master)."""
    components = main_components(calendar)
    instances = ([c for c in components if c.name == "VEVENT"]
                 or [c for c in components if c.name == "VTODO"])
    for component in instances:
        rid = prop_moment(component, "RECURRENCE-ID")
        if (rid.epoch if rid else 0) == recurrence_id:
            alarms = [c for c in component.subcomponents if c.name == "VALARM"]
            if 0 <= number < len(alarms) and text_value(alarms[number], "ACTION").upper() == "EMAIL":
                return component, alarms[number]
            return None
    return None


def reminder_message(component, alarm, *, sender: str, sender_name: str,
                     recipient: str, recipient_name: str = "") -> bytes:
    """The reminder for one recipient: text/plain, quoted-printable, CRLF lines."""
    message = EmailMessage(policy=SMTP)
    message["From"] = formataddr((sender_name, sender)) if sender_name else sender
    message["To"] = formataddr((recipient_name, recipient)) if recipient_name else recipient
    message["Subject"] = text_value(alarm, "SUMMARY") or text_value(component, "SUMMARY")
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message["User-Agent"] = "sogod alarms notifier"
    message["Importance"] = "high"
    message["X-Priority"] = "1"
    message.set_content(text_value(alarm, "DESCRIPTION"), charset="utf-8", cte="quoted-printable")
    return message.as_bytes()


def alarm_recipients(alarm, owner) -> list[tuple[str, str]]:
    """(name, address) of each ATTENDEE of the alarm; the owner when it names none."""
    people = [(param(a, "CN"), rfc822_email(str(a)).strip()) for a in props(alarm, "ATTENDEE")]
    people = [(name, address) for name, address in people if "@" in address]
    return people or [(owner.cn, owner.primary_email)]


class Notifier:
    """One run over the due rows; ``services`` gives storage, directory and defaults."""

    def __init__(self, services, credentials: SMTPCredentials | None = None,
                 clock=time.time):
        self.services = services
        self.credentials = credentials
        self.clock = clock

    def run(self) -> tuple[int, list[str]]:
        """Send what is due; return (messages sent, errors). Stops at the first
        mail failure: the server is likely down for the other rows too."""
        alarms = self.services.storage.alarms
        sent, errors = 0, []
        rows = alarms.due(*due_window(self.clock()))
        for index, row in enumerate(rows):
            try:
                sent += self._process(row)
            except MailError as exc:
                errors.append(f"{exc}; {len(rows) - index} reminder(s) kept for the next run")
                break
            except ReminderError as exc:
                errors.append(f"{row.c_path}/{row.c_name}: {exc}")
        return sent, errors

    def _process(self, row) -> int:
        storage = self.services.storage
        _, users, owner_uid, kind, folder_id = (row.c_path.split("/") + [""] * 5)[:5]
        folder = None
        if (users, kind) == ("Users", "Calendar"):
            folder = storage.folders.get(owner_uid, kind, folder_id)
        stored = folder.get_object(row.c_name) if folder is not None else None
        if stored is None:          # the object or its calendar is gone
            storage.alarms.replace(row.c_path, row.c_name, [])
            return 0
        owner = self.services.directory.lookup(owner_uid)
        if owner is None or not owner.primary_email:
            raise ReminderError(f"no user {owner_uid!r} (or no e-mail address) in the user sources")
        try:
            found = find_alarm(parse_calendar(stored.c_content), row.c_recurrence_id, row.c_alarm_number)
            count = self._send(owner, *found) if found is not None else 0
            profile, _ = storage.profiles.get(owner.uid)
            prefs = self.services.defaults.user(owner.uid, profile, owner.domain)
            current = folder.get_object(row.c_name)      # a PUT may have changed it meanwhile
            rows = owner_alarm_rows(current.c_content, owner, prefs, self.clock()) if current else []
        except InvalidCalendar as exc:
            raise ReminderError(f"cannot parse the stored object: {exc}") from None
        storage.alarms.replace(row.c_path, row.c_name, rows)
        return count

    def _send(self, owner, component, alarm) -> int:
        defaults = self.services.defaults.domain(owner.domain)
        if (str(defaults.get("SOGoMailingMechanism") or "").lower() == "smtp"
                and str(defaults.get("SOGoSMTPAuthenticationType") or "").lower() == "plain"
                and self.credentials is None):
            raise MailError("SOGoSMTPAuthenticationType is PLAIN: give the SMTP login with -p credFile")
        recipients = alarm_recipients(alarm, owner)
        for name, address in recipients:
            data = reminder_message(component, alarm, sender=owner.primary_email, sender_name=owner.cn,
                                    recipient=address, recipient_name=name)
            send_mail(defaults, owner.primary_email, [address], data, credentials=self.credentials)
        return len(recipients)
