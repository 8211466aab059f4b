"""CalDAV properties (RFC 4791, RFC 6638, Apple's calendar-color/order)."""

from __future__ import annotations

import re

from ..dav.folder import FolderObject
from ..dav.properties import Property, principal_href, register
from ..dav.resources import Principal
from ..dav.xml import CALDAV, INVERSE, clark, element, href
from . import settings
from .resources import CalendarCollection, CalendarObject

APPLE = "http://apple.com/ns/ical/"
BOOLEANS = ("true", "false", "1", "0")     # SOGo's isValidDAVBoolean


def _calendar(resource) -> CalendarCollection | None:
    return resource if isinstance(resource, CalendarCollection) else None


@register
class CalendarHomeSet(Property):
    name = clark(CALDAV, "calendar-home-set")
    in_allprop = False

    def get(self, ctx, resource):
        if isinstance(resource, Principal) and ctx.defaults.bool("SOGoCalendarDAVAccessEnabled"):
            return self.make(children=[href(principal_href(resource.user) + "Calendar/")])
        return None


@register
class ScheduleInboxURL(Property):
    name = clark(CALDAV, "schedule-inbox-URL")
    in_allprop = False

    def get(self, ctx, resource):
        if isinstance(resource, Principal):
            return self.make(children=[href(principal_href(resource.user) + "Calendar/inbox/")])
        return None


@register
class ScheduleOutboxURL(Property):
    name = clark(CALDAV, "schedule-outbox-URL")
    in_allprop = False

    def get(self, ctx, resource):
        if isinstance(resource, Principal):
            # As SOGo: the outbox is the personal calendar (POST there).
            return self.make(children=[href(principal_href(resource.user) + "Calendar/personal/")])
        return None


@register
class SupportedComponents(Property):
    name = clark(CALDAV, "supported-calendar-component-set")

    def get(self, ctx, resource):
        if _calendar(resource) is None:
            return None
        return self.make(children=[_comp(n) for n in ("VEVENT", "VTODO", "VJOURNAL")])


def _comp(name):
    el = element(clark(CALDAV, "comp"))
    el.set("name", name)
    return el


@register
class SupportedCalendarData(Property):
    name = clark(CALDAV, "supported-calendar-data")
    in_allprop = False

    def get(self, ctx, resource):
        if _calendar(resource) is None:
            return None
        data = element(clark(CALDAV, "calendar-data"))
        data.set("content-type", "text/calendar")
        data.set("version", "2.0")
        return self.make(children=[data])


@register
class MaxResourceSize(Property):
    name = clark(CALDAV, "max-resource-size")
    in_allprop = False

    def get(self, ctx, resource):
        if _calendar(resource) is None or not ctx.services.max_upload_bytes:
            return None
        return self.make(str(ctx.services.max_upload_bytes))


class _CalendarSetting(Property):
    """A writable per-calendar property kept in the owner's settings."""

    key = ""

    def writable(self, ctx, resource):
        return _calendar(resource) is not None and resource.access.can_administer

    def value(self, ctx, resource):
        return settings.get(ctx, resource.folder, self.key)

    def get(self, ctx, resource):
        if _calendar(resource) is None:
            return None
        value = self.value(ctx, resource)
        return self.render(value) if value is not None else self.default(ctx, resource)

    def render(self, value):
        return self.make(str(value))

    def default(self, ctx, resource):
        return None

    def set(self, ctx, resource, el):
        settings.put(ctx, resource.folder, self.key, (el.text or "").strip())

    def remove(self, ctx, resource):
        settings.put(ctx, resource.folder, self.key, None)


@register
class CalendarColor(_CalendarSetting):
    """Kept as SOGo's web UI keeps it (``#RRGGBB``), shown as SOGo shows it to DAV
    clients (upper case, alpha ``FF``)."""

    name = clark(APPLE, "calendar-color")
    key = "FolderColors"

    def validate(self, ctx, resource, el):
        return None if re.fullmatch(r"#[0-9A-Fa-f]{6}([0-9A-Fa-f]{2})?", (el.text or "").strip()) else "bad color"

    def render(self, value):
        text = str(value).strip()
        return self.make(text.upper() + "FF" if len(text) == 7 else text.upper())

    def set(self, ctx, resource, el):
        settings.put(ctx, resource.folder, self.key, (el.text or "").strip()[:7])


@register
class CalendarDescription(_CalendarSetting):
    name = clark(CALDAV, "calendar-description")
    key = "FolderDescriptions"

    def validate(self, ctx, resource, el):
        return None if len(el.text or "") <= 4096 else "description too long"


