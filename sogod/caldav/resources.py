"""The CalDAV tree: /SOGo/dav/<uid>/Calendar/, its calendars, their objects and exports."""

from __future__ import annotations

from ..dav.acl import CLASSIFICATION
from ..dav.errors import DAVError
from ..dav.folder import Collection, FolderObject, Home
from ..dav.resources import PRINCIPAL_CHILDREN, Resource
from ..dav.xml import CALDAV, DAV, clark
from .ealarms import owner_alarm_rows
from .ical import InvalidCalendar, parse_calendar, uid_of
from .quick import appointment_quick_row
from .transparency import is_iphone, make_all_day_transparent

GROUPDAV = "http://groupdav.org/"
WRITES = ("PUT", "DELETE")
CALENDAR_CLASSES = ("1", "access-control", "calendar-access", "calendar-schedule", "calendar-auto-schedule",
                    "calendar-query-extended", "extended-mkcol", "calendarserver-principal-property-search")


def user_defaults(ctx, user=None):
    """The defaults chain for ``user`` (default: the caller): profile > domain > system."""
    user = user or ctx.user
    profile_defaults, _ = ctx.services.storage.profiles.get(user.uid)
    return ctx.defaults.user(user.uid, profile_defaults, user.domain)


def user_timezone(ctx, user=None) -> str:
    return str(user_defaults(ctx, user).get("SOGoTimeZone") or "UTC")


class CalendarObject(FolderObject):
    content_type = 'text/calendar; charset="utf-8"'
    dav_classes = CALENDAR_CLASSES

    def classification(self) -> str:
        known = self.collection.known_classes
        if known is not None and self.name in known:
            return known[self.name]
        rows = self.collection.folder.quick_rows(self.collection.folder.quick_table.c.c_name == self.name)
        return CLASSIFICATION.get(rows[0].c_classification if rows else 0, "Public")

    def render(self, ctx):
        return self.content(ctx).encode("utf-8"), self.content_type

    def content(self, ctx) -> str:
        access = self.collection.access
        if access.owner:
            return self.row.c_content
        level = access.read_level(self.classification())
        if level == "full":
            return self.row.c_content
        if level == "dandt":
            from .privacy import busy_only
            return busy_only(self.row.c_content)
        raise DAVError(404, "not found")


