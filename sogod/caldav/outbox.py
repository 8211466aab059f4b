"""POST to the scheduling outbox (= the ``personal`` calendar, as in SOGo).

Two request forms: SOGo's (draft CalDAV scheduling: ``Originator`` and
``Recipient`` headers) and RFC 6638's (ORGANIZER and ATTENDEEs in the body).
A VFREEBUSY asks for free/busy; a VEVENT with METHOD REQUEST, CANCEL or REPLY
is delivered (local users directly, others by iMIP). The answer is a
``<C:schedule-response>`` with one ``<C:response>`` per recipient. Only
``text/calendar`` bodies are taken: XML bodies stay for acl-query/subscribe.
"""

from __future__ import annotations

from datetime import datetime, timezone

from icalendar import Calendar
from werkzeug.wrappers import Response

from ..dav import visibility
from ..dav.errors import DAVError
from ..dav.methods.post import POST_HANDLERS
from ..dav.xml import CALDAV, clark, element, href, serialize
from . import freebusy, scheduling
from .imip import address_of, itip
from .resources import CalendarCollection

MAX_RECIPIENTS = 200
SUCCESS, DELIVERED = "2.0;Success", "1.2;Delivered"
INVALID_USER, NO_AUTHORITY = "3.7;Invalid Calendar User", "3.8;No authority"
VALID_DATA = clark(CALDAV, "valid-calendar-data")


class OutboxPost:
    def accepts(self, ctx, resource, content_type, root_tag) -> bool:
        return root_tag is None and content_type == "text/calendar" and isinstance(resource, CalendarCollection)

    def run(self, ctx, collection, body: bytes, root):
        if collection.folder.folder_id != "personal":
            raise DAVError(403, "POST scheduling requests to the personal calendar (the outbox)")
        if not collection.access.owner:
            raise DAVError(403, "only the owner sends from this outbox")
        calendar = _parse(body)
        components = [c for c in calendar.subcomponents if c.name != "VTIMEZONE"]
        if not components:
            raise DAVError(400, "no component to schedule", precondition=VALID_DATA)
        header_form = "Recipient" in ctx.request.headers
        kind = components[0].name
        if kind == "VFREEBUSY":
            responses = _free_busy(ctx, collection.owner, components[0])
        elif kind == "VEVENT":
            responses = _deliver(ctx, collection.owner, calendar)
        else:
            raise DAVError(415, f"cannot schedule a {kind}")
        return _schedule_response(responses, header_form)


# --------------------------------------------------------------------------- parsing

def _parse(body: bytes) -> Calendar:
    try:
        calendar = Calendar.from_ical(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, IndexError, KeyError):
        raise DAVError(400, "invalid iCalendar data", precondition=VALID_DATA) from None
    if not isinstance(calendar, Calendar) or calendar.name != "VCALENDAR":
        raise DAVError(400, "expected a VCALENDAR", precondition=VALID_DATA)
    return calendar


def _originator(ctx, owner, component) -> str:
    value = ctx.request.headers.get("Originator") or str(component.get("ORGANIZER") or "")
    address = address_of(value)
    if not address:
        raise DAVError(400, "no originator (Originator header or ORGANIZER)")
    if address not in {e.lower() for e in owner.emails}:
        raise DAVError(403, "the originator is not the owner of this outbox")
    return address


def _recipients(ctx, components) -> list[str]:
    header = ctx.request.headers.get("Recipient")
    if header is not None:
        values = [v for v in header.split(",")]
    else:
        values = [str(a) for c in components for a in _list(c.get("ATTENDEE"))]
    recipients = list(dict.fromkeys(address_of(v) for v in values if address_of(v)))
    if not recipients:
        raise DAVError(400, "no recipient (Recipient header or ATTENDEE)")
    if len(recipients) > MAX_RECIPIENTS:
        raise DAVError(413, f"more than {MAX_RECIPIENTS} recipients")
    return recipients


def _list(value) -> list:
    return [] if value is None else value if isinstance(value, list) else [value]


def _utc(component, name: str) -> datetime:
    value = getattr(component.get(name), "dt", None)
    if not isinstance(value, datetime):
        raise DAVError(400, f"VFREEBUSY needs a DATE-TIME {name}", precondition=VALID_DATA)
    return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


# --------------------------------------------------------------------------- VFREEBUSY

