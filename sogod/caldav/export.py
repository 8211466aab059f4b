"""One VCALENDAR holding every object of a calendar (GET <id>.ics)."""

from __future__ import annotations

from icalendar import Calendar


def export_calendar(contents: list[str]) -> str:
    result = Calendar()
    result.add("VERSION", "2.0")
    result.add("PRODID", "-//sogod//EN")
    timezones = set()
    for content in contents:
        try:
            calendar = Calendar.from_ical(content)
        except ValueError:
            continue
        for component in calendar.subcomponents:
            if component.name == "VTIMEZONE":
                tzid = str(component.get("TZID"))
                if tzid in timezones:
                    continue
                timezones.add(tzid)
            result.add_component(component)
    return result.to_ical().decode("utf-8")
