"""Deciding a plain time-range calendar-query from the quick row alone.

Most calendar-queries are "the VEVENTs of this month": a VEVENT comp-filter
with a time-range and nothing else. For a single, non-recurring event with a
zoned (UTC or TZID) start and a later end, the quick row's c_startdate and
c_enddate are exactly its DTSTART and DTEND, so RFC 4791's overlap test
(start < DTEND and end > DTSTART) needs no parsing. Anything else — series,
overrides, all-day or floating times, zero-length events, several components —
is left to the full filter (:meth:`Filter.matches`).
"""

from __future__ import annotations

import re

from .filters import Filter, TimeRange

# A DTSTART/DTEND that is UTC ("...Z") or carries a TZID; floating and DATE values are not.
_ZONED = re.compile(r"^(DTSTART|DTEND)(;[^:\r\n]*TZID=[^:\r\n]*:|:)\d{8}T\d{6}(Z?)\r?$", re.M | re.I)
_ANY_TIME = re.compile(r"^(DTSTART|DTEND)[;:]", re.M | re.I)
_END = re.compile(r"^(DTEND|DURATION)[;:]", re.M | re.I)


def plain_time_range(query: Filter) -> TimeRange | None:
    """The time-range of a query that is VCALENDAR > VEVENT > time-range and nothing else."""
    root = query.root
    if root.is_not_defined or root.prop_filters or root.time_range or len(root.comp_filters) != 1:
        return None
    event = root.comp_filters[0]
    if event.name != "VEVENT" or event.is_not_defined or event.prop_filters or event.comp_filters:
        return None
    return event.time_range


def decide(time_range: TimeRange, quick, content: str) -> bool | None:
    """Whether the object matches, or None when only parsing can tell."""
    start, end = quick.c_startdate, quick.c_enddate
    if quick.c_iscycle or quick.c_isallday or start is None or end is None or end <= start:
        return None
    if content.count("BEGIN:VEVENT") != 1 or "RECURRENCE-ID" in content or "BEGIN:VTODO" in content:
        return None
    begin, finish = content.find("BEGIN:VEVENT"), content.find("END:VEVENT")
    event = content[begin:finish] if 0 <= begin < finish else ""
    if not _END.search(event):              # no end: zero length (RFC 4791), the quick row says otherwise
        return None
    stamps = _ZONED.findall(event)          # the VEVENT's own, not its VTIMEZONE's
    if len(stamps) != len(_ANY_TIME.findall(event)) or not any(s[0].upper() == "DTSTART" for s in stamps):
        return None
    for name, params, utc in stamps:
        if not utc and "TZID=" not in params.upper():
            return None
    if time_range.end is not None and not start < time_range.end.timestamp():
        return False
    if time_range.start is not None and not end > time_range.start.timestamp():
        return False
    return True
