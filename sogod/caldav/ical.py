"""iCalendar parsing and validation, and SOGo-compatible value accessors.

``parse_calendar`` is the gate for every calendar object a client sends: it
returns an ``icalendar.Calendar`` or raises ``InvalidCalendar`` with a message
fit for a 400 response. It accepts what real clients send (folded lines, CRLF
or LF, floating times, all-day DATE values, VTIMEZONEs whose TZID is not an
Olson name, X- properties and components) and refuses what SOGo could not
store: no VCALENDAR, mixed or missing main components, a missing or
inconsistent UID, broken content lines or dates.

The accessors below read values the way SOGo's NGCards does (SOGo 5.8,
``SOPE/NGCards``): the first property of a name wins, a missing text property
reads as ``""``, integers parse like C ``atoi``. Instants are epoch seconds:

* a DATE is midnight UTC (SOGo's all-day convention);
* a DATE-TIME in UTC, or with a TZID that names an Olson zone or a VTIMEZONE
  of the calendar, is the real instant;
* a floating DATE-TIME is read in the caller's default time zone (the user's
  SOGoTimeZone, as SOGo does when a DAV client stores a floating event);
* a DATE-TIME whose TZID is neither known nor defined in the calendar is read
  as UTC, as SOGo does.

It also holds the versit text helpers shared with ``sogod.carddav``
(``card_parts``, ``card_fields``, ``decode_text``) and the recurrence helpers
(dateutil rules in the wall time of the event's zone) the quick rows use.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rruleset, rrulestr
from icalendar import Calendar
from icalendar.prop import vBroken

MAIN_COMPONENTS = ("VEVENT", "VTODO", "VJOURNAL")
INT_MAX = 2147483647
INT_MIN = -2147483648
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

# Properties whose value must parse as a date, date-time, list or period.
_DATE_PROPERTIES = ("DTSTART", "DTEND", "DUE", "RECURRENCE-ID", "DTSTAMP", "CREATED",
                    "LAST-MODIFIED", "COMPLETED", "EXDATE", "RDATE")
_OTHER_TYPED = ("RRULE", "EXRULE", "DURATION")
_ALLOWED_TOP = set(MAIN_COMPONENTS) | {"VTIMEZONE"}


class InvalidCalendar(ValueError):
    """The data is not an iCalendar object SOGo would store."""


# --------------------------------------------------------------------------- parsing

def decode_text(data, error: type[ValueError] = None, what: str = "calendar data") -> str:
    """Bytes or text → text: UTF-8, BOM dropped; NUL bytes refused (``error``)."""
    error = error or InvalidCalendar
    if isinstance(data, (bytes, bytearray, memoryview)):
        try:
            data = bytes(data).decode("utf-8")
        except UnicodeDecodeError:
            raise error(f"{what} is not UTF-8 text") from None
    if not isinstance(data, str):
        raise error(f"{what} must be text")
    data = data.lstrip("\ufeff")
    if "\x00" in data:
        raise error(f"{what} contains NUL bytes")
    return data


_CARD_ESCAPES = {"n": "\n", "N": "\n", "r": "\r", "R": "\r", "t": "\t", "T": "\t", "b": "\b", "B": "\b"}


def card_parts(raw: str) -> list[str]:
    """A versit value split on unescaped commas, unescaped (NGCards -asCardAttributeValues).

    A value in double quotes is taken as is, quotes removed."""
    if len(raw) > 1 and raw.startswith('"') and raw.endswith('"'):
        return [raw[1:-1]]
    out, buf, escaped = [], [], False
    for ch in raw:
        if escaped:
            buf.append(_CARD_ESCAPES.get(ch, ch))
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == ",":
            out.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
    out.append("".join(buf))
    return out


def card_fields(raw: str, named: bool = False) -> list[tuple[str, list[str]]]:
    """A structured versit value (N, ADR, ORG, RRULE) as NGCards -vCardSubvalues
    reads it: ``;``-separated fields of ``,``-separated parts, empty parts dropped.

    With ``named``, ``KEY=`` prefixes (shorter than 16 characters) name the
    fields, keys lower-cased: ``FREQ=DAILY;COUNT=2`` → [("freq", ["DAILY"]),
    ("count", ["2"])]; without, every key is ``""`` (SOGo also names vCard
    fields that contain ``=``, which loses their text: not followed here)."""
    out: list[tuple[str, list[str]]] = []
    key, sub, buf, escaped = "", [], [], False
    for ch in raw + "\0":
        if escaped:
            buf.append({"n": "\n", "N": "\n", "r": "\r", "R": "\r"}.get(ch, ch))
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch in ",;\0":
            if buf:
                sub.append("".join(buf))
            buf = []
            if ch != ",":
                out.append((key, sub))
                key, sub = "", []
        elif named and ch == "=" and len(buf) < 16:
            key, buf = "".join(buf).lower(), []
        else:
            buf.append(ch)
    return out


def _check_errors(cal: Calendar) -> None:
    """Refuse broken content lines and unreadable dates, rules or triggers.

    A value of another type that does not parse (``PRIORITY:9;X=1``) is kept:
    SOGo reads such values leniently and so do the accessors below."""
    strict = set(_DATE_PROPERTIES + _OTHER_TYPED) | {"TRIGGER", "UID"}
    for component in cal.walk():
        for prop, message in getattr(component, "errors", ()):
            if prop and prop.upper() not in strict:
                continue
            where = f"{component.name}.{prop}" if prop else component.name
            raise InvalidCalendar(f"invalid content line in {where}: {message}")


def _check_values(component) -> None:
    for name in _DATE_PROPERTIES + _OTHER_TYPED:
        for prop in props(component, name):
            if isinstance(prop, vBroken):
                raise InvalidCalendar(f"invalid {name} value in {component.name}: {str(prop)[:80]!r}")
            try:
                if hasattr(prop, "dts"):
                    [d.dt for d in prop.dts]
                elif hasattr(prop, "dt"):
                    prop.dt
                elif name in ("RRULE", "EXRULE"):
                    _check_recur(prop)
            except Exception as exc:  # icalendar raises several kinds here
                raise InvalidCalendar(f"invalid {name} value in {component.name}: {exc}") from None
    for alarm in component.walk("VALARM"):
        for prop in props(alarm, "TRIGGER"):
            try:
                prop.dt
            except Exception as exc:
                raise InvalidCalendar(f"invalid TRIGGER value in VALARM: {exc}") from None


def _check_recur(recur) -> None:
    recur.to_ical()
    if not recur.get("FREQ"):
        raise ValueError("no FREQ")
    for until in recur.get("UNTIL", []):
        if not isinstance(until, date):
            raise ValueError(f"bad UNTIL {until!r}")
    for key in ("COUNT", "INTERVAL"):
        for value in recur.get(key, []):
            if not isinstance(value, int):
                raise ValueError(f"bad {key} {value!r}")


def parse_calendar(data: bytes | str) -> Calendar:
    """Parse and validate one calendar object resource (RFC 4791 §4.1)."""
    text = decode_text(data)
    if not re.match(r"\s*BEGIN:VCALENDAR\s*\r?\n", text, re.IGNORECASE):
        raise InvalidCalendar("not an iCalendar object (expected BEGIN:VCALENDAR)")
    try:
        cal = Calendar.from_ical(text)
    except InvalidCalendar:
        raise
    except Exception as exc:  # ValueError, KeyError, IndexError... from the parser
        raise InvalidCalendar(f"cannot parse iCalendar data: {str(exc)[:200]}") from None
    if not isinstance(cal, Calendar) or cal.name != "VCALENDAR":
        raise InvalidCalendar("not an iCalendar object (expected VCALENDAR)")
    _check_errors(cal)
    kinds = set()
    mains = []
    for component in cal.subcomponents:
        name = component.name
        if name in MAIN_COMPONENTS:
            kinds.add(name)
            mains.append(component)
        elif name not in _ALLOWED_TOP and not name.startswith("X-"):
            raise InvalidCalendar(f"unsupported component {name} in a calendar object")
    if not mains:
        raise InvalidCalendar("the calendar contains no VEVENT, VTODO or VJOURNAL")
    if len(kinds) > 1:
        raise InvalidCalendar("a calendar object must hold one kind of component, not "
                              + " and ".join(sorted(kinds)))
    uids = {text_value(c, "UID") for c in mains}
    if "" in uids:
        raise InvalidCalendar(f"{mains[0].name} without UID")
    if len(uids) > 1:
        raise InvalidCalendar("all components of a calendar object must share one UID")
    masters = [c for c in mains if c.get("RECURRENCE-ID") is None]
    if len(masters) > 1:
        raise InvalidCalendar("more than one component without RECURRENCE-ID for one UID")
    for component in mains:
        _check_values(component)
    return cal


def parse_timezone(data: bytes | str):
    """Parse a calendar-timezone property value: a VCALENDAR with exactly one VTIMEZONE."""
    text = decode_text(data)
    try:
        cal = Calendar.from_ical(text)
    except Exception as exc:
        raise InvalidCalendar(f"cannot parse iCalendar data: {str(exc)[:200]}") from None
    if not isinstance(cal, Calendar) or cal.name != "VCALENDAR":
        raise InvalidCalendar("not an iCalendar object (expected VCALENDAR)")
    _check_errors(cal)
    zones = [c for c in cal.subcomponents if c.name == "VTIMEZONE"]
    if len(zones) != 1 or len(cal.subcomponents) != 1:
        raise InvalidCalendar("expected exactly one VTIMEZONE")
    if not text_value(zones[0], "TZID"):
        raise InvalidCalendar("VTIMEZONE without TZID")
    return zones[0]


def main_components(cal: Calendar) -> list:
    """The VEVENT/VTODO/VJOURNAL components, in document order."""
    return [c for c in cal.subcomponents if c.name in MAIN_COMPONENTS]


def main_component(cal: Calendar):
    """The master component (the one without RECURRENCE-ID), else the first one."""
    mains = main_components(cal)
    if not mains:
        raise InvalidCalendar("the calendar contains no VEVENT, VTODO or VJOURNAL")
    for component in mains:
        if component.get("RECURRENCE-ID") is None:
            return component
    return mains[0]


def uid_of(cal: Calendar) -> str:
    return text_value(main_component(cal), "UID")


# --------------------------------------------------------------------------- accessors

def props(component, name: str) -> list:
    value = component.get(name)
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def differ(before, after, names) -> bool:
    """Whether any property of ``names`` differs between two components (values and parameters)."""
    return any([before.content_line(name, p) for p in props(before, name)]
               != [after.content_line(name, p) for p in props(after, name)] for name in names)


def first(component, name: str):
    values = props(component, name)
    return values[0] if values else None


def text_value(component, name: str) -> str:
    """The first ``name`` property as unescaped text, ``""`` when absent."""
    prop = first(component, name)
    if prop is None:
        return ""
    if isinstance(prop, vBroken):
        return str(prop)
    if hasattr(prop, "cats"):
        return ",".join(str(c) for c in prop.cats)
    if isinstance(prop, str):
        return str(prop)
    try:
        return prop.to_ical().decode("utf-8", "replace")
    except Exception:
        return str(prop)


def int_value(text: str) -> int:
    """C ``atoi``/``-[NSString intValue]``: leading blanks, sign, digits; clamped."""
    m = re.match(r"\s*([+-]?\d+)", text or "")
    if not m:
        return 0
    return max(INT_MIN, min(INT_MAX, int(m.group(1))))


def param(prop, name: str) -> str:
    """First value of a parameter, ``""`` when absent (NGCards ``value: 0 ofAttribute:``)."""
    params = getattr(prop, "params", None) or {}
    value = params.get(name)
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return str(value[0]) if value else ""
    return str(value)


def rfc822_email(address: str) -> str:
    """``mailto:a@b`` → ``a@b``: everything after the first colon (iCalPerson -rfc822Email)."""
    idx = address.find(":")
    if idx >= 0 and len(address) > idx + 1:
        return address[idx + 1:]
    return address


# --------------------------------------------------------------------------- time

def zone(name: str | None):
    """A tzinfo for an Olson name, or None."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def epoch(dt: datetime) -> int:
    return int((dt - _EPOCH).total_seconds()) if dt.tzinfo else int((dt.replace(tzinfo=timezone.utc) - _EPOCH).total_seconds())


