"""Implicit scheduling (sogo-facts §5.3): what a PUT or DELETE of an event with
attendees does to the other people's calendars.

* The **organizer** writes: every local attendee (found by address in the
  user sources) gets a copy in their ``personal`` calendar, created for them
  if they never logged in, under the organizer's object name (or the name of
  the copy they already hold); attendees removed from the event, or all of
  them when the event is deleted, lose their copy. Resources (``location`` /
  ``thing``) accept or decline by themselves (``MultipleBookingsFieldName``).
  Invited groups are replaced by their members when their source can list
  them (a source method ``members(uid) -> [User]``; SQL sources cannot). External attendees get iMIP REQUEST / CANCEL
  mails when ``SOGoAppointmentSendEMailNotifications`` is set.
* A user of a domain the calendar's owner cannot see (guide §5.15) is no local
  user here: their address is external, and a group's members of such domains are left out.
* An **attendee** writes (or deletes) their copy: their PARTSTAT goes into the
  organizer's copy and the other attendees' copies (a deleted copy counts as
  DECLINED), or, for an external organizer, into an iMIP REPLY.

Copies are written straight to the store, never through the DAV hooks, so a
copy never schedules again. Mail problems are logged, never returned to the
client: the PUT itself succeeded.
"""

from __future__ import annotations

import email.policy
from contextlib import contextmanager
from icalendar import Calendar
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from ..auth.sources import SourceError
from ..dav.visibility import lookup_email, visible
from ..server.logs import get_logger
from ..store.database import StoreError
from .ical import differ, main_components, param, props
from .imip import address_of, cancel_instances, imip_message, itip, organizer_address
from .quick import appointment_quick_row
from .resources import user_defaults

log = get_logger("scheduling")


# --------------------------------------------------------------------------- entry points

def on_write(ctx, collection, name: str, content: str, previous: str | None = None) -> None:
    """After a PUT: ``content`` is stored as ``name``; ``previous`` is what it replaced, if known."""
    with _logged("PUT", collection, name):
        role, calendar = _role(collection.owner, _parse(content))
        if role == "organizer":
            _organizer_wrote(ctx, collection, name, calendar, _parse(previous))
        elif role == "attendee":
            _attendee_wrote(ctx, collection.owner, calendar, _parse(previous))


def on_delete(ctx, collection, name: str) -> None:
    """After a DELETE: the organizer cancels, an attendee declines."""
    with _logged("DELETE", collection, name):
        _deleted(ctx, collection, name)


@contextmanager
def _logged(what: str, collection, name: str):
    """The client's write succeeded: a store or directory failure here is logged, not returned."""
    try:
        yield
    except (StoreError, SourceError, SQLAlchemyError) as exc:
        log.error("scheduling after %s of %s%s failed: %s", what, collection.path, name, exc)


def _deleted(ctx, collection, name: str) -> None:
    owner = collection.owner
    role, calendar = _role(owner, _parse(deleted_content(collection.folder, name)))
    if role == "organizer":
        _cancel(ctx, owner, calendar, _attendees(calendar))
    elif role == "attendee":
        own = {e.lower() for e in owner.emails}
        set_partstat(calendar, next(a for a in _attendees(calendar) if a in own), "DECLINED")
        _attendee_wrote(ctx, owner, calendar, None)


def _role(owner, calendar) -> tuple[str | None, Calendar | None]:
    """Whether the calendar's owner organizes the event, attends it, or neither (None)."""
    organizer = _organizer(calendar) if calendar is not None else ""
    if not organizer:
        return None, calendar
    own = {e.lower() for e in owner.emails}
    if organizer in own:
        return "organizer", calendar
    return ("attendee" if own & set(_attendees(calendar)) else None), calendar


def deleted_content(folder, name: str) -> str | None:
    """The content a soft delete kept (c_deleted = 1)."""
    t = folder.content_table
    query = select(t.c.c_content).where(folder.where(t, t.c.c_name == name)).order_by(t.c.c_version.desc())
    with folder.engine.connect() as conn:
        return conn.execute(query).scalar()


# --------------------------------------------------------------------------- the organizer

