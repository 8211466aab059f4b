"""What a ``…DAndTViewer`` may see: when, never what."""

from __future__ import annotations

from icalendar import Calendar, Event

KEEP = ("UID", "DTSTART", "DTEND", "DURATION", "DUE", "RRULE", "RDATE", "EXDATE", "EXRULE",
        "RECURRENCE-ID", "TRANSP", "STATUS", "DTSTAMP", "SEQUENCE", "CLASS")


def busy_only(content: str) -> str:
    """The calendar with every component reduced to its times and a neutral title."""
    source = Calendar.from_ical(content)
    result = Calendar()
    for key in ("VERSION", "PRODID"):
        if key in source:
            result.add(key, source[key])
    for component in source.subcomponents:
        if component.name == "VTIMEZONE":
            result.add_component(component)
            continue
        reduced = type(component)() if component.name in ("VEVENT", "VTODO", "VJOURNAL") else Event()
        for key in KEEP:
            if key in component:
                for value in (component[key] if isinstance(component[key], list) else [component[key]]):
                    reduced.add(key, value)
        reduced.add("SUMMARY", "(busy)")
        result.add_component(reduced)
    return result.to_ical().decode("utf-8")