class Moment:
    """One DATE or DATE-TIME value with the zone SOGo would read it in.

    ``wall`` is the naive wall-clock time, ``tz`` the zone to read it in
    (``None`` for UTC), ``is_date`` whether it was a DATE, ``floating``
    whether it had neither TZID nor ``Z``.
    """

    __slots__ = ("wall", "tz", "is_date", "floating")

    def __init__(self, wall: datetime, tz, is_date: bool, floating: bool):
        self.wall, self.tz, self.is_date, self.floating = wall, tz, is_date, floating

    @property
    def utc(self) -> datetime:
        if self.tz is None:
            return self.wall.replace(tzinfo=timezone.utc)
        return self.wall.replace(tzinfo=self.tz).astimezone(timezone.utc)

    @property
    def epoch(self) -> int:
        return epoch(self.utc)

    @property
    def sogo_utc(self) -> datetime:
        """The instant NGCards computes, ignoring the default zone for floating values."""
        if self.floating:
            return self.wall.replace(tzinfo=timezone.utc)
        return self.utc


def moment(value, params=None, default_tz=None) -> Moment | None:
    """Interpret a parsed icalendar date value (``date``/``datetime``/period tuple)."""
    if isinstance(value, tuple):  # PERIOD: (start, end or duration)
        value = value[0]
    if isinstance(value, datetime) and params and str(params.get("VALUE", "")).upper() == "DATE":
        value = value.date()  # DATE with a TZID: icalendar makes it local midnight
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            offset = value.utcoffset()
            if offset == timedelta(0) and not (params and params.get("TZID")):
                return Moment(value.replace(tzinfo=None) - offset, None, False, False)
            return Moment(value.replace(tzinfo=None), value.tzinfo, False, False)
        if params and params.get("TZID"):
            return Moment(value, None, False, False)  # unknown TZID: UTC, as SOGo
        return Moment(value, default_tz, False, True)
    if isinstance(value, date):
        return Moment(datetime(value.year, value.month, value.day), None, True, False)
    return None


