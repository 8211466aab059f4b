"""Recurrence instances, RFC 4791 time-range overlap, and calendar-data expansion (no I/O).

* :func:`instances` lists the instances of a set of same-type components
  (VEVENT, VTODO or VJOURNAL): a master's RRULE/RDATE/EXDATE expanded by
  ``recurring-ical-events``, each RECURRENCE-ID override replacing its
  instance, plus standalone components as they are.
* :func:`overlaps` is the per-component table of RFC 4791 §9.9.
* :func:`expand` (§9.6.5) and :func:`limit_recurrence_set` (§9.6.6) rewrite a
  calendar object for ``<C:calendar-data>`` with ``<C:expand>`` or
  ``<C:limit-recurrence-set>``.

Floating date-times and DATE values are read in ``default_tz`` (the user's
time zone, a name or a ``tzinfo``); everything is compared in UTC.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Iterable, Iterator
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import recurring_ical_events
from icalendar import Calendar, Component
from icalendar.prop import vDDDTypes, vDuration

__all__ = [
    "HORIZON", "Instance", "MARGIN", "MAX_OPEN_INSTANCES", "RECURRING_COMPONENTS",
    "component_instance", "effective_end", "expand", "instances", "limit_recurrence_set",
    "overlaps", "resolve_tz", "to_utc",
]

UTC = timezone.utc
ONE_DAY = timedelta(days=1)
#: components that carry recurrence sets
RECURRING_COMPONENTS = ("VEVENT", "VTODO", "VJOURNAL")
#: how far beyond a window recurrence expansion looks, so that time-zone and
#: inclusive-boundary differences never lose an instance (callers re-test exactly)
MARGIN = timedelta(days=1)
#: with a window open at one side, at most this many instances of a series are
#: examined (then its remaining overrides), none later than HORIZON after the
#: window's start
MAX_OPEN_INSTANCES = 2000
HORIZON = timedelta(days=200 * 366)
#: recurrence sets are expanded in chunks of this size, doubling each time
FIRST_CHUNK = timedelta(days=366)
_FAR_PAST = datetime(1900, 1, 1, tzinfo=UTC)
_RECURRENCE_PROPERTIES = ("RRULE", "RDATE", "EXDATE", "EXRULE")


def resolve_tz(tz: str | tzinfo | None) -> tzinfo:
    """A tzinfo from a zone name (unknown names fall back to UTC) or a tzinfo."""
    if tz is None:
        return UTC
    if isinstance(tz, tzinfo):
        return tz
    try:
        return ZoneInfo(str(tz))
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def to_utc(value: date | datetime, tz: tzinfo) -> datetime:
    """An aware UTC datetime; DATE values are midnight and floating times local time in ``tz``."""
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(UTC)


def _is_date(value) -> bool:
    return isinstance(value, date) and not isinstance(value, datetime)


def _add(start: date | datetime, delta: timedelta) -> date | datetime:
    """start + delta; a DATE becomes a floating midnight when delta is not whole days."""
    if _is_date(start) and delta % ONE_DAY:
        start = datetime(start.year, start.month, start.day)
    return start + delta


def _dt(component: Component, name: str):
    prop = component.get(name)
    if isinstance(prop, list):
        prop = prop[0] if prop else None
    return getattr(prop, "dt", None)


@dataclass(frozen=True)
class Instance:
    """One occurrence of a component.

    ``component`` is the component that defines it: the master for instances
    generated from RRULE/RDATE (``generated``), otherwise the override or the
    standalone component itself. ``start``/``end`` are this occurrence's
    DTSTART and DTEND/DUE/DTSTART+DURATION as written (DATE, floating or
    aware); ``end`` is None when the component has none of those.
    """

    component: Component
    start: date | datetime | None
    end: date | datetime | None
    recurrence_id: date | datetime | None = None
    generated: bool = False


def _has_end(component: Component) -> bool:
    end_name = "DUE" if component.name == "VTODO" else "DTEND"
    return component.name != "VJOURNAL" and (end_name in component or "DURATION" in component)


def component_instance(component: Component) -> Instance:
    """The single instance described by ``component`` alone (recurrence ignored)."""
    start = _dt(component, "DTSTART")
    end = None
    if component.name in ("VEVENT", "VTODO"):
        end = _dt(component, "DUE" if component.name == "VTODO" else "DTEND")
        duration = _dt(component, "DURATION")
        if end is None and isinstance(start, date) and isinstance(duration, timedelta):
            end = _add(start, duration)
    return Instance(component, start, end, _dt(component, "RECURRENCE-ID"))


def effective_end(instance: Instance) -> date | datetime | None:
    """The end an alarm RELATED=END refers to (RFC 5545 §3.8.6.3), None if undefined."""
    component = instance.component
    if _has_end(component) and instance.end is not None:
        return instance.end
    if component.name == "VEVENT" and instance.start is not None:
        return _add(instance.start, ONE_DAY) if _is_date(instance.start) else instance.start
    return None


def overlaps(instance: Instance, start: datetime | None, end: datetime | None, tz: tzinfo) -> bool:
    """Whether the instance overlaps [start, end) per RFC 4791 §9.9 (None: unbounded side).

    An event whose DTEND equals its DTSTART counts as a zero-duration event
    (``start <= DTSTART``), like a DURATION of zero.
    """
    def after_start(x, inclusive):   # "start <= x" / "start < x"
        return start is None or (start <= x if inclusive else start < x)

    def before_end(x, inclusive):    # "end >= x" / "end > x"
        return end is None or (end >= x if inclusive else end > x)

    component = instance.component
    name = component.name
    if name == "VTODO":
        return _todo_overlaps(instance, after_start, before_end, tz)
    if instance.start is None or name not in ("VEVENT", "VJOURNAL"):
        return False
    s = to_utc(instance.start, tz)
    if name == "VEVENT" and _has_end(component) and instance.end is not None:
        e = to_utc(instance.end, tz)
    elif _is_date(instance.start):
        e = to_utc(instance.start + ONE_DAY, tz)
    else:
        e = s
    if e > s:
        return after_start(e, False) and before_end(s, False)
    return after_start(s, True) and before_end(s, False)


def _todo_overlaps(instance: Instance, after_start, before_end, tz: tzinfo) -> bool:
    component = instance.component
    has_due, has_duration = "DUE" in component, "DURATION" in component
    if instance.start is not None:
        s = to_utc(instance.start, tz)
        if (has_due or has_duration) and instance.end is not None:
            e = to_utc(instance.end, tz)
            if has_due:
                return ((after_start(e, False) or after_start(s, True))
                        and (before_end(s, False) or before_end(e, True)))
            return after_start(e, True) and (before_end(s, False) or before_end(e, True))
        return after_start(s, True) and before_end(s, False)
    if has_due and instance.end is not None:
        d = to_utc(instance.end, tz)
        return after_start(d, False) and before_end(d, True)
    completed, created = _dt(component, "COMPLETED"), _dt(component, "CREATED")
    completed = to_utc(completed, tz) if isinstance(completed, date) else None
    created = to_utc(created, tz) if isinstance(created, date) else None
    if completed and created:
        return ((after_start(created, True) or after_start(completed, True))
                and (before_end(created, True) or before_end(completed, True)))
    if completed:
        return after_start(completed, True) and before_end(completed, True)
    if created:
        return before_end(created, False)
    return True


# -- recurrence sets -----------------------------------------------------------

def _series(components: Iterable[Component]) -> list[list[Component]]:
    """Components grouped by UID, in order of first appearance."""
    groups: dict[str, list[Component]] = {}
    for position, component in enumerate(components):
        uid = str(component.get("UID", f"\0{position}"))
        groups.setdefault(uid, []).append(component)
    return list(groups.values())


def _is_recurring(component: Component) -> bool:
    return "DTSTART" in component and ("RRULE" in component or "RDATE" in component)


def _is_cancelled(component: Component) -> bool:
    return str(component.get("STATUS", "")).upper() == "CANCELLED"


def instances(components: Iterable[Component], tz: tzinfo, start: datetime | None = None,
              end: datetime | None = None, *, include_cancelled: bool = True) -> Iterator[Instance]:
    """Instances of ``components`` (one component type) that may overlap [start, end).

    The result is a superset: callers test each instance with :func:`overlaps`
    (or their own rule). Recurring series are expanded from ``start - MARGIN``
    (or their first instance) to ``end + MARGIN``; with an open side, at most
    :data:`MAX_OPEN_INSTANCES` generated instances per series (overrides
    always count) and none beyond :data:`HORIZON`. Excluded (EXDATE)
    instances never appear; an override appears instead of the instance it
    replaces; with
    ``include_cancelled`` False, an override whose STATUS is CANCELLED is
    skipped as well. Each series' instances come in chronological order.
    """
    for group in _series(components):
        masters = [c for c in group if "RECURRENCE-ID" not in c]
        if len(masters) != 1 or not _is_recurring(masters[0]):
            for component in group:
                yield component_instance(component)
            continue
        yield from _recurring(masters[0], [c for c in group if c is not masters[0]], tz,
                              start, end, include_cancelled)


def _recurring(master, overrides, tz, start, end, include_cancelled) -> Iterator[Instance]:
    by_rid = {}
    for override in overrides:
        rid = _dt(override, "RECURRENCE-ID")
        if isinstance(rid, date):
            by_rid[to_utc(rid, tz)] = override
    holder = Calendar()
    holder.subcomponents.extend([master, *overrides])
    produced, seen = 0, set()
    try:
        for occurrence in _occurrences(holder, master.name, tz, start, end):
            instance = _instance_from(occurrence, master, by_rid, tz)
            if instance is None:
                continue
            produced += 1
            seen.add(id(instance.component))
            if include_cancelled or instance.generated or not _is_cancelled(instance.component):
                yield instance
    except Exception:  # noqa: BLE001 - a broken RRULE must not break a REPORT
        if produced:
            return
        for component in [master, *overrides]:
            yield component_instance(component)
        return
    if (start is None or end is None) and produced >= MAX_OPEN_INSTANCES:
        # capped: the overrides still count
        for override in overrides:
            if id(override) not in seen and (include_cancelled or not _is_cancelled(override)):
                yield component_instance(override)


def _occurrences(holder: Calendar, name: str, tz: tzinfo, start, end) -> Iterator[Component]:
    """recurring-ical-events occurrences, chronologically, in growing chunks so that
    a caller stopping at the first match never pays for the whole series."""
    query = recurring_ical_events.of(holder, components=[name])
    low = (start if start is not None else _earliest(holder, tz)) - MARGIN
    try:
        stop = end + MARGIN if end is not None else low + HORIZON
    except OverflowError:
        stop = datetime.max.replace(tzinfo=UTC) - MARGIN
    chunk, seen = FIRST_CHUNK, set()
    while low < stop:
        try:
            high = min(low + chunk, stop)
        except OverflowError:
            high = stop
        batch = query.between(low.astimezone(tz), high.astimezone(tz))
        for occurrence in sorted(batch, key=lambda c: to_utc(c["DTSTART"].dt, tz)):
            key = (to_utc(_dt(occurrence, "RECURRENCE-ID") or occurrence["DTSTART"].dt, tz),
                   to_utc(occurrence["DTSTART"].dt, tz))
            if key not in seen:
                seen.add(key)
                yield occurrence
                if (start is None or end is None) and len(seen) >= MAX_OPEN_INSTANCES:
                    return
        low, chunk = high, chunk * 2


def _earliest(holder: Calendar, tz: tzinfo) -> datetime:
    """The earliest DTSTART or RDATE of a series."""
    moments = []
    for component in holder.subcomponents:
        for prop in (component.get("DTSTART"), *_as_list(component.get("RDATE"))):
            for value in getattr(prop, "dts", [prop]):
                moment = getattr(value, "dt", None)
                moment = moment[0] if isinstance(moment, tuple) else moment
                if isinstance(moment, date):
                    moments.append(to_utc(moment, tz))
    return min(moments, default=_FAR_PAST)


def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _instance_from(occurrence, master, by_rid, tz) -> Instance | None:
    rid = _dt(occurrence, "RECURRENCE-ID")
    start = _dt(occurrence, "DTSTART")
    if not isinstance(start, date):
        return None
    override = by_rid.get(to_utc(rid, tz)) if isinstance(rid, date) else None
    if override is not None:
        return component_instance(override)
    end = None
    if _has_end(master):
        end = _dt(occurrence, "DUE" if master.name == "VTODO" else "DTEND")
    return Instance(master, start, end, rid if rid is not None else start, generated=True)


# -- calendar-data rewriting ---------------------------------------------------

def _shell(calendar: Calendar) -> Calendar:
    out = Calendar()
    for name, value in calendar.items():
        out[name] = value
    return out


def _utc_property(prop, tz: tzinfo):
    if isinstance(prop, vDDDTypes) and isinstance(prop.dt, datetime):
        new = vDDDTypes(to_utc(prop.dt, tz))
        for key, value in prop.params.items():
            if key.upper() != "TZID":
                new.params[key] = value
        return new
    return prop


def _to_utc_properties(component: Component, tz: tzinfo) -> None:
    """Rewrite every DATE-TIME property (and sub-component's) in UTC, without TZID."""
    for name in list(component.keys()):
        value = component[name]
        if isinstance(value, list):
            component[name] = [_utc_property(v, tz) for v in value]
        else:
            component[name] = _utc_property(value, tz)
    for sub in component.subcomponents:
        _to_utc_properties(sub, tz)


def _instance_component(instance: Instance, tz: tzinfo) -> Component:
    component = copy.deepcopy(instance.component)
    for name in _RECURRENCE_PROPERTIES:
        component.pop(name, None)
    if instance.generated:
        master = instance.component
        component["DTSTART"] = vDDDTypes(instance.start)
        if instance.end is not None:
            if "DTEND" in master or "DUE" in master:
                component["DUE" if "DUE" in master else "DTEND"] = vDDDTypes(instance.end)
            elif "DURATION" in master and _dt(master, "DURATION") != instance.end - instance.start:
                component["DURATION"] = vDuration(instance.end - instance.start)
        component["RECURRENCE-ID"] = vDDDTypes(instance.recurrence_id)
    _to_utc_properties(component, tz)
    return component


def expand(calendar: Calendar, start: datetime, end: datetime, *,
           default_tz: str | tzinfo = "UTC") -> Calendar:
    """RFC 4791 §9.6.5: one component per instance overlapping [start, end).

    Instances of recurring series carry RECURRENCE-ID and no RRULE, RDATE or
    EXDATE; overrides replace their instance; DATE-TIME values are in UTC
    (floating ones read in ``default_tz``), DATE values stay DATEs; VTIMEZONEs
    are dropped; other components (VFREEBUSY, X-…) are kept unchanged. The
    input calendar is not modified.
    """
    tz = resolve_tz(default_tz)
    out = _shell(calendar)
    done: set[tuple[str, str]] = set()
    for component in calendar.subcomponents:
        if component.name == "VTIMEZONE":
            continue
        if component.name not in RECURRING_COMPONENTS:
            out.add_component(copy.deepcopy(component))
            continue
        uid = str(component.get("UID", id(component)))
        if (component.name, uid) in done:
            continue
        done.add((component.name, uid))
        group = [c for c in calendar.subcomponents
                 if c.name == component.name and str(c.get("UID", id(c))) == uid]
        for instance in instances(group, tz, start, end):
            if overlaps(instance, start, end, tz):
                out.add_component(_instance_component(instance, tz))
    return out


def limit_recurrence_set(calendar: Calendar, start: datetime, end: datetime, *,
                         default_tz: str | tzinfo = "UTC") -> Calendar:
    """RFC 4791 §9.6.6: keep masters, and only the overrides that impact [start, end).

    An override impacts the range if its own span overlaps it, or if the
    instance it replaces (RECURRENCE-ID plus the master's duration) did.
    Everything else, VTIMEZONEs included, is kept.
    """
    tz = resolve_tz(default_tz)
    masters = {(c.name, str(c.get("UID"))): c for c in calendar.subcomponents
               if c.name in RECURRING_COMPONENTS and "RECURRENCE-ID" not in c}
    out = _shell(calendar)
    for component in calendar.subcomponents:
        if component.name in RECURRING_COMPONENTS and "RECURRENCE-ID" in component:
            if not _impacts(component, masters.get((component.name, str(component.get("UID")))),
                            start, end, tz):
                continue
        out.add_component(copy.deepcopy(component))
    return out


def _impacts(override, master, start, end, tz) -> bool:
    if overlaps(component_instance(override), start, end, tz):
        return True
    rid = _dt(override, "RECURRENCE-ID")
    if not isinstance(rid, date):
        return False
    source = master if master is not None else override
    original = component_instance(source)
    length = None
    if original.start is not None and original.end is not None:
        length = to_utc(original.end, tz) - to_utc(original.start, tz)
    rid_end = None
    if length is not None:
        rid_end = _add(rid, length)
    return overlaps(Instance(source, rid, rid_end, rid), start, end, tz)
