"""Quick rows of calendar objects, as SOGo 5.8 computes them.

``appointment_quick_row`` returns every column of the appointment quick table
but ``c_name`` (which the caller sets); ``alarm_rows`` the ``sogo_alarms_folder``
rows of the object's e-mail alarm (without ``c_path``/``c_name``). Both are pure:
everything SOGo takes from its context (the owner's addresses, the user's time
zone and default classifications, the clock) is a parameter.

The logic follows SOGo's ``iCalEvent+SOGo.m``, ``iCalToDo+SOGo.m``,
``iCalRepeatableEntityObject+SOGo.m`` and ``iCalEntityObject+SOGo.m``
(``-quickRecordFromContent:…``, ``-updateNextAlarmDateInRow:…``), applied to the
calendar as SOGo's DAV PUT adjusts it before storing
(``-[iCalEvent adjustInContext:withTimezones:]`` and friends in
``SOGoAppointmentObject.m``): floating times in the user's zone, a missing end
as one hour (one day when all-day), swapped start/end, broken all-day events,
COUNT winning over UNTIL, missing PARTSTAT as NEEDS-ACTION, missing CLASS as the
user's default, the organizer's own attendee entry dropped.

Where SOGo's own row would lose data, this module does better (see the
``sogo_deviations`` notes in ``tests/fixtures/ical/*.json``): the cycle end of a
series with an infinite rule and RDATEs or several rules, COUNT series across a
DST change, floating UNTIL values, the master chosen when overrides come first.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Callable, Iterable, Sequence

from icalendar import Calendar

from .ical import (
    INT_MAX, INT_MIN, Moment, props, card_fields, card_parts, duration_value, first, instances, int_value, last_instance, list_moments,
    main_component, main_components, moment, param, prop_moment, rfc822_email, text_value, to_epoch, zone,
)

APPOINTMENT_COLUMNS = (
    "c_uid", "c_startdate", "c_enddate", "c_cycleenddate", "c_title", "c_participants",
    "c_isallday", "c_iscycle", "c_cycleinfo", "c_classification", "c_isopaque", "c_status",
    "c_priority", "c_location", "c_orgmail", "c_partmails", "c_partstates", "c_category",
    "c_sequence", "c_component", "c_nextalarm", "c_description",
)

# VARCHAR widths of the quick table: SOGo truncates some, the database refuses longer values.
_WIDTHS = {"c_uid": 255, "c_title": 1000, "c_location": 255, "c_orgmail": 255, "c_category": 255}

CLASSIFICATIONS = {"PRIVATE": 1, "CONFIDENTIAL": 2}
PARTSTATS = {"NEEDS-ACTION": 0, "ACCEPTED": 1, "DECLINED": 2, "TENTATIVE": 3, "DELEGATED": 4,
             "COMPLETED": 5, "IN-PROCESS": 6}
TASK_STATUS = {"COMPLETED": 1, "IN-PROCESS": 2, "CANCELLED": 3, "NEEDS-ACTION": 4}
RULE_KEY_ORDER = ("freq", "interval", "count", "until", "bymonth", "byweekno", "byyearday",
                  "bymonthday", "byday", "byhour", "byminute", "bysecond", "bysetpos")
ALARM_WINDOW = 2 * 365 * 86400 + 86400  # SOGo looks two calendar years ahead


# --------------------------------------------------------------------------- context

class _Context:
    """What SOGo takes from the request context, made explicit."""

    def __init__(self, owner_emails, default_tz, now, organizer_emails, events_classification,
                 tasks_classification, email_alarms, day_start_hour):
        self.owner_emails = [e for e in owner_emails if e]
        self.tz = zone(default_tz) if isinstance(default_tz, str) else default_tz
        if self.tz is None:
            self.tz = timezone.utc
        if now is None:
            now = datetime.now(timezone.utc)
        self.now = int(now.timestamp()) if isinstance(now, datetime) else int(now)
        self.organizer_emails = organizer_emails or self._owner_lookup
        self.events_classification = events_classification
        self.tasks_classification = tasks_classification
        self.email_alarms = email_alarms
        self.day_start_hour = day_start_hour

    def _owner_lookup(self, email: str) -> Sequence[str]:
        lowered = {e.lower() for e in self.owner_emails}
        return self.owner_emails if email.lower() in lowered else ()

    def is_owner(self, email: str) -> bool:
        return email.lower() in {e.lower() for e in self.owner_emails}


# --------------------------------------------------------------------------- dates

class _Span:
    """Start and end of one event or task, after SOGo's PUT adjustments."""

    def __init__(self, start: Moment | None, end: Moment | None, all_day: bool):
        self.start, self.end, self.all_day = start, end, all_day

    @property
    def start_epoch(self) -> int | None:
        return self.start.epoch if self.start else None

    @property
    def end_epoch(self) -> int | None:
        return self.end.epoch if self.end else None

    @property
    def duration(self) -> int:
        if self.start is None or self.end is None:
            return 0
        return self.end_epoch - self.start_epoch