def _organizer_wrote(ctx, collection, name, calendar, previous) -> None:
    owner = collection.owner
    changed = _expand_groups(ctx, owner, calendar)
    current = _attendees(calendar)
    if previous is None:
        previous = _previous_from_copies(ctx, owner, calendar, current)
    before = _attendees(previous) if previous is not None else []
    major = previous is not None and major_change(previous, calendar)
    if major:           # as SOGo: everybody answers again (and the SEQUENCE says it is new)
        changed |= _require_responses(owner, previous, calendar)
    external, local = [], []
    for address in current:
        user = lookup_email(ctx, address, owner)
        if user is None:
            external.append(address)
        elif user.uid != owner.uid and user.kind != "group" and user.can_access("Calendar"):
            folder, copy_name, answered = _settle(ctx, user, address, name, calendar, keep_answer=not major)
            changed |= answered
            local.append((user, folder, copy_name))
    for user, folder, copy_name in local:      # every answer settled: the copies agree
        store(ctx, folder, user, copy_name, calendar)
    removed = [a for a in before if a not in current]
    if changed:
        store(ctx, collection.folder, owner, name, calendar)
    if removed:
        _cancel(ctx, owner, previous, removed)
    # As SOGo: new attendees are invited; the others hear again only of a change
    # that matters to them (time, recurrence, title, place, description).
    if previous is None or major:
        invited = external
    else:
        invited = [a for a in external if a not in before]
    if invited and notifications(ctx, owner):
        send_imip(ctx, owner, "REQUEST", itip(calendar, "REQUEST"), invited)
    staying = [a for a in external if a in before and a not in invited]
    cancelled = new_exdates(previous, calendar) if previous is not None else []
    if cancelled and staying and notifications(ctx, owner):
        send_imip(ctx, owner, "CANCEL", cancel_instances(calendar, cancelled), staying)


def _require_responses(owner, previous, calendar) -> bool:
    """PARTSTAT=NEEDS-ACTION (RSVP) for every attendee but the organizer, and a SEQUENCE
    above the previous one; True when ``calendar`` changed."""
    own = {e.lower() for e in owner.emails}
    changed = False
    for component in main_components(calendar):
        for attendee in props(component, "ATTENDEE"):
            if address_of(attendee) in own or param(attendee, "PARTSTAT").upper() in ("", "NEEDS-ACTION"):
                continue
            attendee.params["PARTSTAT"], attendee.params["RSVP"] = "NEEDS-ACTION", "TRUE"
            changed = True
    old = max((int(c.get("SEQUENCE", 0)) for c in main_components(previous)), default=0)
    for component in main_components(calendar):
        if int(component.get("SEQUENCE", 0)) <= old:
            component.pop("SEQUENCE", None)
            component.add("SEQUENCE", old + 1)
            changed = True
    return changed


def _settle(ctx, user, address, name, calendar, keep_answer=True):
    """(folder, copy name, changed) for ``user``'s copy; ``changed`` when ``user``'s PARTSTAT
    in ``calendar`` had to change (a resource answered, or the attendee had answered already
    and ``keep_answer``)."""
    folder = ctx.services.storage.folders.ensure_personal(user.uid, "Calendar")
    copy_name, existing = find_copy(folder, _uid(calendar), name)
    known = partstat_of(calendar, address)
    if user.is_resource:
        wanted = "ACCEPTED" if _resource_free(ctx, user, calendar) else "DECLINED"
        set_partstat(calendar, address, wanted)
        return folder, copy_name, wanted != known
    if existing is not None and keep_answer:
        answered = partstat_of(existing, address)
        if answered not in ("", "NEEDS-ACTION") and known in ("", "NEEDS-ACTION"):
            set_partstat(calendar, address, answered)
            return folder, copy_name, True
    return folder, copy_name, False


def _cancel(ctx, owner, calendar, addresses: list[str]) -> None:
    """Remove the local attendees' copies; CANCEL to the external ones."""
    uid, external = _uid(calendar), []
    for address in addresses:
        user = lookup_email(ctx, address, owner)
        if user is None:
            external.append(address)
            continue
        if user.uid == owner.uid:
            continue
        folder = ctx.services.storage.folders.get(user.uid, "Calendar", "personal")
        if folder is not None:
            copy_name, existing = find_copy(folder, uid, None)
            if existing is not None and _organizer(existing) == _organizer(calendar):
                folder.delete_object(copy_name)
    if external and notifications(ctx, owner):
        send_imip(ctx, owner, "CANCEL", itip(calendar, "CANCEL", attendees=external), external)


def _previous_from_copies(ctx, owner, calendar, current: list[str]):
    """Without the previous version, a local attendee's copy tells the last attendee list."""
    uid = _uid(calendar)
    for address in current:
        user = lookup_email(ctx, address, owner)
        if user is None or user.kind == "group":
            continue
        folder = ctx.services.storage.folders.get(user.uid, "Calendar", "personal")
        if folder is not None:
            _, existing = find_copy(folder, uid, None)
            if existing is not None:
                return existing
    return None


