"""CalDAV REPORTs: calendar-query (with expand) and calendar-multiget."""

from __future__ import annotations

from datetime import datetime, timezone

from icalendar import Calendar
from werkzeug.wrappers import Response

from ..dav.errors import DAVError
from ..dav.methods.propfind import properties_of
from ..dav.methods.report import REPORTS
from ..dav.multiget import Multiget
from ..dav.xml import CALDAV, DAV, MultiStatus, clark, element
from .ical import INT_MAX, INT_MIN
from .resources import CalendarCollection, user_timezone

VALID_FILTER = clark(CALDAV, "valid-filter")


def _utc(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.strptime(text.strip(), "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        raise DAVError(400, f"bad date-time {text!r}", precondition=VALID_FILTER) from None


def apply_expand(content: str, el, *, expand: bool, ctx) -> str:
    from .expand import expand as do_expand, limit_recurrence_set
    start, end = _utc(el.get("start")), _utc(el.get("end"))
    if start is None or end is None or end <= start:
        raise DAVError(400, "expand needs start < end", precondition=VALID_FILTER)
    calendar = Calendar.from_ical(content)
    if expand:
        result = do_expand(calendar, start, end, default_tz=user_timezone(ctx))
    else:
        result = limit_recurrence_set(calendar, start, end)
    return result.to_ical().decode("utf-8")


class CalendarQuery:
    name = clark(CALDAV, "calendar-query")

    def applies_to(self, resource) -> bool:
        return isinstance(resource, CalendarCollection)

    def run(self, ctx, collection, root):
        from .filters import FilterCollationError, InvalidFilter, parse_filter, quick_prefilter
        from .quick_match import decide, plain_time_range
        from .time_limit import limited
        filter_el = root.find(clark(CALDAV, "filter"))
        if filter_el is None:
            raise DAVError(400, "calendar-query needs a filter", precondition=VALID_FILTER)
        try:
            query = parse_filter(filter_el)
        except FilterCollationError:
            raise DAVError(403, "unsupported collation",
                           precondition=clark(CALDAV, "supported-collation")) from None
        except InvalidFilter as exc:
            raise DAVError(400, f"invalid filter: {exc}", precondition=VALID_FILTER) from None
        query = limited(query, _time_limit(ctx))
        mode, requested = _requested(root)
        tz = user_timezone(ctx)
        quick = _candidates(collection, quick_prefilter(query))
        plain = plain_time_range(query) if quick is not None else None
        status = MultiStatus()
        for row in collection.folder.list_objects(None if quick is None else list(quick)):
            obj = collection.object_for(ctx, row)
            try:
                content = obj.content(ctx)
            except DAVError:
                continue
            decided = decide(plain, quick[row.c_name], content) if plain is not None else None
            if decided is None:
                try:
                    decided = query.matches(Calendar.from_ical(content), default_tz=tz)
                except ValueError:
                    continue
            if not decided:
                continue
            found, missing = properties_of(ctx, obj, mode, requested)
            status.add(obj.href, found, missing)
        return Response(status.body(), status=207, content_type='text/xml; charset="utf-8"')


def _time_limit(ctx) -> int:
    """SOGoDAVCalendarStartTimeLimit of the requester's domain (super users: none)."""
    from ..dav.acl import is_superuser
    domain = ctx.services.directory.domain_of(ctx.user)
    if is_superuser(ctx, ctx.user.uid, domain):
        return 0
    return ctx.defaults.domain(domain).int("SOGoDAVCalendarStartTimeLimit")


def _requested(root):
    prop = root.find(clark(DAV, "prop"))
    if prop is not None:
        return "prop", list(prop)
    if root.find(clark(DAV, "propname")) is not None:
        return "propname", []
    if root.find(clark(DAV, "allprop")) is not None:
        return "allprop", []
    return "prop", [element(clark(DAV, "getetag"))]


def _candidates(collection, prefilter) -> dict | None:
    """{name: quick row} of the objects worth testing; None means every object."""
    if not prefilter:
        return None
    q = collection.folder.quick_table.c
    clauses = []
    if prefilter.get("component"):
        clauses.append(q.c_component == prefilter["component"])
    start, end = prefilter.get("start"), prefilter.get("end")
    # Quick dates are clamped to INT (an infinite series ends at INT_MAX): clamp the range too.
    if start is not None:
        start = min(start, INT_MAX - 1)
    if end is not None:
        end = max(end, INT_MIN + 1)
    if end is not None:
        clauses.append((q.c_startdate.is_(None)) | (q.c_startdate < end) | (q.c_iscycle == 1))
    if start is not None:
        # A series is a candidate until the end of its last instance (c_cycleenddate,
        # INT_MAX when infinite, NULL for lone overrides): finished ones are skipped.
        series = (q.c_iscycle == 1) & (q.c_cycleenddate.is_(None) | (q.c_cycleenddate >= start))
        clauses.append((q.c_enddate.is_(None)) | (q.c_enddate > start) | series
                       | (q.c_component == "vtodo"))
    return {r.c_name: r for r in collection.folder.quick_rows(*clauses)}


REPORTS[CalendarQuery.name] = CalendarQuery()
REPORTS[clark(CALDAV, "calendar-multiget")] = Multiget(clark(CALDAV, "calendar-multiget"), CalendarCollection)