class CalendarCollection(Collection):
    object_class = CalendarObject
    dav_classes = CALENDAR_CLASSES

    @property
    def resource_types(self):
        types = [clark(DAV, "collection"), clark(CALDAV, "calendar"),
                 clark(GROUPDAV, "vevent-collection"), clark(GROUPDAV, "vtodo-collection")]
        if self.folder.folder_id == "personal" and self.subscription is None:
            types.append(clark(CALDAV, "schedule-outbox"))
        return tuple(types)

    # name -> CLASS of every object, read once when a non-owner lists the calendar
    # (one quick-table query instead of one per object); shared by object-ACL copies.
    known_classes: dict | None = None

    def children(self, ctx):
        if self.access.owner:
            return super().children(ctx)
        self.known_classes = {r.c_name: CLASSIFICATION.get(r.c_classification, "Public")
                              for r in self.folder.quick_rows()}
        objects = super().children(ctx)
        return [o for o in objects if o.collection.access.read_level(o.classification())]

    def child(self, ctx, name):
        obj = super().child(ctx, name)       # with the object's own ACL when it has one
        if not isinstance(obj, CalendarObject) or self.access.owner:
            return obj
        klass = obj.classification()
        if obj.collection.access.read_level(klass):
            return obj
        if ctx.request.method in WRITES and self.access.read_level(klass):
            return obj      # visible through the folder: the write check answers 403
        raise DAVError(404, "not found")

    def prepare(self, ctx, body: bytes, name: str):
        """Validate a PUT body; return (content, quick row, UID) or raise a 4xx."""
        content_type = (ctx.request.mimetype or "text/calendar").lower()
        if content_type not in ("text/calendar", "application/octet-stream", "text/plain"):
            raise DAVError(415, "expected text/calendar", precondition=clark(CALDAV, "supported-calendar-data"))
        try:
            text = body.decode("utf-8")
            calendar = parse_calendar(text)
        except (UnicodeDecodeError, InvalidCalendar) as exc:
            raise DAVError(400, f"invalid iCalendar: {exc}",
                           precondition=clark(CALDAV, "valid-calendar-data")) from None
        if (ctx.defaults.domain(self.owner.domain).bool("SOGoiPhoneForceAllDayTransparency")
                and is_iphone(ctx.request.headers.get("User-Agent")) and make_all_day_transparent(calendar)):
            text = calendar.to_ical().decode("utf-8")
        # Floating times and missing CLASS follow the calendar owner's preferences, as in SOGo.
        prefs = user_defaults(ctx, self.owner)
        quick = appointment_quick_row(
            calendar, owner_emails=self.owner.emails, default_tz=str(prefs.get("SOGoTimeZone") or "UTC"),
            events_classification=str(prefs.get("SOGoCalendarEventsDefaultClassification") or "PUBLIC"),
            tasks_classification=str(prefs.get("SOGoCalendarTasksDefaultClassification") or "PUBLIC"))
        return text, quick, uid_of(calendar)

    def write_hook(self, ctx, name, content):
        """With SOGoEnableEMailAlarms: replace the object's rows in sogo_alarms_folder."""
        alarms = ctx.services.storage.alarms
        if alarms is None:
            return None
        return alarms.replacing(owner_alarm_rows(content, self.owner, user_defaults(ctx, self.owner)))

    def delete_hook(self, ctx, name):
        alarms = ctx.services.storage.alarms
        return alarms.removing() if alarms is not None else None

    def check_uid_unique(self, uid: str, name: str) -> None:
        q = self.folder.quick_table
        clash = [r for r in self.folder.quick_rows(q.c.c_uid == uid) if r.c_name != name]
        if clash:
            raise DAVError(409, f"UID {uid} is already used by {clash[0].c_name}",
                           precondition=clark(CALDAV, "no-uid-conflict"))

    def after_write(self, ctx, name, content, previous=None):
        from . import receipts
        from .scheduling import on_write
        on_write(ctx, self, name, content, previous)
        receipts.on_write(ctx, self, content, previous)

    def after_delete(self, ctx, name):
        from . import receipts
        from .scheduling import deleted_content, on_delete
        on_delete(ctx, self, name)
        receipts.on_delete(ctx, self, lambda: deleted_content(self.folder, name))


class CalendarExport(Resource):
    """GET /SOGo/dav/<uid>/Calendar/<id>.ics: the whole calendar in one VCALENDAR."""

    is_collection = False
    methods = ("OPTIONS", "GET", "HEAD", "PROPFIND")

    def __init__(self, collection: CalendarCollection):
        self.collection = collection
        self.owner = collection.owner
        self.path = collection.path.rstrip("/") + ".ics"

    def render(self, ctx):
        from .export import export_calendar
        objects = self.collection.children(ctx)
        return export_calendar([o.content(ctx) for o in objects]).encode("utf-8"), 'text/calendar; charset="utf-8"'


class CalendarHome(Home):
    kind = "Calendar"
    collection_class = CalendarCollection
    dav_classes = CALENDAR_CLASSES
    methods = ("OPTIONS", "PROPFIND", "PROPPATCH", "REPORT", "MKCALENDAR", "MKCOL")

    def child_extra(self, ctx, name):
        if name.endswith(".ics"):
            folder = ctx.services.storage.folders.get(self.owner.uid, self.kind, name[:-4])
            if folder is not None:
                from ..dav.acl import folder_access
                access = folder_access(ctx, folder)
                if access.can_read_folder:
                    return CalendarExport(CalendarCollection(self, folder, access))
        return None


def calendar_home(ctx, principal):
    if not ctx.defaults.bool("SOGoCalendarDAVAccessEnabled") or not principal.user.can_access("Calendar"):
        return None
    return CalendarHome(ctx, principal)


PRINCIPAL_CHILDREN["Calendar"] = calendar_home