def _shift(m: Moment, seconds: float) -> Moment:
    """``m`` moved by elapsed seconds (SOGo adds NSTimeIntervals, not nominal days)."""
    if m.tz is None or m.is_date:
        return Moment(m.wall + timedelta(seconds=seconds), m.tz, m.is_date, m.floating)
    utc = m.utc + timedelta(seconds=seconds)
    return Moment(utc.astimezone(m.tz).replace(tzinfo=None), m.tz, False, m.floating)


def _event_span(event, ctx: _Context) -> _Span:
    start = prop_moment(event, "DTSTART", ctx.tz)
    end = prop_moment(event, "DTEND", ctx.tz)
    duration = duration_value(event)
    if start is None:
        if end is not None:
            start = _shift(end, -3600)
        else:
            day = datetime.fromtimestamp(ctx.now, ctx.tz).replace(
                hour=ctx.day_start_hour, minute=0, second=0, microsecond=0, tzinfo=None)
            start = Moment(day, ctx.tz, False, False)
    if end is not None and start.epoch > end.epoch:
        start, end = end, start
    all_day = start.is_date
    if end is None:
        seconds = duration.total_seconds() if duration is not None else (86400 if all_day else 3600)
        end = _shift(start, seconds)
    if all_day and end.epoch == start.epoch:
        end = _shift(start, 86400)
    return _Span(start, end, all_day)


def _task_span(todo, ctx: _Context) -> _Span:
    return _Span(prop_moment(todo, "DTSTART", ctx.tz), prop_moment(todo, "DUE", ctx.tz), False)


def _span(component, ctx: _Context) -> _Span:
    if component.name == "VEVENT":
        return _event_span(component, ctx)
    if component.name == "VTODO":
        return _task_span(component, ctx)
    start = prop_moment(component, "DTSTART", ctx.tz)
    return _Span(start, start, bool(start and start.is_date))


# --------------------------------------------------------------------------- people

def _people(component, ctx: _Context) -> tuple[str, list]:
    """(c_orgmail, attendees) after SOGo's PUT adjustment of events: when the
    organizer is a local user, the address becomes their primary one and their
    own attendee entries go (-[SOGoAppointmentObject _adjustEventsInRequestCalendar:])."""
    attendees = props(component, "ATTENDEE")
    organizer = first(component, "ORGANIZER")
    mail = rfc822_email(str(organizer)) if organizer is not None else ""
    if component.name == "VEVENT" and mail:
        identity = list(ctx.organizer_emails(mail))
        if identity:
            own = {e.lower() for e in identity}
            attendees = [a for a in attendees if rfc822_email(str(a)).lower() not in own]
            mail = identity[0]
    return mail, attendees


def _partstat(attendee, component) -> int:
    stat = param(attendee, "PARTSTAT").upper()
    if not stat:
        # SOGo's DAV PUT sets PARTSTAT=NEEDS-ACTION on event attendees only.
        return 0 if component.name == "VEVENT" else -1
    if stat in PARTSTATS:
        return PARTSTATS[stat]
    return 7 if stat.startswith("X-") else 8


