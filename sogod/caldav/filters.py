"""CalDAV calendar-query filters: parsing and evaluation (RFC 4791 §9.7, §9.9), no I/O.

:func:`parse_filter` turns a ``{urn:ietf:params:xml:ns:caldav}filter`` element
into a :class:`Filter`; a malformed one raises :class:`InvalidFilter` (answer
400 with the ``CALDAV:valid-filter`` precondition), an unknown collation
raises :class:`FilterCollationError`, which is both an ``InvalidFilter`` and a
:class:`~sogod.dav.collation.UnsupportedCollation` (answer 403 with
``CALDAV:supported-collation`` if you catch it first).

:meth:`Filter.matches` evaluates the filter against one calendar object.
A comp-filter on VEVENT, VTODO or VJOURNAL with a time-range (its own, or a
nested VALARM's) is tested instance by instance: each instance is defined by
the master (generated from RRULE/RDATE) or by its override, and its
prop-filters and nested comp-filters are tested on that defining component;
EXDATEd instances never match, nor (a choice: RFC 4791 has no such rule)
overrides with STATUS:CANCELLED.

Extensions beyond RFC 4791, as in calendar-query-extended and RFC 6352:
``test="anyof"|"allof"`` on comp-filter and prop-filter (how the nested
prop-/param-/comp-filters and text-match combine; a comp-filter's time-range
always applies), and ``match-type`` on text-match.

:func:`quick_prefilter` tells the caller which quick-table rows can possibly
match, so only those need parsing.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Iterable

from icalendar import Calendar, Component
from icalendar.prop import vDDDLists

from ..dav.collation import (
    DEFAULT_COLLATION, MATCH_TYPES, SUPPORTED_COLLATIONS, UnsupportedCollation, text_match,
)
from ..dav.xml import CALDAV
from .expand import (
    RECURRING_COMPONENTS, Instance, effective_end, instances, overlaps, resolve_tz,
    to_utc,
)

__all__ = [
    "CompFilter", "Filter", "FilterCollationError", "InvalidFilter", "PREFILTER_MARGIN",
    "ParamFilter", "PropFilter", "TextMatch", "TimeRange", "alarm_triggers", "parse_filter",
    "parse_time_range", "quick_prefilter",
]

UTC = timezone.utc
#: components a comp-filter time-range may apply to (RFC 4791 §9.9)
TIME_RANGE_COMPONENTS = ("VEVENT", "VTODO", "VJOURNAL", "VFREEBUSY", "VALARM")
#: widening of the quick-table range: floating and all-day values are stored
#: by SOGo in another zone than the reader's (up to 26 h apart) and all-day
#: ends one second early
PREFILTER_MARGIN = timedelta(days=2)
MAX_DEPTH = 8
_UTC_DATE_TIME = re.compile(r"^\d{8}T\d{6}Z$")


class InvalidFilter(ValueError):
    """The filter is malformed (precondition CALDAV:valid-filter)."""


class FilterCollationError(InvalidFilter, UnsupportedCollation):
    """A text-match names a collation we do not support (CALDAV:supported-collation)."""

    def __init__(self, collation: str):
        UnsupportedCollation.__init__(self, collation)


# -- the filter tree -----------------------------------------------------------

@dataclass(frozen=True)
class TimeRange:
    """[start, end) in UTC; None is an open side."""

    start: datetime | None
    end: datetime | None


@dataclass(frozen=True)
class TextMatch:
    text: str
    collation: str = DEFAULT_COLLATION
    negate: bool = False
    match_type: str = "contains"

    def matches_any(self, values: Iterable[str]) -> bool:
        """Whether one of the values matches; negate-condition negates the whole test."""
        found = any(text_match(v, self.text, collation=self.collation, match_type=self.match_type)
                    for v in values)
        return found != self.negate


@dataclass(frozen=True)
class ParamFilter:
    name: str
    is_not_defined: bool = False
    text_match: TextMatch | None = None


@dataclass(frozen=True)
class PropFilter:
    name: str
    is_not_defined: bool = False
    time_range: TimeRange | None = None
    text_match: TextMatch | None = None
    param_filters: tuple[ParamFilter, ...] = ()
    anyof: bool = False


@dataclass(frozen=True)
class CompFilter:
    name: str
    is_not_defined: bool = False
    time_range: TimeRange | None = None
    prop_filters: tuple[PropFilter, ...] = ()
    comp_filters: tuple[CompFilter, ...] = ()
    anyof: bool = False

    def has_time_range(self) -> bool:
        """Whether this filter or a nested comp-filter holds a time-range."""
        return self.time_range is not None or any(c.has_time_range() for c in self.comp_filters)


@dataclass(frozen=True)
class Filter:
    root: CompFilter  # always VCALENDAR

    def matches(self, calendar: Calendar, *, default_tz: str | tzinfo = "UTC") -> bool:
        """Whether the calendar object matches; floating times are read in ``default_tz``."""
        if str(getattr(calendar, "name", "")).upper() != "VCALENDAR" or self.root.is_not_defined:
            return False
        return _matches_component(self.root, calendar, resolve_tz(default_tz), None)

    def time_range(self) -> tuple[datetime | None, datetime | None] | None:
        """(start, end) of the time-range on the VEVENT/VTODO comp-filter under VCALENDAR."""
        child = _main_component_filter(self)
        if child is None or child.time_range is None:
            return None
        return child.time_range.start, child.time_range.end


# -- parsing -------------------------------------------------------------------

def _local(tag: str) -> str | None:
    """The local name of a CalDAV element, None for another namespace."""
    prefix = "{" + CALDAV + "}"
    return tag[len(prefix):] if isinstance(tag, str) and tag.startswith(prefix) else None


def _children(element: ET.Element, allowed: tuple[str, ...]) -> list[tuple[str, ET.Element]]:
    """CalDAV children (foreign elements are ignored, RFC 4918 §17); others are invalid."""
    found = []
    for child in element:
        local = _local(child.tag)
        if local is None:
            continue
        if local not in allowed:
            raise InvalidFilter(f"unexpected <{local}> in <{_local(element.tag)}>")
        found.append((local, child))
    return found


def _name(element: ET.Element) -> str:
    name = (element.get("name") or "").strip()
    if not name:
        raise InvalidFilter(f"<{_local(element.tag)}> needs a name")
    return name.upper()


def _test(element: ET.Element) -> bool:
    test = element.get("test", "allof")
    if test not in ("allof", "anyof"):
        raise InvalidFilter(f"test must be allof or anyof, not {test!r}")
    return test == "anyof"


def _utc(value: str | None) -> datetime | None:
    if value is None:
        return None
    value = value.strip()
    if not _UTC_DATE_TIME.match(value):
        raise InvalidFilter(f"{value!r} is not a UTC date-time (YYYYMMDDTHHMMSSZ)")
    try:
        return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise InvalidFilter(f"{value!r} is not a valid date-time") from None


def parse_time_range(element: ET.Element) -> TimeRange:
    """A time-range element (also usable for expand / limit-recurrence-set / free-busy)."""
    start, end = _utc(element.get("start")), _utc(element.get("end"))
    if start is None and end is None:
        raise InvalidFilter("time-range needs a start or an end")
    if start is not None and end is not None and end <= start:
        raise InvalidFilter("time-range end must be after its start")
    return TimeRange(start, end)


def _parse_text_match(element: ET.Element) -> TextMatch:
    collation = element.get("collation", DEFAULT_COLLATION)
    if collation not in SUPPORTED_COLLATIONS:
        raise FilterCollationError(collation)
    negate = element.get("negate-condition", "no")
    if negate not in ("yes", "no"):
        raise InvalidFilter(f"negate-condition must be yes or no, not {negate!r}")
    match_type = element.get("match-type", "contains")
    if match_type not in MATCH_TYPES:
        raise InvalidFilter(f"unsupported match-type {match_type!r}")
    if len(element):
        raise InvalidFilter("text-match holds text only")
    return TextMatch(element.text or "", collation, negate == "yes", match_type)


def _parse_param_filter(element: ET.Element) -> ParamFilter:
    name, is_not_defined, match = _name(element), False, None
    for local, child in _children(element, ("is-not-defined", "text-match")):
        if local == "is-not-defined" and not is_not_defined and match is None:
            is_not_defined = True
        elif local == "text-match" and match is None and not is_not_defined:
            match = _parse_text_match(child)
        else:
            raise InvalidFilter(f"param-filter {name}: is-not-defined or one text-match")
    return ParamFilter(name, is_not_defined, match)


def _parse_prop_filter(element: ET.Element) -> PropFilter:
    name, anyof = _name(element), _test(element)
    is_not_defined, time_range, match, params = False, None, None, []
    for local, child in _children(element, ("is-not-defined", "time-range", "text-match",
                                            "param-filter")):
        if local == "is-not-defined" and not is_not_defined:
            is_not_defined = True
        elif local == "time-range" and time_range is None and match is None:
            time_range = parse_time_range(child)
        elif local == "text-match" and match is None and time_range is None:
            match = _parse_text_match(child)
        elif local == "param-filter":
            params.append(_parse_param_filter(child))
        else:
            raise InvalidFilter(f"prop-filter {name}: misplaced <{local}>")
    if is_not_defined and (time_range or match or params):
        raise InvalidFilter(f"prop-filter {name}: is-not-defined stands alone")
    return PropFilter(name, is_not_defined, time_range, match, tuple(params), anyof)


def _parse_comp_filter(element: ET.Element, depth: int) -> CompFilter:
    if depth > MAX_DEPTH:
        raise InvalidFilter("comp-filters nested too deeply")
    name, anyof = _name(element), _test(element)
    is_not_defined, time_range, props, comps = False, None, [], []
    for local, child in _children(element, ("is-not-defined", "time-range", "prop-filter",
                                            "comp-filter")):
        if local == "is-not-defined" and not is_not_defined:
            is_not_defined = True
        elif local == "time-range" and time_range is None:
            time_range = parse_time_range(child)
        elif local == "prop-filter":
            props.append(_parse_prop_filter(child))
        elif local == "comp-filter":
            comps.append(_parse_comp_filter(child, depth + 1))
        else:
            raise InvalidFilter(f"comp-filter {name}: repeated <{local}>")
    if is_not_defined and (time_range or props or comps):
        raise InvalidFilter(f"comp-filter {name}: is-not-defined stands alone")
    if time_range is not None and name not in TIME_RANGE_COMPONENTS:
        raise InvalidFilter(f"comp-filter {name} cannot hold a time-range")
    return CompFilter(name, is_not_defined, time_range, tuple(props), tuple(comps), anyof)


def parse_filter(element: ET.Element) -> Filter:
    """The Filter of a ``{urn:ietf:params:xml:ns:caldav}filter`` element."""
    if _local(element.tag) != "filter":
        raise InvalidFilter("expected a CALDAV:filter element")
    comps = _children(element, ("comp-filter",))
    if len(comps) != 1:
        raise InvalidFilter("a filter holds exactly one comp-filter")
    root = _parse_comp_filter(comps[0][1], 0)
    if root.name != "VCALENDAR":
        raise InvalidFilter("the outer comp-filter must name VCALENDAR")
    return Filter(root)


# -- evaluation ----------------------------------------------------------------

def _named(parent: Component, name: str) -> list[Component]:
    return [c for c in parent.subcomponents if str(c.name).upper() == name]


def _matches_comp_filter(cf: CompFilter, parent: Component, tz: tzinfo,
                         parent_instance: Instance | None) -> bool:
    """Whether some ``cf.name`` component directly inside ``parent`` matches."""
    children = _named(parent, cf.name)
    if cf.is_not_defined:
        return not children
    if cf.name in RECURRING_COMPONENTS and cf.has_time_range():
        start, end = _window(cf, children, tz)
        return any(_matches_component(cf, inst.component, tz, inst)
                   for inst in instances(children, tz, start, end, include_cancelled=False))
    return any(_matches_component(cf, child, tz, parent_instance) for child in children)


def _matches_component(cf: CompFilter, component: Component, tz: tzinfo,
                       instance: Instance | None) -> bool:
    """``instance``: this component's instance (VEVENT/VTODO/VJOURNAL) or, for a
    VALARM, its parent's instance; None when no time-range needs it."""
    if cf.time_range is not None and not _in_time_range(cf, component, tz, instance):
        return False
    tests = [lambda pf=pf: _matches_prop_filter(pf, component, tz) for pf in cf.prop_filters]
    tests += [lambda sub=sub: _matches_comp_filter(sub, component, tz, instance)
              for sub in cf.comp_filters]
    return _combine(tests, cf.anyof)