@register
class CalendarTimezone(_CalendarSetting):
    name = clark(CALDAV, "calendar-timezone")
    key = "FolderTimezones"
    in_allprop = False

    def validate(self, ctx, resource, el):
        from .ical import InvalidCalendar, parse_timezone
        try:
            parse_timezone(el.text or "")
        except InvalidCalendar:
            return "calendar-timezone must be a VCALENDAR with one VTIMEZONE"
        return None


@register
class ScheduleCalendarTransp(_CalendarSetting):
    """SOGo's ``FreeBusyExclusions``: a transparent calendar is left out of free/busy."""

    name = clark(CALDAV, "schedule-calendar-transp")
    key = "FreeBusyExclusions"
    in_allprop = False

    def value(self, ctx, resource):
        return "transparent" if settings.excluded_from_freebusy(ctx, resource.folder) else "opaque"

    def render(self, value):
        return self.make(children=[element(clark(CALDAV, value))])

    def validate(self, ctx, resource, el):
        values = [c.tag for c in el]
        ok = values in ([clark(CALDAV, "opaque")], [clark(CALDAV, "transparent")])
        return None if ok else "expected opaque or transparent"

    def set(self, ctx, resource, el):
        settings.put(ctx, resource.folder, self.key, el[0].tag.split("}")[1] == "transparent")


@register
class CalendarOrder(_CalendarSetting):
    name = clark(APPLE, "calendar-order")

    def value(self, ctx, resource):
        return settings.order_of(ctx, resource.folder)

    def validate(self, ctx, resource, el):
        return None if (el.text or "").strip().isdigit() else "calendar-order must be a number"

    def set(self, ctx, resource, el):
        settings.set_order(ctx, resource.folder, int(el.text.strip()))

    def remove(self, ctx, resource):
        settings.set_order(ctx, resource.folder, None)


class _Receipts(_CalendarSetting):
    """A setting of the mail receipts (receipts.py), kept as SOGo keeps it: by folder reference."""

    in_allprop = False

    def value(self, ctx, resource):
        return settings.receipt_switches(ctx, resource.folder)[self.key]

    def store(self, ctx, resource, value) -> None:
        settings.put(ctx, resource.folder, self.key, value)

    def remove(self, ctx, resource):
        self.store(ctx, resource, None)


class _Switch(_Receipts):
    """``true`` or ``false``: the calendar's own value, else the domain default."""

    def render(self, value):
        return self.make("true" if value else "false")

    def validate(self, ctx, resource, el):
        return None if (el.text or "").strip() in BOOLEANS else "expected true or false"

    def set(self, ctx, resource, el):
        self.store(ctx, resource, (el.text or "").strip() in ("true", "1"))


@register
class NotifyOnPersonalModifications(_Switch):
    name = clark(INVERSE, "notify-on-personal-modifications")
    key = "NotifyOnPersonalModifications"


@register
class NotifyOnExternalModifications(_Switch):
    name = clark(INVERSE, "notify-on-external-modifications")
    key = "NotifyOnExternalModifications"


@register
class NotifyUserOnPersonalModifications(_Switch):
    name = clark(INVERSE, "notify-user-on-personal-modifications")
    key = "NotifyUserOnPersonalModifications"


@register
class NotifiedUserOnPersonalModifications(_Receipts):
    name = clark(INVERSE, "notified-user-on-personal-modifications")
    key = settings.NOTIFIED_USER

    def validate(self, ctx, resource, el):
        text = (el.text or "").strip()
        return None if not text or re.fullmatch(r"[^\s@<>,;]+@[^\s@<>,;]+", text) else "expected one e-mail address"

    def set(self, ctx, resource, el):
        self.store(ctx, resource, (el.text or "").strip() or None)


@register
class CalendarData(Property):
    name = clark(CALDAV, "calendar-data")
    in_allprop = False

    def get(self, ctx, resource):
        if isinstance(resource, CalendarObject):
            return self.make(resource.content(ctx))
        return None

    def get_requested(self, ctx, resource, el):
        if not isinstance(resource, CalendarObject):
            return None
        content = resource.content(ctx)
        expand = el.find(clark(CALDAV, "expand"))
        limit = el.find(clark(CALDAV, "limit-recurrence-set"))
        if expand is not None or limit is not None:
            from .reports import apply_expand
            content = apply_expand(content, expand if expand is not None else limit,
                                   expand=expand is not None, ctx=ctx)
        return self.make(content)


__all__ = ["FolderObject"]