# --------------------------------------------------------------------------- cycle info

def _plist_string(value: str) -> str:
    """GNUstep's OpenStep-format string (NSPropertyList.m PString)."""
    if value and value[0] != "/" and all(c.isascii() and c.isalnum() for c in value):
        return value
    out = ['"']
    for unit in _utf16_units(value):
        c = chr(unit) if unit < 0xD800 or unit > 0xDFFF else None
        if c in ("\t", "\r", "\n"):
            out.append(c)
        elif c in ("\a", "\b", "\v", "\f"):
            out.append({"\a": "\\a", "\b": "\\b", "\v": "\\v", "\f": "\\f"}[c])
        elif c == "\\":
            out.append("\\\\")
        elif c == '"':
            out.append('\\"')
        elif unit < 128:
            out.append(c if 32 <= unit < 127 else "\\%03o" % unit)
        else:
            out.append("\\U%04X" % unit)
    out.append('"')
    return "".join(out)


def _utf16_units(value: str) -> Iterable[int]:
    data = value.encode("utf-16-le", "surrogatepass")
    for i in range(0, len(data), 2):
        yield data[i] | (data[i + 1] << 8)


def plist_description(obj) -> str:
    """``-[NSDictionary description]`` of strings, arrays and dictionaries."""
    if isinstance(obj, dict):
        return "{" + "".join(f"{_plist_string(k)} = {plist_description(obj[k])}; "
                             for k in sorted(obj)) + "}"
    if isinstance(obj, (list, tuple)):
        return "(" + ", ".join(plist_description(v) for v in obj) + ")"
    return _plist_string(str(obj))


def _escape_card(value: str) -> str:
    """NGCards ``-escapedForCardsAsAttributes: NO``."""
    return (value.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")
            .replace("\n", "\\n").replace("\r", "\\r"))


def _rule_values(text: str) -> list[tuple[str, list[str]]]:
    """The fields of an RRULE value by key, in first-seen order."""
    values: dict[str, list[str]] = {}
    for key, parts in card_fields(text, named=True):
        values.setdefault(key, []).extend(parts)
    return list(values.items())


def _render_rule(text: str, drop_until: bool = False) -> str:
    pairs = _rule_values(text)
    if drop_until:
        pairs = [(k, v) for k, v in pairs if k != "until"]
    order = {k: i for i, k in enumerate(RULE_KEY_ORDER)}
    ranked = sorted(enumerate(pairs), key=lambda p: (order.get(p[1][0], len(order)), p[0]))
    parts = []
    for _, (key, subvalues) in ranked:
        rendered = ",".join(_escape_card(v) for v in subvalues if v)
        if rendered:
            parts.append(f"{key.upper()}={rendered}" if key else rendered)
    return ";".join(parts)


def _render_exrule(text: str) -> str:
    """EXRULE is a plain NGCards element: split on commas, each part escaped."""
    return ",".join(_escape_card(p) for p in card_parts(text) if p)


def _recur_text(recur) -> str:
    return recur.to_ical().decode("utf-8", "replace")


def _has_count(recur) -> bool:
    return int_value(str((recur.get("COUNT") or [0])[0])) > 0


def _has_until(recur) -> bool:
    return bool(recur.get("UNTIL"))


def _cycle_info(component, is_event: bool) -> str:
    info = {}
    rules = props(component, "RRULE")
    if rules:
        info["rules"] = [_render_rule(_recur_text(r), drop_until=is_event and i == 0 and _has_count(r))
                         for i, r in enumerate(rules)]
    exrules = props(component, "EXRULE")
    if exrules:
        info["exRules"] = [_render_exrule(_recur_text(r)) for r in exrules]
    rdates = list_moments(component, "RDATE")
    if rdates:
        info["rDates"] = [m.sogo_utc.strftime("%Y-%m-%d %H:%M:%S +0000") for m in rdates]
    exdates = list_moments(component, "EXDATE")
    if exdates:
        info["exDates"] = [m.sogo_utc.strftime("%Y%m%dT%H%M%SZ") for m in exdates]
    return plist_description(info)