def _expand_groups(ctx, owner, calendar) -> bool:
    """Replace invited groups by their members (those ``owner`` may see) where the source can list them."""
    changed = False
    for component in main_components(calendar):
        attendees = props(component, "ATTENDEE")
        result, present = [], {address_of(a) for a in attendees}
        for attendee in attendees:
            user = lookup_email(ctx, address_of(attendee), owner)
            members = group_members(ctx, user, owner) if user is not None and user.kind == "group" else None
            if members is None:
                result.append(attendee)
                continue
            changed = True
            for member in members:
                if member.primary_email and member.primary_email.lower() not in present:
                    present.add(member.primary_email.lower())
                    result.append(_attendee_like(attendee, member))
        if changed:
            del component["ATTENDEE"]
            for attendee in result:
                component.add("ATTENDEE", attendee)
    return changed


def group_members(ctx, group, viewer=None) -> list | None:
    """The members of a group user (as users ``viewer`` may see), or None when no source can tell."""
    directory = ctx.services.directory
    try:
        uids = directory.members(group.uid)     # LDAP groups; SQL sources have none (guide §5.10)
    except Exception as exc:  # noqa: BLE001 - a broken source must not break the PUT
        log.error("cannot list the members of group %s: %s", group.uid, exc)
        return None
    if uids is None:
        return None
    return [user for user in map(directory.lookup, uids) if visible(ctx, user, viewer) is not None]


def _attendee_like(template, member):
    from icalendar.prop import vCalAddress
    attendee = vCalAddress(f"mailto:{member.primary_email}")
    attendee.params["CN"] = member.display_name
    attendee.params["PARTSTAT"] = "NEEDS-ACTION"
    attendee.params["ROLE"] = param(template, "ROLE") or "REQ-PARTICIPANT"
    attendee.params["RSVP"] = "TRUE"
    return attendee


def _resource_free(ctx, user, calendar) -> bool:
    """A resource accepts unless ``multiple_bookings`` (> 0) events overlap already."""
    limit = user.multiple_bookings
    if limit <= 0:
        return True
    from .expand import instances, resolve_tz, to_utc
    from .freebusy import MAX_RANGE, Busy, busy_events, crowded
    tz = resolve_tz(str(user_defaults(ctx, user).get("SOGoTimeZone") or "UTC"))
    events = [c for c in calendar.subcomponents if c.name == "VEVENT"]
    spans = []
    for instance in instances(events, tz, None, None, include_cancelled=False):
        if instance.start is None:
            continue
        begin = to_utc(instance.start, tz)
        end = to_utc(instance.end, tz) if instance.end is not None else begin
        if end > begin:
            spans.append((begin, end))
        if len(spans) >= 100 or (spans and begin - spans[0][0] > MAX_RANGE):
            break
    if not spans:
        return True
    taken = busy_events(ctx, user, min(s for s, _ in spans), max(e for _, e in spans),
                        exclude_uid=_uid(calendar))
    for begin, end in spans:
        here = [Busy(max(b.start, begin), min(b.end, end)) for b in taken if b.start < end and b.end > begin]
        if crowded(here, limit):
            return False
    return True


# --------------------------------------------------------------------------- an attendee

def _attendee_wrote(ctx, owner, calendar, previous) -> None:
    own = {e.lower() for e in owner.emails}
    mine = next((a for a in _attendees(calendar) if a in own), None)
    if mine is None:
        return
    partstat = partstat_of(calendar, mine)
    organizer = _organizer(calendar)
    user = lookup_email(ctx, organizer, owner)
    if user is None:
        before = partstat_of(previous, mine) if previous is not None else "NEEDS-ACTION"
        if partstat != before and notifications(ctx, owner):
            reply = itip(calendar, "REPLY", replier=mine)
            send_imip(ctx, owner, "REPLY", reply, [organizer], sender=mine)
        return
    located = organizer_copy(ctx, user, _uid(calendar))
    if located is None:
        return
    folder, name, master = located
    if partstat_of(master, mine) in ("", partstat):     # not invited there, or nothing new
        return
    set_partstat(master, mine, partstat)
    store(ctx, folder, user, name, master)
    # The other local attendees see the answer too.
    for address in _attendees(master):
        other = lookup_email(ctx, address, owner)
        if other is None or other.uid in (owner.uid, user.uid) or other.kind == "group":
            continue
        their = ctx.services.storage.folders.get(other.uid, "Calendar", "personal")
        if their is None:
            continue
        copy_name, existing = find_copy(their, _uid(master), None)
        if existing is not None and partstat_of(existing, mine) != partstat:
            set_partstat(existing, mine, partstat)
            store(ctx, their, other, copy_name, existing)


def organizer_copy(ctx, organizer, uid: str):
    """(folder, name, calendar) of the organizer's event ``uid``, in any of their calendars."""
    for folder in ctx.services.storage.folders.list(organizer.uid, "Calendar"):
        name, calendar = find_copy(folder, uid, None)
        if calendar is not None:
            return folder, name, calendar
    return None


# --------------------------------------------------------------------------- helpers

def notifications(ctx, user) -> bool:
    return ctx.defaults.domain(user.domain).bool("SOGoAppointmentSendEMailNotifications")


