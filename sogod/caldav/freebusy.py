"""Free/busy: which times a user's calendars hold, and the three ways to ask.

* ``GET /SOGo/dav/<uid>/freebusy.ifb[?sday=YYYYMMDD&eday=YYYYMMDD]``: a
  VFREEBUSY over ``SOGoFreeBusyDefaultInterval`` days back and forward (SOGo
  ignores ``sday``/``eday`` on the DAV URL; sogod honours them).
* the ``free-busy-query`` REPORT (RFC 4791 §7.10) on one calendar, which SOGo
  lacks;
* the outbox POST (``outbox.py``), which uses :func:`freebusy_reply`.

Busy time comes from opaque, not cancelled events the user has not declined,
in calendars not marked transparent; with ``SOGoBusyOffHours`` weekends and
the hours outside ``SOGoDayStartTime``–``SOGoDayEndTime`` are BUSY-UNAVAILABLE.
A requester sees only the calendars on which they hold a role (owner, or any
ACL role: SOGo's FreeBusyReader). Windows are bounded by :data:`MAX_RANGE`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone

from icalendar import Calendar, FreeBusy
from icalendar.prop import vPeriod
from werkzeug.wrappers import Response

from ..dav.acl import folder_access
from ..dav.errors import DAVError
from ..dav.methods.report import REPORTS
from ..dav.resources import PRINCIPAL_CHILDREN, Resource
from ..dav.xml import CALDAV, clark
from . import settings
from .expand import instances, resolve_tz, to_utc
from .ical import param, props, rfc822_email
from .resources import CalendarCollection, user_defaults

UTC = timezone.utc
MAX_RANGE = timedelta(days=366)
PRODID = "-//Inverse inc./SOGo 5.8.0//EN"
CALENDAR_TYPE = "text/calendar; charset=utf-8"


@dataclass(frozen=True)
class Busy:
    start: datetime
    end: datetime
    fbtype: str = "BUSY"         # BUSY | BUSY-TENTATIVE | BUSY-UNAVAILABLE
    uid: str = ""


# --------------------------------------------------------------------------- windows

def bounded(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """[start, end) with end after start and at most MAX_RANGE long."""
    if end <= start:
        end = start + timedelta(days=1)
    return start, min(end, start + MAX_RANGE)


def default_window(ctx, user, now: datetime | None = None) -> tuple[datetime, datetime]:
    """SOGoFreeBusyDefaultInterval (days back, days forward) around today, in UTC days."""
    interval = ctx.defaults.domain(user.domain).get("SOGoFreeBusyDefaultInterval") or [7, 7]
    try:
        back, forward = (int(interval[0]), int(interval[1]))
    except (TypeError, ValueError, IndexError):
        back, forward = 7, 7
    today = (now or datetime.now(UTC)).replace(hour=0, minute=0, second=0, microsecond=0)
    back, forward = max(0, min(back, 366)), max(0, min(forward, 366))
    return bounded(today - timedelta(days=back), today + timedelta(days=forward))


def parse_day(text: str | None) -> datetime | None:
    try:
        return datetime.strptime((text or "").strip(), "%Y%m%d").replace(tzinfo=UTC)
    except ValueError:
        return None


# --------------------------------------------------------------------------- reading calendars

def readable_folders(ctx, user, check_access: bool = True) -> list:
    """The user's calendars whose free/busy the caller (``ctx.user``) may read; all of
    them for the server itself (``check_access`` False)."""
    folders = ctx.services.storage.folders.list(user.uid, "Calendar")
    if not check_access:
        return folders
    result = []
    for folder in folders:
        access = folder_access(ctx, folder)
        if access.owner or access.roles:
            result.append(folder)
    return result


def _candidates(folder, start: datetime, end: datetime) -> list[str]:
    q = folder.quick_table.c
    lo, hi = int(start.timestamp()), int(end.timestamp())
    rows = folder.quick_rows(q.c_component == "vevent",
                             (q.c_startdate.is_(None)) | (q.c_startdate < hi) | (q.c_iscycle == 1),
                             (q.c_enddate.is_(None)) | (q.c_enddate > lo) | (q.c_iscycle == 1))
    return [r.c_name for r in rows]


def _own_partstat(component, emails: set[str]) -> str:
    for attendee in props(component, "ATTENDEE"):
        if rfc822_email(str(attendee)).lower() in emails:
            return param(attendee, "PARTSTAT").upper() or "NEEDS-ACTION"
    return ""


def _fbtype(component, emails: set[str]) -> str | None:
    """None when the component makes no busy time for this user."""
    if str(component.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT":
        return None
    status = str(component.get("STATUS", "")).upper()
    if status == "CANCELLED":
        return None
    partstat = _own_partstat(component, emails)
    if partstat == "DECLINED":
        return None
    if status == "TENTATIVE" or partstat in ("TENTATIVE", "NEEDS-ACTION"):
        return "BUSY-TENTATIVE"
    return "BUSY"


def busy_events(ctx, user, start: datetime, end: datetime, *, check_access: bool = False,
                exclude_uid: str | None = None, folders=None) -> list[Busy]:
    """Busy instances of ``user``'s events overlapping [start, end), clipped to it."""
    tz = resolve_tz(str(user_defaults(ctx, user).get("SOGoTimeZone") or "UTC"))
    emails = {e.lower() for e in user.emails}
    result = []
    for folder in folders if folders is not None else readable_folders(ctx, user, check_access):
        if settings.excluded_from_freebusy(ctx, folder):
            continue
        names = _candidates(folder, start, end)
        for row in folder.list_objects(names) if names else []:
            result.extend(_object_busy(row.c_content, tz, emails, start, end, exclude_uid))
    return result


