"""SOGoDAVCalendarStartTimeLimit (days, D level): how wide a window a DAV client's
calendar-query may cover, as SOGo narrows it (SOGoAppointmentFolder
-_enforceTimeLimitOnFilter:): a wider range is cut to ``limit`` days around now
(half on each side, where the range reaches that far), or the last/first
``limit`` days of a range wholly in the past/future; a query without a range
gets ``limit`` days around now. Super users are not limited.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

from .filters import CompFilter, Filter, TimeRange

DAY = timedelta(days=1)


def limited(query: Filter, days: int, now: datetime | None = None) -> Filter:
    """``query`` with every VEVENT/VTODO comp-filter's range narrowed to ``days``."""
    if days <= 0:
        return query
    now = now or datetime.now(timezone.utc)
    children = tuple(_narrow(cf, days, now) if cf.name in ("VEVENT", "VTODO") and not cf.is_not_defined else cf
                     for cf in query.root.comp_filters)
    return Filter(dataclasses.replace(query.root, comp_filters=children))


def _narrow(cf: CompFilter, days: int, now: datetime) -> CompFilter:
    limit, half = days * DAY, days * DAY / 2
    if cf.time_range is None:
        return dataclasses.replace(cf, time_range=TimeRange(now - half, now + half))
    start, end = cf.time_range.start, cf.time_range.end
    if start is not None and end is not None and end - start <= limit:
        return cf
    lo, hi = start or datetime.min.replace(tzinfo=timezone.utc), end or datetime.max.replace(tzinfo=timezone.utc)
    if lo < now < hi:
        lo, hi = max(lo, now - half), min(hi, now + half)
    elif hi <= now:
        lo = hi - limit
    else:
        hi = lo + limit
    return dataclasses.replace(cf, time_range=TimeRange(lo, hi))
