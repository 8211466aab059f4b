"""SOGoiPhoneForceAllDayTransparency: all-day events PUT by iOS become transparent.

SOGo tests the User-Agent as SOPE does: an Apple DAV client (iOS's dataaccessd,
DAVKit, CoreDAV...) whose agent string names ``iPhone/`` or ``iOS/``.
"""

from __future__ import annotations

from icalendar import Calendar

_APPLE_DAV = ("DAVAccess", "CardDAVPlugin", "CalendarAgent", "CalendarStore", "CoreDAV/", "DAVKit/")
_NOT_APPLE = ("iOS-Email+", "Outlook-iOS", "SecuredMIiOSEmail")   # mail apps that say "iOS"


def _is_apple_dav(agent: str) -> bool:
    if any(s in agent for s in _APPLE_DAV):
        return True
    if ("AddressBook" in agent or "Calendar" in agent) and "Mac OS X" in agent:
        return True
    if "AddressBookCore" in agent and "macOS" in agent:
        return True
    return ("dataaccessd/" in agent or "iOS" in agent) and not any(s in agent for s in _NOT_APPLE)


def is_iphone(agent: str | None) -> bool:
    agent = agent or ""
    return _is_apple_dav(agent) and ("iPhone/" in agent or "iOS/" in agent)


def make_all_day_transparent(calendar: Calendar) -> bool:
    """Set TRANSP:TRANSPARENT on every opaque all-day VEVENT; True when one changed."""
    changed = False
    for event in calendar.walk("VEVENT"):
        start = event.get("DTSTART")
        all_day = start is not None and not hasattr(start.dt, "hour")
        if all_day and str(event.get("TRANSP", "OPAQUE")).upper() != "TRANSPARENT":
            event.pop("TRANSP", None)
            event.add("TRANSP", "TRANSPARENT")
            changed = True
    return changed