def prop_moment(component, name: str, default_tz=None) -> Moment | None:
    prop = first(component, name)
    if prop is None or isinstance(prop, vBroken) or not hasattr(prop, "dt"):
        return None
    try:
        return moment(prop.dt, getattr(prop, "params", None), default_tz)
    except Exception:
        return None


def list_moments(component, name: str, default_tz=None) -> list[Moment]:
    """Every value of every EXDATE/RDATE property, in order."""
    out = []
    for prop in props(component, name):
        if isinstance(prop, vBroken):
            continue
        for item in getattr(prop, "dts", [prop]):
            try:
                value = item.dt
            except Exception:
                continue
            params = getattr(item, "params", None) or getattr(prop, "params", None)
            m = moment(value, params, default_tz)
            if m is not None:
                out.append(m)
    return out


def duration_value(component, name: str = "DURATION") -> timedelta | None:
    prop = first(component, name)
    if prop is None:
        return None
    try:
        value = prop.dt
    except Exception:
        return None
    return value if isinstance(value, timedelta) else None


# --------------------------------------------------------------------------- recurrence

MAX_INSTANCES = 50_000  # iteration bound for COUNT rules and alarm look-ups


def _wall_in(m: Moment, tz) -> datetime:
    """``m`` as a naive wall-clock time in ``tz`` (None = UTC)."""
    if m.floating or m.is_date:
        return m.wall
    utc = m.utc
    return (utc.astimezone(tz) if tz is not None else utc).replace(tzinfo=None)


