"""Mail receipts of changes to a calendar (``SOGoNotifyOnPersonalModifications``,
``SOGoNotifyOnExternalModifications``), as SOGo's ``sendReceiptEmailForObject``.

When the calendar's owner creates, changes or deletes an event or task, the
owner gets a receipt if the calendar's ``NotifyOnPersonalModifications`` is
on, and the address in ``NotifiedUserOnPersonalModifications`` gets one if
``NotifyUserOnPersonalModifications`` is on. When someone else does it, the
owner gets one if ``NotifyOnExternalModifications`` is on. The switches are
per calendar (settings.py, DAV properties in properties.py); the first two
default to the domain keys.

As SOGo: an event's update counts only when one of the properties SOGo
compares changed (LAST-MODIFIED alone does not); deleting an event the owner only attends sends nothing (the
organizer is told by scheduling). The subject is SOGo's (``The event "X" was
created``); the body a short text of calendar, location, start and end.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar

from ..dav.notifications import mailbox, message, send, user_address
from ..server.logs import get_logger
from . import settings
from .ical import differ, main_component, props, text_value
from .imip import address_of, organizer_address
from .resources import user_timezone

log = get_logger("notifications")

#: what SOGo's iCalEventChanges compares (LAST-MODIFIED alone is no change)
TRACKED = ("DTSTART", "DTEND", "CREATED", "DTSTAMP", "DURATION", "SUMMARY", "LOCATION", "DESCRIPTION",
           "PRIORITY", "STATUS", "CLASS", "SEQUENCE", "ORGANIZER", "RRULE", "RECURRENCE-ID", "EXRULE",
           "EXDATE", "ATTENDEE")


def on_write(ctx, collection, content: str, previous: str | None) -> None:
    """After a PUT: ``content`` replaced ``previous`` (None: a new object)."""
    with _logged(collection, "PUT"):
        recipients = _recipients(ctx, collection)
        component = _component(content) if recipients else None
        if component is None:
            return
        if previous is None:
            _send(ctx, collection, recipients, component, "created")
        elif component.name == "VTODO" or _changed(_component(previous), component):
            _send(ctx, collection, recipients, component, "updated")


def on_delete(ctx, collection, load) -> None:
    """After a DELETE: ``load()`` gives the deleted content."""
    with _logged(collection, "DELETE"):
        recipients = _recipients(ctx, collection)
        component = _component(load()) if recipients else None
        if component is None or (component.name == "VEVENT" and _only_attends(collection.owner, component)):
            return
        _send(ctx, collection, recipients, component, "deleted")


@contextmanager
def _logged(collection, what: str):
    """The write succeeded: a receipt problem is only logged."""
    try:
        yield
    except Exception:
        log.exception("receipt after %s in %s failed", what, collection.folder.path)


def _recipients(ctx, collection) -> list[tuple[str, str]]:
    """(address, To header) of everyone who gets a receipt of the acting user's change."""
    user, owner = ctx.user, collection.owner
    if user is None:
        return []
    switches = settings.receipt_switches(ctx, collection.folder)
    owner_mailbox = (user_address(ctx, owner), mailbox(ctx, owner))
    if user.uid != owner.uid:
        return [owner_mailbox] if switches["NotifyOnExternalModifications"] else []
    recipients = [owner_mailbox] if switches["NotifyOnPersonalModifications"] else []
    notified = switches[settings.NOTIFIED_USER]
    if notified and switches["NotifyUserOnPersonalModifications"]:
        recipients.append((notified, notified))
    return recipients


def _send(ctx, collection, recipients, component, operation: str) -> None:
    kind = "task" if component.name == "VTODO" else "event"
    subject = f'The {kind} "{text_value(component, "SUMMARY")}" was {operation}'
    text = _body(ctx, subject, collection.folder.display_name, component)
    for address, to in recipients:
        send(ctx, address, message(ctx, to, subject, text))


def _body(ctx, title: str, calendar_name: str, component) -> str:
    lines = [title, "", f"Calendar: {calendar_name}"]
    location = text_value(component, "LOCATION")
    if location:
        lines.append(f"Location: {location}")
    zone = _zone(user_timezone(ctx))
    end_key, end_label = ("DUE", "Due Date") if component.name == "VTODO" else ("DTEND", "End")
    for key, label in (("DTSTART", "Start"), (end_key, end_label)):
        if component.get(key) is not None:
            lines.append(f"{label}: {_when(component[key].dt, zone)}")
    description = text_value(component, "DESCRIPTION")
    if description:
        lines += ["", description]
    return "\n".join(lines) + "\n"


def _when(value, zone) -> str:
    if not isinstance(value, datetime):
        return value.strftime("%Y-%m-%d")
    if value.tzinfo is not None:
        value = value.astimezone(zone)
    return value.strftime("%Y-%m-%d %H:%M")


def _zone(name: str):
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError, OSError):
        return ZoneInfo("UTC")


def _component(content):
    if not content:
        return None
    try:
        component = main_component(Calendar.from_ical(content))
    except ValueError:          # InvalidCalendar too
        return None
    return component if component is not None and component.name in ("VEVENT", "VTODO") else None


def _changed(before, after) -> bool:
    return before is None or differ(before, after, TRACKED)


def _only_attends(owner, component) -> bool:
    own = {e.lower() for e in owner.emails}
    organizer = organizer_address(component)
    return bool(organizer) and organizer not in own and \
        any(address_of(a) in own for a in props(component, "ATTENDEE"))