def _is_recurrent(component) -> bool:
    return bool(props(component, "RRULE") or props(component, "RDATE"))


def _cycle_end(event, span: _Span, cal: Calendar, ctx: _Context) -> int:
    """c_cycleenddate of a recurring event: end of the last possible instance."""
    start = span.start
    tz = start.tz if not start.is_date else None
    last = None
    for recur in props(event, "RRULE"):
        if _has_count(recur):
            wall = last_instance(recur, start, tz)
            if wall is None:
                return INT_MAX
            candidate = to_epoch(wall, tz)
        elif _has_until(recur):
            m = _until_moment(recur["UNTIL"][0], start)
            if m is None:
                return INT_MAX
            candidate = m.epoch
        else:
            return INT_MAX
        last = candidate if last is None else max(last, candidate)
    for m in list_moments(event, "RDATE", ctx.tz):
        last = m.epoch if last is None else max(last, m.epoch)
    if last is None:
        return INT_MAX
    end = last + span.duration
    for other in main_components(cal):
        if other is event or other.name != "VEVENT" or other.get("RECURRENCE-ID") is None:
            continue
        other_span = _event_span(other, ctx)
        # SOGo extends only for overrides starting after the end; an override that
        # starts before but ends after would then be missed by time-range queries.
        end = max(end, other_span.start_epoch + other_span.duration)
    return _int4(end)


def _until_moment(until, start: Moment) -> Moment | None:
    """UNTIL as an instant: a floating value is read in the zone of DTSTART."""
    m = moment(until, None, None)
    if m is not None and m.floating and not start.is_date:
        m = Moment(m.wall, start.tz, False, True)
    return m


# --------------------------------------------------------------------------- alarms

def _alarms(component) -> list:
    return [c for c in component.subcomponents if c.name == "VALARM"]


def _first_alarm(component, actions: tuple[str, ...]):
    for alarm in _alarms(component):
        if text_value(alarm, "ACTION").upper() in actions:
            return alarm
    return None


def _trigger_time(alarm, start: int | None, end: int | None) -> int | None:
    """iCalTrigger -nextAlarmDate."""
    trigger = first(alarm, "TRIGGER")
    if trigger is None:
        return None
    kind = param(trigger, "VALUE").upper() or "DURATION"
    try:
        value = trigger.dt
    except Exception:
        return None
    if kind == "DURATION":
        base = end if param(trigger, "RELATED").upper() == "END" else start
        if base is None:
            return None
        offset = value.total_seconds() if isinstance(value, timedelta) else 0
        return int(base + offset)
    if kind == "DATE-TIME":
        m = moment(value, None, None)
        return int(m.sogo_utc.timestamp()) if m else None
    return None


def _triggered(alarm) -> bool:
    trigger = first(alarm, "TRIGGER")
    return trigger is not None and param(trigger, "X-WEBSTATUS").lower() == "triggered"


def _owner_is_alarm_attendee(alarm, ctx: _Context) -> bool:
    return any(ctx.is_owner(rfc822_email(str(a))) for a in props(alarm, "ATTENDEE"))


def _display_alarm_time(component, span: _Span) -> int | None:
    alarm = _first_alarm(component, ("DISPLAY", "AUDIO"))
    if alarm is None or _triggered(alarm):
        return None
    return _trigger_time(alarm, span.start_epoch, span.end_epoch)