def _combine(tests, anyof: bool) -> bool:
    if not tests:
        return True
    return any(t() for t in tests) if anyof else all(t() for t in tests)


def _in_time_range(cf: CompFilter, component: Component, tz: tzinfo,
                   instance: Instance | None) -> bool:
    tr = cf.time_range
    if cf.name in RECURRING_COMPONENTS:
        return instance is not None and overlaps(instance, tr.start, tr.end, tz)
    if cf.name == "VALARM":
        return instance is not None and any(
            _point_in(t, tr) for t in alarm_triggers(component, instance, tz))
    if cf.name == "VFREEBUSY":
        return _freebusy_in(component, tr, tz)
    return False


def _point_in(moment: datetime, tr: TimeRange) -> bool:
    return (tr.start is None or tr.start <= moment) and (tr.end is None or tr.end > moment)


def _span_in(start: datetime, end: datetime, tr: TimeRange) -> bool:
    return (tr.start is None or tr.start < end) and (tr.end is None or tr.end > start)


def alarm_triggers(alarm: Component, parent: Instance, tz: tzinfo) -> list[datetime]:
    """Every trigger time (UTC) of a VALARM for one instance of its parent, repeats included."""
    trigger = alarm.get("TRIGGER")
    value = getattr(trigger, "dt", None)
    if isinstance(value, timedelta):
        related = str(trigger.params.get("RELATED", "START")).upper()
        base = effective_end(parent) if related == "END" else parent.start
        if base is None:
            return []
        first = to_utc(base, tz) + value
    elif isinstance(value, date):
        first = to_utc(value, tz)
    else:
        return []
    repeat = _repeat(alarm)
    if repeat is None:
        return [first]
    count, interval = repeat
    return [first + interval * k for k in range(count + 1)]


