"""iTIP objects (RFC 5546) and their iMIP e-mails (RFC 6047), without I/O.

:func:`itip` turns a stored event into the REQUEST, CANCEL or REPLY a
recipient receives; :func:`imip_message` wraps it in a mail: a
``multipart/alternative`` of a short text and ``text/calendar; method=…``.
"""

from __future__ import annotations

import copy
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid

from icalendar import Calendar

from .ical import MAIN_COMPONENTS, param, props, rfc822_email, text_value

METHODS = ("REQUEST", "REPLY", "CANCEL")
#: what a REPLY keeps of each component (RFC 5546 §3.2.3)
REPLY_KEEP = ("UID", "DTSTAMP", "DTSTART", "DTEND", "DURATION", "RECURRENCE-ID", "SEQUENCE",
              "SUMMARY", "ORGANIZER")
SUBJECTS = {"REQUEST": "Event invitation", "CANCEL": "Event cancelled", "REPLY": "Event reply"}


def address_of(prop) -> str:
    """``mailto:A@B`` (any case) → ``a@b``."""
    return rfc822_email(str(prop)).strip().lower()


def itip(calendar: Calendar, method: str, *, replier: str | None = None,
         attendees: list[str] | None = None) -> Calendar:
    """A copy of ``calendar`` ready to send with METHOD ``method``.

    REPLY keeps, per component, only the replier's ATTENDEE and the identifying
    properties. CANCEL marks the components CANCELLED; with ``attendees``
    (removed attendees) only those are listed. VALARMs never travel.
    """
    method = method.upper()
    if method not in METHODS:
        raise ValueError(f"unsupported iTIP method {method!r}")
    result = Calendar()
    for key in ("VERSION", "PRODID"):
        result.add(key, calendar.get(key) or ("2.0" if key == "VERSION" else "-//sogod//EN"))
    result.add("METHOD", method)
    wanted = {a.lower() for a in attendees} if attendees is not None else None
    for component in calendar.subcomponents:
        if component.name not in MAIN_COMPONENTS:
            result.add_component(copy.deepcopy(component))
            continue
        if method == "REPLY":
            out = type(component)()
            for key in REPLY_KEEP:
                for value in props(component, key):
                    out.add(key, value)
            for attendee in props(component, "ATTENDEE"):
                if address_of(attendee) == (replier or "").lower():
                    out.add("ATTENDEE", attendee)
        else:
            out = copy.deepcopy(component)
            out.subcomponents = [c for c in out.subcomponents if c.name != "VALARM"]
            if method == "CANCEL":
                if "STATUS" in out:
                    del out["STATUS"]
                out.add("STATUS", "CANCELLED")
                if wanted is not None:
                    kept = [a for a in props(out, "ATTENDEE") if address_of(a) in wanted]
                    del out["ATTENDEE"]
                    for attendee in kept:
                        out.add("ATTENDEE", attendee)
        if "DTSTAMP" in out:
            del out["DTSTAMP"]
        out.add("DTSTAMP", datetime.now(timezone.utc).replace(microsecond=0))
        result.add_component(out)
    return result


def cancel_instances(calendar: Calendar, exdates: list) -> Calendar:
    """A CANCEL of single instances of a series: one component per ``exdates`` value
    (the master's identity and attendees, RECURRENCE-ID the cancelled instance)."""
    request = itip(calendar, "CANCEL")
    master = next((c for c in request.subcomponents
                   if c.name in MAIN_COMPONENTS and c.get("RECURRENCE-ID") is None), None)
    request.subcomponents = [c for c in request.subcomponents if c.name not in MAIN_COMPONENTS]
    for value in exdates if master is not None else ():
        instance = copy.deepcopy(master)
        for key in ("RRULE", "RDATE", "EXDATE", "DTSTART", "DTEND", "DURATION", "RECURRENCE-ID"):
            instance.pop(key, None)
        instance.add("RECURRENCE-ID", value.dt, parameters=dict(value.params))
        request.add_component(instance)
    return request


def _summary(calendar: Calendar) -> str:
    for component in calendar.subcomponents:
        if component.name in MAIN_COMPONENTS:
            return text_value(component, "SUMMARY")
    return ""


def _text(method: str, calendar: Calendar, sender_name: str, replier: str | None) -> str:
    summary = _summary(calendar) or "(untitled)"
    if method == "REPLY":
        status = "responded"
        for component in calendar.subcomponents:
            for attendee in props(component, "ATTENDEE"):
                status = (param(attendee, "PARTSTAT") or "responded").lower()
        return f"{sender_name or replier} has {status} your invitation to \"{summary}\".\n"
    if method == "CANCEL":
        return f"{sender_name} has cancelled this event: \"{summary}\".\n"
    return f"{sender_name} has invited you to \"{summary}\".\n"


def imip_message(method: str, calendar: Calendar, *, sender: str, sender_name: str = "",
                 recipients: list[str], replier: str | None = None) -> EmailMessage:
    """The e-mail carrying ``calendar`` (an iTIP object) to ``recipients``."""
    method = method.upper()
    message = EmailMessage()
    message["From"] = formataddr((sender_name, sender)) if sender_name else sender
    message["To"] = ", ".join(recipients)
    message["Subject"] = f"{SUBJECTS[method]}: {_summary(calendar) or '(untitled)'}"
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message["X-Mailer"] = "sogod"
    message.set_content(_text(method, calendar, sender_name, replier))
    ics = calendar.to_ical().decode("utf-8")
    message.add_alternative(ics, subtype="calendar", params={"method": method})
    return message


def organizer_address(component) -> str:
    organizer = component.get("ORGANIZER")
    return address_of(organizer) if organizer is not None else ""