def build_rrule(recur, start: Moment, tz, *, keep_until: bool = True):
    """A dateutil rule for one RRULE/EXRULE value, in the wall time of ``tz``.

    Returns None when dateutil refuses the rule."""
    parts = [p for p in recur.to_ical().decode("ascii", "replace").split(";") if p]
    until = None
    kept = []
    for part in parts:
        key = part.split("=", 1)[0].upper()
        if key == "UNTIL":
            values = recur.get("UNTIL") or []
            if values and keep_until:
                until = moment(values[0], None, None)
            continue
        kept.append(part)
    try:
        rule = rrulestr(";".join(kept), dtstart=start.wall)
        if until is not None:
            rule = rule.replace(until=_wall_in(until, tz))
    except Exception:
        return None
    return rule


def last_instance(recur, start: Moment, tz) -> datetime | None:
    """Wall time of the last instance of a COUNT-bounded rule (UNTIL ignored)."""
    rule = build_rrule(recur, start, tz, keep_until=False)
    if rule is None:
        return None
    last = None
    for n, last in enumerate(rule):
        if n >= MAX_INSTANCES:
            return None
    return last


def to_epoch(wall: datetime, tz) -> int:
    return epoch(wall.replace(tzinfo=tz) if tz is not None else wall.replace(tzinfo=timezone.utc))


def instances(component, start: Moment, tz, lo: int, hi: int, duration: int):
    """Start epochs of the instances (RRULE, RDATE, DTSTART; minus EXRULE, EXDATE)
    whose span [start, start+duration] meets [lo, hi]."""
    rset = rruleset()
    for recur in props(component, "RRULE"):
        rule = build_rrule(recur, start, tz)
        if rule is None:
            return []
        rset.rrule(rule)
    for recur in props(component, "EXRULE"):
        rule = build_rrule(recur, start, tz)
        if rule is not None:
            rset.exrule(rule)
    rset.rdate(start.wall)
    for m in list_moments(component, "RDATE", tz):
        rset.rdate(_wall_in(m, tz))
    for m in list_moments(component, "EXDATE", tz):
        rset.exdate(_wall_in(m, tz))
    out = []
    try:
        for n, wall in enumerate(rset):
            if n >= MAX_INSTANCES:
                break
            begin = to_epoch(wall, tz)
            if begin > hi:
                break
            if begin + duration > lo or (duration == 0 and begin == lo):
                out.append(begin)
    except Exception:
        return out
    return out