def _occurrence_alarms(master, span: _Span, cal: Calendar, ctx: _Context) -> list[int]:
    """Alarm epochs of the instances that meet [now, now + 2 years] (SOGo's flattening)."""
    lo, hi = ctx.now, ctx.now + ALARM_WINDOW
    start = span.start
    tz = ctx.tz if start.is_date else start.tz
    overrides = {}
    for other in main_components(cal):
        if other is master or other.get("RECURRENCE-ID") is None or other.name != master.name:
            continue
        rid = prop_moment(other, "RECURRENCE-ID", ctx.tz)
        if rid is not None:
            rid_epoch = to_epoch(rid.wall, tz) if rid.is_date else rid.epoch
            overrides[rid_epoch] = other
    alarm = _first_alarm(master, ("DISPLAY", "AUDIO", "EMAIL"))
    times = []
    for begin in instances(master, start, tz, lo, hi, span.duration):
        if begin in overrides or alarm is None:
            continue
        end = begin + span.duration if span.end is not None else None
        t = _trigger_time(alarm, begin, end)
        if t is not None:
            times.append(t)
    for other in overrides.values():
        other_span = _span(other, ctx)
        s, e = other_span.start_epoch, other_span.end_epoch
        if s is None or not (s <= hi and (e if e is not None else s) >= lo):
            continue
        t = _display_alarm_time(other, other_span)
        if t is not None:
            times.append(t)
    return times


def _alarm_state(component, span: _Span, cal: Calendar, ctx: _Context) -> tuple[int, list[dict]]:
    """(c_nextalarm, e-mail alarm rows) as -updateNextAlarmDateInRow: computes them."""
    if not _alarms(component):
        return 0, []
    display = _first_alarm(component, ("DISPLAY", "AUDIO"))
    email = _first_alarm(component, ("EMAIL",)) if ctx.email_alarms else None
    uid = text_value(component, "UID")
    number = _alarms(component).index(email) if email is not None else -1
    if not _is_recurrent(component):
        if display is not None:
            return _display_alarm_time(component, span) or 0, []
        if email is None:
            return 0, []
        when = _trigger_time(email, span.start_epoch, span.end_epoch)
        if when is None or when <= ctx.now or not _owner_is_alarm_attendee(email, ctx):
            return 0, []
        return 0, [{"c_uid": uid, "c_recurrence_id": 0, "c_alarm_number": number, "c_alarm_date": _int4(when)}]
    if span.start is None:
        return 0, []
    upcoming = [t for t in _occurrence_alarms(component, span, cal, ctx) if t - ctx.now - 60 > 0]
    if not upcoming:
        return 0, []
    when = min(upcoming)
    if display is not None:
        return when, []
    if email is not None and _owner_is_alarm_attendee(email, ctx):
        return 0, [{"c_uid": uid, "c_recurrence_id": 0, "c_alarm_number": number, "c_alarm_date": _int4(when)}]
    return 0, []


# --------------------------------------------------------------------------- rows

def _context(owner_emails=(), default_tz="UTC", now=None, organizer_emails=None,
             events_classification="PUBLIC", tasks_classification="PUBLIC",
             email_alarms=True, day_start_hour=8) -> _Context:
    return _Context(owner_emails, default_tz, now, organizer_emails, events_classification,
                    tasks_classification, email_alarms, day_start_hour)


def appointment_quick_row(cal: Calendar, *, owner_emails: Sequence[str] = (), default_tz="UTC",
                          now: datetime | int | None = None,
                          organizer_emails: Callable[[str], Sequence[str]] | None = None,
                          events_classification: str = "PUBLIC", tasks_classification: str = "PUBLIC",
                          email_alarms: bool = True, day_start_hour: int = 8) -> dict:
    """Every column of the appointment quick table but ``c_name``.

    ``owner_emails``: the calendar owner's addresses, primary first (organizer
    and alarm-recipient checks). ``default_tz``: the owner's SOGoTimeZone, for
    floating times. ``now``: the clock (datetime or epoch), for alarms.
    ``organizer_emails``: maps an address to all addresses of the local user
    owning it, primary first (default: the owner only). The classifications
    are the user's SOGoCalendar{Events,Tasks}DefaultClassification, used when
    CLASS is missing. ``email_alarms``: SOGoEnableEMailAlarms.
    """
    ctx = _context(owner_emails, default_tz, now, organizer_emails, events_classification,
                   tasks_classification, email_alarms, day_start_hour)
    component = main_component(cal)
    return _quick_row(component, cal, ctx)