def _free_busy(ctx, owner, component) -> list[tuple[str, str, str | None]]:
    originator = _originator(ctx, owner, component)
    start, end = freebusy.bounded(_utc(component, "DTSTART"), _utc(component, "DTEND"))
    uid = str(component.get("UID") or "") or None
    responses = []
    for recipient in _recipients(ctx, [component]):
        user = visibility.lookup_email(ctx, recipient)
        if user is None:
            responses.append((recipient, INVALID_USER, None))
        elif not freebusy.may_read(ctx, user):
            responses.append((recipient, NO_AUTHORITY, None))
        else:
            periods = freebusy.user_busy(ctx, user, start, end)
            data = freebusy.vfreebusy(periods, start, end, attendee=f"mailto:{recipient}",
                             organizer=f"mailto:{originator}", uid=uid, method="REPLY")
            responses.append((recipient, SUCCESS, data))
    return responses


# --------------------------------------------------------------------------- VEVENT (iTIP)

def _deliver(ctx, owner, calendar) -> list[tuple[str, str, str | None]]:
    method = str(calendar.get("METHOD") or "").upper()
    if method not in ("REQUEST", "CANCEL", "REPLY"):
        raise DAVError(415, "a scheduled VEVENT needs METHOD REQUEST, CANCEL or REPLY")
    events = [c for c in calendar.subcomponents if c.name == "VEVENT"]
    if not events or not str(events[0].get("UID") or ""):
        raise DAVError(400, "VEVENT without UID", precondition=VALID_DATA)
    if method == "REPLY":
        sender = _replier(owner, events)
        recipients = _recipients(ctx, []) if "Recipient" in ctx.request.headers else \
            [address_of(events[0].get("ORGANIZER") or "")]
    else:
        sender = _originator(ctx, owner, events[0])
        recipients = _recipients(ctx, events)
    del calendar["METHOD"]
    responses, external = [], []
    for recipient in recipients:
        user = visibility.lookup_email(ctx, recipient)
        if user is None:
            external.append(recipient)
            continue
        if user.uid == owner.uid:
            responses.append((recipient, SUCCESS, None))
            continue
        if not user.can_access("Calendar"):     # ModulesConstraints: no calendar here
            responses.append((recipient, INVALID_USER, None))
            continue
        _deliver_local(ctx, owner, user, recipient, method, calendar, sender)
        responses.append((recipient, DELIVERED, None))
    if external:
        if scheduling.notifications(ctx, owner):
            if method == "REPLY":
                message = itip(calendar, "REPLY", replier=sender)
            elif method == "CANCEL":
                message = itip(calendar, "CANCEL", attendees=external)
            else:
                message = itip(calendar, "REQUEST")
            scheduling.send_imip(ctx, owner, method, message, external, sender=sender)
            responses += [(r, SUCCESS, None) for r in external]
        else:
            responses += [(r, "5.1;Service unavailable", None) for r in external]
    return responses


def _replier(owner, events) -> str:
    own = {e.lower() for e in owner.emails}
    for event in events:
        for attendee in _list(event.get("ATTENDEE")):
            if address_of(attendee) in own:
                return address_of(attendee)
    raise DAVError(403, "a REPLY must carry the owner's ATTENDEE")


def _deliver_local(ctx, owner, user, recipient, method, calendar, sender) -> None:
    folders = ctx.services.storage.folders
    uid = str(next(c for c in calendar.subcomponents if c.name == "VEVENT").get("UID"))
    if method == "REQUEST":
        folder = folders.ensure_personal(user.uid, "Calendar")
        name, _ = scheduling.find_copy(folder, uid, f"{uid}.ics")
        scheduling.store(ctx, folder, user, name, calendar)
    elif method == "CANCEL":
        folder = folders.get(user.uid, "Calendar", "personal")
        if folder is not None:
            name, existing = scheduling.find_copy(folder, uid, None)
            if existing is not None:
                folder.delete_object(name)
    else:   # REPLY to a local organizer
        located = scheduling.organizer_copy(ctx, user, uid)
        if located is not None:
            folder, name, master = located
            scheduling.set_partstat(master, sender, scheduling.partstat_of(calendar, sender) or "ACCEPTED")
            scheduling.store(ctx, folder, user, name, master)


# --------------------------------------------------------------------------- the answer

def _schedule_response(responses, header_form: bool) -> Response:
    root = element(clark(CALDAV, "schedule-response"))
    for recipient, status, data in responses:
        address = f"mailto:{recipient}"
        who = element(clark(CALDAV, "recipient"), address if header_form else None,
                      children=() if header_form else [href(address)])
        children = [who, element(clark(CALDAV, "request-status"), status)]
        if data is not None:
            children.append(element(clark(CALDAV, "calendar-data"), data))
        root.append(element(clark(CALDAV, "response"), children=children))
    return Response(serialize(root), status=200, content_type="application/xml; charset=utf-8")


POST_HANDLERS.append(OutboxPost())