def _object_busy(content: str, tz, emails: set[str], start: datetime, end: datetime,
                 exclude_uid: str | None) -> list[Busy]:
    try:
        calendar = Calendar.from_ical(content)
    except ValueError:
        return []
    events = [c for c in calendar.subcomponents if c.name == "VEVENT"]
    if exclude_uid and any(str(e.get("UID", "")) == exclude_uid for e in events):
        return []
    result = []
    for instance in instances(events, tz, start, end, include_cancelled=False):
        fbtype = _fbtype(instance.component, emails)
        if fbtype is None or instance.start is None:
            continue
        begin = to_utc(instance.start, tz)
        if instance.end is not None:
            finish = to_utc(instance.end, tz)
        else:   # RFC 5545: a DATE DTSTART alone lasts one day, a DATE-TIME one no time
            finish = begin + (timedelta(0) if isinstance(instance.start, datetime) else timedelta(days=1))
        if finish <= begin or finish <= start or begin >= end:
            continue
        result.append(Busy(max(begin, start), min(finish, end), fbtype,
                           str(instance.component.get("UID", ""))))
    return result


def off_hours(ctx, user, start: datetime, end: datetime) -> list[Busy]:
    """Weekends and nights as BUSY-UNAVAILABLE, when the user's SOGoBusyOffHours is set."""
    prefs = user_defaults(ctx, user)
    if not prefs.bool("SOGoBusyOffHours"):
        return []
    tz = resolve_tz(str(prefs.get("SOGoTimeZone") or "UTC"))
    day_start, day_end = _hour(prefs.get("SOGoDayStartTime"), 8), _hour(prefs.get("SOGoDayEndTime"), 18)
    result = []
    day = start.astimezone(tz).date() - timedelta(days=1)
    last = end.astimezone(tz).date()
    while day <= last:
        midnight = datetime.combine(day, time(0), tz)
        nxt = datetime.combine(day + timedelta(days=1), time(0), tz)
        if day.weekday() >= 5:
            spans = [(midnight, nxt)]
        else:
            spans = [(midnight, midnight + day_start), (midnight + day_end, nxt)]
        for a, b in spans:
            a, b = max(a.astimezone(UTC), start), min(b.astimezone(UTC), end)
            if a < b:
                result.append(Busy(a, b, "BUSY-UNAVAILABLE"))
        day += timedelta(days=1)
    return result


def _hour(value, default: int) -> timedelta:
    text = str(value if value is not None else default).strip()
    hours, _, minutes = text.partition(":")
    try:
        return timedelta(hours=max(0, min(24, int(hours))), minutes=int(minutes or 0))
    except ValueError:
        return timedelta(hours=default)


def merge(periods: list[Busy]) -> list[Busy]:
    """Sorted, overlapping periods of one FBTYPE joined."""
    result: list[Busy] = []
    for period in sorted(periods, key=lambda p: (p.fbtype, p.start, p.end)):
        last = result[-1] if result else None
        if last and last.fbtype == period.fbtype and period.start <= last.end:
            result[-1] = Busy(last.start, max(last.end, period.end), last.fbtype)
        else:
            result.append(Busy(period.start, period.end, period.fbtype))
    return sorted(result, key=lambda p: (p.start, p.end, p.fbtype))


def resource_busy(user, periods: list[Busy]) -> list[Busy]:
    """What a resource shows (MultipleBookingsFieldName): 0 always free, -1 busy at the
    first booking, N busy where N bookings overlap."""
    limit = user.multiple_bookings
    if not user.is_resource or limit < 0:
        return periods
    if limit == 0:
        return []
    return [Busy(a, b, "BUSY") for a, b in crowded(periods, limit)]