def alarm_rows(cal: Calendar, *, owner_emails: Sequence[str] = (), default_tz="UTC",
               now: datetime | int | None = None, email_alarms: bool = True,
               day_start_hour: int = 8) -> list[dict]:
    """sogo_alarms_folder rows (c_uid, c_recurrence_id, c_alarm_number, c_alarm_date)
    for the object's first e-mail alarm, if SOGo would schedule one."""
    ctx = _context(owner_emails, default_tz, now, email_alarms=email_alarms,
                   day_start_hour=day_start_hour)
    component = main_component(cal)
    return _alarm_state(component, _span(component, ctx), cal, ctx)[1]


def _quick_row(component, cal: Calendar, ctx: _Context) -> dict:
    kind = component.name
    is_event, is_task = kind == "VEVENT", kind == "VTODO"
    span = _span(component, ctx)
    organizer, attendees = _people(component, ctx)
    participants = "\n".join(param(a, "CN") for a in attendees)
    partmails = "\n".join(rfc822_email(str(a)) for a in attendees)
    recurrent = _is_recurrent(component)
    klass = text_value(component, "CLASS").upper()
    if not klass:
        klass = (ctx.events_classification if is_event else ctx.tasks_classification).upper()
    status = text_value(component, "STATUS").upper()
    categories = first(component, "CATEGORIES")
    cats = [str(c) for c in getattr(categories, "cats", ())] if not isinstance(categories, (str, type(None))) else []
    row = {
        "c_uid": text_value(component, "UID"),
        "c_startdate": span.start_epoch,
        "c_enddate": span.end_epoch,
        "c_cycleenddate": None,
        "c_title": text_value(component, "SUMMARY"),
        "c_participants": participants,
        "c_isallday": int(is_event and span.all_day),
        "c_iscycle": int(recurrent or (is_event and component.get("RECURRENCE-ID") is not None)),
        "c_cycleinfo": None,
        "c_classification": CLASSIFICATIONS.get(klass, 0),
        "c_isopaque": int(is_event and text_value(component, "TRANSP").upper() != "TRANSPARENT"),
        "c_status": _status(kind, status, component),
        "c_priority": int_value(text_value(component, "PRIORITY").split(";", 1)[0]),
        "c_location": text_value(component, "LOCATION"),
        "c_orgmail": organizer,
        "c_partmails": partmails,
        "c_partstates": "\n".join(str(_partstat(a, component)) for a in attendees),
        "c_category": ",".join(cats) if cats and cats != [""] else None,
        "c_sequence": int_value(text_value(component, "SEQUENCE")),
        "c_component": kind.lower(),
        "c_nextalarm": 0,
        "c_description": text_value(component, "DESCRIPTION"),
    }
    if is_event and span.all_day and span.end is not None:
        row["c_enddate"] = span.end_epoch - 1
    if is_task:
        row["c_participants"] = participants or None
        row["c_partmails"] = partmails or None
    if recurrent and is_event:
        row["c_cycleenddate"] = _cycle_end(component, span, cal, ctx)
        row["c_cycleinfo"] = _cycle_info(component, True)
    elif recurrent and is_task:
        row["c_cycleenddate"] = INT_MAX
        row["c_cycleinfo"] = _cycle_info(component, False)
    if is_event or is_task:
        row["c_nextalarm"] = _alarm_state(component, span, cal, ctx)[0]
    for column, value in row.items():
        if isinstance(value, str) and len(value) > _WIDTHS.get(column, len(value)):
            row[column] = value[:_WIDTHS[column]]
        elif isinstance(value, int):
            row[column] = _int4(value)
    return row


def _int4(value: int) -> int:
    """Dates past 2038 or before 1901 do not fit SOGo's INT columns: clamp them."""
    return max(INT_MIN, min(INT_MAX, value))


def _status(kind: str, status: str, component) -> int:
    if kind == "VTODO":
        if first(component, "COMPLETED") is not None or status == "COMPLETED":
            return 1
        return TASK_STATUS.get(status, 0)
    if status == "TENTATIVE":
        return 2
    return 0 if status == "CANCELLED" else 1