def send_imip(ctx, user, method: str, calendar, recipients: list[str], sender: str | None = None) -> None:
    from ..mail.smtp import MailError, send_mail
    sender = sender or user.primary_email or f"{user.uid}@{ctx.defaults.get('SOGoMailDomain') or 'localhost'}"
    message = imip_message(method, calendar, sender=sender, sender_name=user.display_name,
                           recipients=recipients, replier=sender if method == "REPLY" else None)
    try:
        send_mail(ctx.defaults.domain(user.domain), sender, recipients,
                  message.as_bytes(policy=email.policy.SMTP), credentials=ctx.credentials, user=user)
    except MailError as exc:
        log.error("iMIP %s for %s not sent: %s", method, ", ".join(recipients), exc)


def store(ctx, folder, user, name: str, calendar) -> None:
    """Write ``calendar`` as ``name`` in ``folder`` of ``user``, with its quick row."""
    prefs = user_defaults(ctx, user)
    quick = appointment_quick_row(
        calendar, owner_emails=user.emails, default_tz=str(prefs.get("SOGoTimeZone") or "UTC"),
        events_classification=str(prefs.get("SOGoCalendarEventsDefaultClassification") or "PUBLIC"),
        tasks_classification=str(prefs.get("SOGoCalendarTasksDefaultClassification") or "PUBLIC"))
    folder.put_object(name, calendar.to_ical().decode("utf-8"), quick)


def find_copy(folder, uid: str, name: str | None):
    """(name, calendar) of the object with ``uid`` in ``folder``; else (``name`` or a free
    name, None)."""
    rows = folder.quick_rows(folder.quick_table.c.c_uid == uid)
    for row in rows:
        stored = folder.get_object(row.c_name)
        if stored is not None:
            return row.c_name, _parse(stored.c_content)
    if name is not None and folder.get_object(name) is None:
        return name, None
    safe = "".join(c for c in uid if c.isalnum() or c in "-_.@")[:200] or "event"
    name, n = f"{safe}.ics", 1
    while folder.get_object(name) is not None:
        name, n = f"{safe}-{n}.ics", n + 1
    return name, None


def _parse(content):
    if content is None:
        return None
    if isinstance(content, Calendar):
        return content
    try:
        calendar = Calendar.from_ical(content)
    except ValueError:
        return None
    events = [c for c in main_components(calendar) if c.name == "VEVENT"]
    return calendar if events else None


#: what SOGo's iCalEventChanges counts as a change to announce (sequenceShouldBeIncreased);
#: an EXDATE added is announced as the cancellation of that instance instead
MAJOR = ("DTSTART", "DTEND", "DURATION", "DUE", "RRULE", "RDATE", "SUMMARY", "LOCATION",
         "DESCRIPTION", "STATUS")


def new_exdates(before, after) -> list:
    """The EXDATE values of ``after``'s master that ``before``'s did not have."""
    def exdates(calendar):
        master = next((c for c in main_components(calendar) if c.get("RECURRENCE-ID") is None), None)
        return [] if master is None else [v for group in props(master, "EXDATE") for v in group.dts]
    known = {v.to_ical() for v in exdates(before)}
    return [v for v in exdates(after) if v.to_ical() not in known]


def major_change(before, after) -> bool:
    """Whether ``after`` changes a property of :data:`MAJOR` of any instance of ``before``
    (master and overrides matched by RECURRENCE-ID), or adds or drops an override."""
    def instances(calendar):
        return {str(c.get("RECURRENCE-ID").to_ical() if c.get("RECURRENCE-ID") is not None else b""): c
                for c in main_components(calendar)}

    old, new = instances(before), instances(after)
    return old.keys() != new.keys() or any(differ(old[k], new[k], MAJOR) for k in new)


def _uid(calendar) -> str:
    return str(main_components(calendar)[0].get("UID", ""))


def _organizer(calendar) -> str:
    for component in main_components(calendar):
        address = organizer_address(component)
        if address:
            return address
    return ""


def _attendees(calendar) -> list[str]:
    seen = {}
    for component in main_components(calendar):
        for attendee in props(component, "ATTENDEE"):
            seen.setdefault(address_of(attendee), None)
    seen.pop("", None)
    return list(seen)


def partstat_of(calendar, address: str) -> str:
    for component in main_components(calendar):
        for attendee in props(component, "ATTENDEE"):
            if address_of(attendee) == address:
                return param(attendee, "PARTSTAT").upper() or "NEEDS-ACTION"
    return ""


def set_partstat(calendar, address: str, partstat: str) -> None:
    for component in main_components(calendar):
        for attendee in props(component, "ATTENDEE"):
            if address_of(attendee) == address:
                attendee.params["PARTSTAT"] = partstat
                attendee.params.pop("RSVP", None)
