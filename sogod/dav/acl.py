"""Who may do what on a folder or object: SOGo's roles (ACL rows) turned into decisions.

Roles come from the folder's ACL table (sogo-facts §5.4). For a user, the
first of these that has an entry wins: the user's own rows, the rows of the
``@<group>`` entries the user belongs to (membership through the directory's
``groups_of(uid)``, when it has one: SQL sources have no groups), the
``<default>`` rows, the domain's ``SOGoCalendarDefaultRoles`` /
``SOGoContactsDefaultRoles``. ``anonymous`` (public access) only ever gets
the ``anonymous`` rows. The owner and ``SOGoSuperUsernames`` hold everything.
A user whose only role is ``None`` has no access.

An object's own rows (``c_object`` = ``/<owner>/<kind>/<id>/<name>``)
override the folder's for that object, looked up in the same order.

ACL rows are read once per folder and request (``ctx``), then decided in memory.
"""

from __future__ import annotations

from dataclasses import dataclass

CLASSES = ("Public", "Confidential", "Private")
CLASSIFICATION = {0: "Public", 1: "Private", 2: "Confidential"}   # quick-row c_classification
LEVELS = ("Viewer", "DAndTViewer", "Responder", "Modifier")

DEFAULT_UID = "<default>"
ANONYMOUS = "anonymous"

CALENDAR_ROLES = tuple(f"{c}{lvl}" for c in CLASSES for lvl in LEVELS) + ("ObjectCreator", "ObjectEraser")
CONTACT_ROLES = ("ObjectViewer", "ObjectEditor", "ObjectCreator", "ObjectEraser")
EXTRA_ROLES = ("AuthorizedSubscriber", "FreeBusyReader", "None")


def valid_roles(kind: str) -> frozenset[str]:
    return frozenset((CALENDAR_ROLES if kind == "Calendar" else CONTACT_ROLES) + EXTRA_ROLES)


@dataclass(frozen=True)
class Access:
    owner: bool
    roles: frozenset[str]
    kind: str = "Calendar"

    # -- folder level ------------------------------------------------------
    @property
    def can_read_folder(self) -> bool:
        if self.owner:
            return True
        return any(r.endswith(LEVELS) or r in ("ObjectViewer", "ObjectEditor") for r in self.roles)

    @property
    def can_read_freebusy(self) -> bool:
        return self.can_read_folder or bool({"ObjectEraser", "AuthorizedSubscriber", "FreeBusyReader"} & self.roles)

    @property
    def can_create(self) -> bool:
        return self.owner or "ObjectCreator" in self.roles

    @property
    def can_delete(self) -> bool:
        return self.owner or "ObjectEraser" in self.roles

    @property
    def can_administer(self) -> bool:
        return self.owner

    @property
    def can_write_any(self) -> bool:
        """Modifier of some class, editor, or creator: a ``calendar-proxy-write`` member."""
        return self.owner or any(r.endswith("Modifier") or r in ("ObjectEditor", "ObjectCreator")
                                 for r in self.roles)

    # -- object level (calendars: by CLASS; address books: ObjectViewer/Editor) --
    def read_level(self, klass: str = "Public") -> str | None:
        """'full', 'dandt' (date and time only) or None."""
        if self.owner or "ObjectViewer" in self.roles or "ObjectEditor" in self.roles:
            return "full"
        if {f"{klass}Viewer", f"{klass}Responder", f"{klass}Modifier"} & self.roles:
            return "full"
        if f"{klass}DAndTViewer" in self.roles:
            return "dandt"
        return None

    def can_modify(self, klass: str = "Public") -> bool:
        return self.owner or "ObjectEditor" in self.roles or f"{klass}Modifier" in self.roles

    def can_respond(self, klass: str = "Public") -> bool:
        return self.can_modify(klass) or f"{klass}Responder" in self.roles

    def privileges(self) -> list[tuple[str, str]]:
        """DAV privileges (namespace, name), in SOGo's order (current-user-privilege-set)."""
        return privileges_of(self)


# -- DAV privileges ------------------------------------------------------------

_DAV, _CALDAV, _INVERSE = "DAV:", "urn:ietf:params:xml:ns:caldav", "urn:inverse:params:xml:ns:inverse-dav"
_SCHEDULE = [(_CALDAV, n) for n in (
    "schedule", "schedule-post", "schedule-post-vevent", "schedule-post-vtodo", "schedule-post-vjournal",
    "schedule-post-vfreebusy", "schedule-deliver", "schedule-deliver-vevent", "schedule-deliver-vtodo",
    "schedule-deliver-vjournal", "schedule-deliver-vfreebusy", "schedule-respond", "schedule-respond-vevent",
    "schedule-respond-vtodo")]
_RECORDS = ("public", "private", "confidential")


def privileges_of(access: Access) -> list[tuple[str, str]]:
    """What SOGo lists in current-user-privilege-set for these roles, in its order."""
    if access.kind != "Calendar":
        return _contact_privileges(access)
    granted: list[tuple[str, str]] = []
    if access.can_read_folder:
        granted.append((_DAV, "read"))
    if access.owner or access.roles:
        granted.append((_DAV, "read-current-user-privilege-set"))
    if access.owner or access.can_read_freebusy:
        granted.append((_CALDAV, "read-free-busy"))
    if access.can_create:
        granted += [(_DAV, "bind")] + _SCHEDULE
    if access.can_delete:
        granted.append((_DAV, "unbind"))
    if access.owner:
        granted.append((_DAV, "write-properties"))
    if access.owner or any(r.endswith("Modifier") for r in access.roles):
        granted.append((_DAV, "write-content"))
    if access.owner:
        granted += [(_DAV, "write"), (_DAV, "read-acl"), (_DAV, "write-acl")]
    for klass in _RECORDS:
        k = klass.capitalize()
        level = access.read_level(k)
        if level == "full":
            granted.append((_INVERSE, f"viewwhole-{klass}-records"))
        if access.owner or level == "dandt":
            granted.append((_INVERSE, f"viewdant-{klass}-records"))
        if access.can_modify(k):
            granted.append((_INVERSE, f"modify-{klass}-records"))
        if access.can_respond(k):
            granted.append((_INVERSE, f"respondto-{klass}-records"))
    if access.owner:
        granted += [(_INVERSE, "admin"), (_DAV, "all")]
    return granted