def _repeat(alarm: Component) -> tuple[int, timedelta] | None:
    """(REPEAT, DURATION) of a repeating alarm, None if it does not repeat."""
    interval = getattr(alarm.get("DURATION"), "dt", None)
    try:
        count = int(alarm.get("REPEAT") or 0)
    except (TypeError, ValueError):
        return None
    if count <= 0 or not isinstance(interval, timedelta) or interval <= timedelta(0):
        return None
    return min(count, 1000), interval


def _alarm_offsets(components: list[Component]) -> list[timedelta] | None:
    """Offsets from their base of every trigger of every alarm; None if one is absolute."""
    offsets = []
    for component in components:
        for alarm in _named(component, "VALARM"):
            value = getattr(alarm.get("TRIGGER"), "dt", None)
            if isinstance(value, date):
                return None
            if isinstance(value, timedelta):
                repeat = _repeat(alarm)
                offsets += [value, value + repeat[1] * repeat[0]] if repeat else [value]
    return offsets


def _window(cf: CompFilter, children: list[Component], tz: tzinfo):
    """The span in which instances of ``children`` can satisfy ``cf``'s time-ranges."""
    if cf.time_range is not None:
        return cf.time_range.start, cf.time_range.end
    ranges = [sub.time_range for sub in cf.comp_filters
              if sub.name == "VALARM" and sub.time_range is not None]
    if not ranges or any(sub.name != "VALARM" and sub.has_time_range() for sub in cf.comp_filters):
        return None, None
    offsets = _alarm_offsets(children)
    if offsets is None:
        return None, None
    starts = [r.start for r in ranges]
    ends = [r.end for r in ranges]
    start = None if None in starts else min(starts)
    end = None if None in ends else max(ends)
    latest, earliest = max(offsets, default=timedelta(0)), min(offsets, default=timedelta(0))
    if start is not None:
        start -= max(latest, timedelta(0))
    if end is not None:
        end += max(-earliest, timedelta(0))
    return start, end