def crowded(periods: list[Busy], limit: int) -> list[tuple[datetime, datetime]]:
    """The spans where at least ``limit`` of ``periods`` overlap."""
    edges = sorted([(p.start, 1) for p in periods] + [(p.end, -1) for p in periods],
                   key=lambda e: (e[0], e[1]))
    spans, depth, opened = [], 0, None
    for moment, step in edges:
        depth += step
        if depth >= limit and opened is None:
            opened = moment
        elif depth < limit and opened is not None:
            if moment > opened:
                spans.append((opened, moment))
            opened = None
    return spans


def user_busy(ctx, user, start: datetime, end: datetime) -> list[Busy]:
    """What the caller may know of ``user``'s busy time."""
    periods = busy_events(ctx, user, start, end, check_access=True)
    periods = resource_busy(user, periods)
    return merge(periods + off_hours(ctx, user, start, end))


# --------------------------------------------------------------------------- rendering

def vfreebusy(periods: list[Busy], start: datetime, end: datetime, *, attendee: str | None = None,
              organizer: str | None = None, uid: str | None = None, method: str | None = None) -> str:
    calendar = Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    if method:
        calendar.add("METHOD", method)
    component = FreeBusy()
    if uid:
        component.add("UID", uid)
    if organizer:
        component.add("ORGANIZER", organizer)
    if attendee:
        component.add("ATTENDEE", attendee)
    component.add("DTSTAMP", datetime.now(UTC).replace(microsecond=0))
    component.add("DTSTART", start.astimezone(UTC))
    component.add("DTEND", end.astimezone(UTC))
    for period in periods:
        value = vPeriod((period.start.astimezone(UTC), period.end.astimezone(UTC)))
        value.params.clear()
        value.params["FBTYPE"] = period.fbtype
        component.add("FREEBUSY", value)
    calendar.add_component(component)
    return calendar.to_ical(sorted=False).decode("utf-8")


def may_read(ctx, user) -> bool:
    """The requester holds a role on at least one of ``user``'s calendars."""
    if ctx.user is not None and ctx.user.uid == user.uid:
        return True
    can_see = getattr(ctx.services.directory, "can_see", None)
    if can_see is not None and not can_see(ctx.user, user):
        return False                # another domain, not made visible (guide §5.15)
    return bool(readable_folders(ctx, user))


# --------------------------------------------------------------------------- freebusy.ifb

class FreeBusyFile(Resource):
    """/SOGo/dav/<uid>/freebusy.ifb"""

    is_collection = False
    methods = ("OPTIONS", "GET", "HEAD", "PROPFIND")
    content_type = "text/calendar"

    def __init__(self, principal):
        self.owner = principal.user
        self.path = f"/{self.owner.uid}/freebusy.ifb"

    def render(self, ctx):
        if not may_read(ctx, self.owner):
            raise DAVError(403, "no permission to read this user's free/busy")
        start, end = default_window(ctx, self.owner)
        sday, eday = parse_day(ctx.request.args.get("sday")), parse_day(ctx.request.args.get("eday"))
        if sday is not None and eday is not None:
            start, end = bounded(sday, eday + timedelta(days=1))
        periods = user_busy(ctx, self.owner, start, end)
        attendee = f"mailto:{self.owner.primary_email}" if self.owner.primary_email else None
        return vfreebusy(periods, start, end, attendee=attendee).encode("utf-8"), "text/calendar"


def freebusy_file(ctx, principal):
    if not ctx.defaults.bool("SOGoCalendarDAVAccessEnabled") or not principal.user.can_access("Calendar"):
        return None
    return FreeBusyFile(principal)


PRINCIPAL_CHILDREN["freebusy.ifb"] = freebusy_file


# --------------------------------------------------------------------------- free-busy-query REPORT

class FreeBusyQuery:
    name = clark(CALDAV, "free-busy-query")

    def applies_to(self, resource) -> bool:
        return isinstance(resource, CalendarCollection)

    def run(self, ctx, collection, root):
        access = collection.access
        if not (access.owner or access.roles):
            raise DAVError(403, "no read-free-busy privilege", precondition="{DAV:}need-privileges")
        ranges = root.findall(clark(CALDAV, "time-range"))
        if len(ranges) != 1:
            raise DAVError(400, "free-busy-query needs one time-range",
                           precondition=clark(CALDAV, "valid-filter"))
        start, end = _utc(ranges[0].get("start")), _utc(ranges[0].get("end"))
        if start is None or end is None or end <= start:
            raise DAVError(400, "time-range needs start < end", precondition=clark(CALDAV, "valid-filter"))
        start, end = bounded(start, end)
        owner = collection.owner
        periods = busy_events(ctx, owner, start, end, folders=[collection.folder])
        body = vfreebusy(merge(resource_busy(owner, periods)), start, end)
        return Response(body, status=200, content_type=CALENDAR_TYPE)


def _utc(text: str | None) -> datetime | None:
    try:
        return datetime.strptime((text or "").strip(), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None


REPORTS[FreeBusyQuery.name] = FreeBusyQuery()