def _contact_privileges(access: Access) -> list[tuple[str, str]]:
    if access.owner:        # SOGo 5.8 lists no read for the owner of an address book
        return [(_DAV, n) for n in ("write", "bind", "unbind", "write-properties", "write-content",
                                    "read-acl", "write-acl")] + [(_INVERSE, "admin"), (_DAV, "all")]
    granted = []
    if access.can_read_folder:
        granted += [(_DAV, "read"), (_DAV, "read-current-user-privilege-set")]
    if access.can_create:
        granted.append((_DAV, "bind"))
    if access.can_delete:
        granted.append((_DAV, "unbind"))
    if "ObjectEditor" in access.roles:
        granted.append((_DAV, "write-content"))
    return granted


# -- role lookup ----------------------------------------------------------------

def _cache(ctx) -> dict:
    cache = getattr(ctx, "_acl_cache", None)
    if cache is None:
        cache = {}
        try:
            ctx._acl_cache = cache
        except AttributeError:       # a context without attributes: no caching
            pass
    return cache


def forget(ctx, folder=None) -> None:
    """Drop cached ACL rows (after a change to them)."""
    cache = _cache(ctx)
    if folder is None:
        cache.clear()
    else:
        cache.pop(("rows", folder.path), None)


def acl_table(ctx, folder) -> dict[str, dict[str, list[str]]]:
    """{c_object: {c_uid: [roles]}} of the folder, read once per request."""
    cache = _cache(ctx)
    key = ("rows", folder.path)
    if key not in cache:
        table: dict[str, dict[str, list[str]]] = {}
        for row in folder.acl_rows():
            table.setdefault(row.c_object, {}).setdefault(row.c_uid, []).append(row.c_role)
        cache[key] = table
    return cache[key]


def groups_of(ctx, uid: str) -> list[str]:
    """The groups ``uid`` belongs to, from the directory (LDAP); none for SQL sources."""
    cache = _cache(ctx)
    key = ("groups", uid)
    if key not in cache:
        hook = getattr(ctx.services.directory, "groups_of", None)
        try:
            cache[key] = list(hook(uid)) if hook else []
        except Exception:            # a directory that cannot answer grants nothing
            cache[key] = []
    return cache[key]


def is_superuser(ctx, uid: str, domain: str | None = None) -> bool:
    defaults = ctx.defaults.domain(domain) if domain is not None else ctx.defaults
    try:
        names = defaults.list("SOGoSuperUsernames")
    except AttributeError:
        names = ctx.defaults.list("SOGoSuperUsernames")
    return uid in (names or [])


def _entry_roles(ctx, entries: dict[str, list[str]], uid: str) -> list[str] | None:
    """Roles of ``uid`` among one object's entries, or None when none applies."""
    if uid in entries:
        return entries[uid]
    if uid == ANONYMOUS:
        return None
    group_roles = [r for g in groups_of(ctx, uid) for r in entries.get(f"@{g}", [])]
    if group_roles:
        return group_roles
    return entries.get(DEFAULT_UID)


def roles_for(ctx, folder, uid: str, object_name: str | None = None) -> list[str]:
    """``uid``'s stored roles on the folder (or one of its objects), defaults applied.

    The result may contain ``None`` (explicit "no access"), as SOGo's ``aclsForUser:``.
    """
    table = acl_table(ctx, folder)
    if object_name is not None:
        roles = _entry_roles(ctx, table.get(f"{folder.acl_object}/{object_name}", {}), uid)
        if roles is not None:
            return roles
    roles = _entry_roles(ctx, table.get(folder.acl_object, {}), uid)
    if roles is not None:
        return roles
    if uid == ANONYMOUS:
        return []
    key = "SOGoCalendarDefaultRoles" if folder.kind == "Calendar" else "SOGoContactsDefaultRoles"
    return list(ctx.defaults.get(key) or [])


def has_object_acl(ctx, folder, object_name: str) -> bool:
    return f"{folder.acl_object}/{object_name}" in acl_table(ctx, folder)


def access_for(ctx, folder, uid: str | None, object_name: str | None = None, domain=None) -> Access:
    if uid is None:
        return Access(False, frozenset(), folder.kind)
    if uid == folder.owner or (uid != ANONYMOUS and is_superuser(ctx, uid, domain)):
        return Access(True, frozenset(), folder.kind)
    roles = roles_for(ctx, folder, uid, object_name)
    return Access(False, frozenset(r for r in roles if r and r != "None"), folder.kind)


def folder_access(ctx, folder) -> Access:
    user = ctx.user
    return access_for(ctx, folder, user.uid if user else None, domain=getattr(user, "domain", None))


def object_access(ctx, folder, name: str) -> Access:
    user = ctx.user
    return access_for(ctx, folder, user.uid if user else None, name, domain=getattr(user, "domain", None))