def _freebusy_in(component: Component, tr: TimeRange, tz: tzinfo) -> bool:
    start = getattr(component.get("DTSTART"), "dt", None)
    end = getattr(component.get("DTEND"), "dt", None)
    if isinstance(start, date) and isinstance(end, date):
        s, e = to_utc(start, tz), to_utc(end, tz)
        return (tr.start is None or tr.start <= e) and (tr.end is None or tr.end > s)
    return any(_period_in(period, tr, tz) for period in _properties(component, "FREEBUSY"))


def _period_in(period, tr: TimeRange, tz: tzinfo) -> bool:
    value = getattr(period, "dt", None)
    if not isinstance(value, tuple) or len(value) != 2:
        return False
    start, end = value
    start_utc = to_utc(start, tz)
    end_utc = start_utc + end if isinstance(end, timedelta) else to_utc(end, tz)
    return _span_in(start_utc, end_utc, tr)


def _properties(component: Component, name: str) -> list:
    value = component.get(name)
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _matches_prop_filter(pf: PropFilter, component: Component, tz: tzinfo) -> bool:
    values = _properties(component, pf.name)
    if pf.is_not_defined:
        return not values
    return any(_matches_property(pf, value, tz) for value in values)


def _matches_property(pf: PropFilter, value, tz: tzinfo) -> bool:
    tests = []
    if pf.time_range is not None:
        tests.append(lambda: _property_in(value, pf.time_range, tz))
    if pf.text_match is not None:
        tests.append(lambda: pf.text_match.matches_any(_texts(value)))
    tests += [lambda p=p: _matches_param_filter(p, value) for p in pf.param_filters]
    return _combine(tests, pf.anyof)


def _matches_param_filter(pf: ParamFilter, value) -> bool:
    params = getattr(value, "params", None) or {}
    param = params.get(pf.name)
    if pf.is_not_defined:
        return param is None
    if param is None:
        return False
    if pf.text_match is None:
        return True
    values = param if isinstance(param, (list, tuple)) else [param]
    return pf.text_match.matches_any(str(v) for v in values)


def _texts(value) -> list[str]:
    """The text(s) a text-match compares: each CATEGORIES/RESOURCES value, else the value."""
    if hasattr(value, "cats"):
        return [str(c) for c in value.cats]
    if isinstance(value, str):
        return [str(value)]
    try:
        return [value.to_ical().decode("utf-8", "replace")]
    except (AttributeError, TypeError, ValueError):
        return [str(value)]


def _property_in(value, tr: TimeRange, tz: tzinfo) -> bool:
    """A DATE-TIME property overlaps if start <= value < end; a DATE covers its day."""
    if isinstance(value, vDDDLists):
        return any(_property_in(v, tr, tz) for v in value.dts)
    moment = getattr(value, "dt", None)
    if isinstance(moment, tuple):
        return _period_in(value, tr, tz)
    if isinstance(moment, datetime):
        return _point_in(to_utc(moment, tz), tr)
    if isinstance(moment, date):
        return _span_in(to_utc(moment, tz), to_utc(moment + timedelta(days=1), tz), tr)
    return False


# -- quick-table prefilter -----------------------------------------------------

def _main_component_filter(query: Filter) -> CompFilter | None:
    """The single VEVENT/VTODO comp-filter every match must satisfy, if there is one."""
    root = query.root
    if root.is_not_defined or root.anyof and len(root.comp_filters) + len(root.prop_filters) > 1:
        return None
    mains = [c for c in root.comp_filters if c.name != "VTIMEZONE"]
    if len(mains) != 1 or mains[0].is_not_defined or mains[0].name not in ("VEVENT", "VTODO"):
        return None
    return mains[0]


def quick_prefilter(query: Filter) -> dict | None:
    """Which quick-table rows can match ``query``; None means every row.

    Returns ``{"component": "vevent" | "vtodo", "start": int | None, "end": int | None}``
    (epoch seconds, already widened by :data:`PREFILTER_MARGIN`; None is an open
    side). The contract is conservative — selecting too many rows is fine,
    too few is not — provided the caller keeps a row when:

    * ``c_component`` equals ``component`` (SOGo stores one main component
      type per object), and
    * ``c_iscycle = 1`` (the series' instances and overrides are checked by
      :meth:`Filter.matches`; optionally narrow with ``c_cycleenddate IS NULL
      OR c_cycleenddate >= start``, where an infinite series has INT_MAX), or
    * ``end`` is None or ``c_startdate IS NULL OR c_startdate < end``, and
      ``start`` is None or ``c_enddate IS NULL OR c_enddate > start`` (tasks:
      ``c_enddate`` is DUE, NULL without DUE; keeping every ``vtodo`` row is
      also fine).

    Rows are candidates only: every one must still pass :meth:`Filter.matches`.
    """
    main = _main_component_filter(query)
    if main is None:
        return None
    result = {"component": main.name.lower(), "start": None, "end": None}
    if main.time_range is not None:
        if main.time_range.start is not None:
            result["start"] = int((main.time_range.start - PREFILTER_MARGIN).timestamp())
        if main.time_range.end is not None:
            result["end"] = int((main.time_range.end + PREFILTER_MARGIN).timestamp())
    return result
