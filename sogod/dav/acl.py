"""Who may do what on a folder: SOGo's roles (ACL rows) turned into decisions.

Roles come from the folder's ACL table (sogo-facts §5.4): the user's own
entry, else ``<default>``, else the domain's ``SOGoCalendarDefaultRoles`` /
``SOGoContactsDefaultRoles``. The owner and ``SOGoSuperUsernames`` hold
everything. A user whose only role is ``None`` has no access.
"""

from __future__ import annotations

from dataclasses import dataclass

CLASSES = ("Public", "Confidential", "Private")
CLASSIFICATION = {0: "Public", 1: "Private", 2: "Confidential"}   # quick-row c_classification
LEVELS = ("Viewer", "DAndTViewer", "Responder", "Modifier")


@dataclass(frozen=True)
class Access:
    owner: bool
    roles: frozenset[str]

    # -- folder level ------------------------------------------------------
    @property
    def can_read_folder(self) -> bool:
        if self.owner:
            return True
        return any(r.endswith(LEVELS) or r in ("ObjectViewer", "ObjectEditor") for r in self.roles)

    @property
    def can_create(self) -> bool:
        return self.owner or "ObjectCreator" in self.roles

    @property
    def can_delete(self) -> bool:
        return self.owner or "ObjectEraser" in self.roles

    @property
    def can_administer(self) -> bool:
        return self.owner

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

    def privileges(self) -> list[str]:
        """DAV privileges of the folder (for current-user-privilege-set)."""
        if self.owner:
            return ["read", "read-current-user-privilege-set", "write", "write-properties",
                    "write-content", "bind", "unbind", "read-acl", "write-acl"]
        privileges = []
        if self.can_read_folder:
            privileges += ["read", "read-current-user-privilege-set"]
        if any(r.endswith("Modifier") or r == "ObjectEditor" for r in self.roles):
            privileges.append("write-content")
        if self.can_create:
            privileges.append("bind")
        if self.can_delete:
            privileges.append("unbind")
        return privileges


def folder_access(ctx, folder) -> Access:
    user = ctx.user
    if user is None:
        return Access(False, frozenset())
    superusers = ctx.defaults.list("SOGoSuperUsernames") or []
    if user.uid == folder.owner or user.uid in superusers:
        return Access(True, frozenset())
    rows = folder.acl_rows(folder.acl_object)
    roles = [r.c_role for r in rows if r.c_uid == user.uid]
    if not roles:
        roles = [r.c_role for r in rows if r.c_uid == "<default>"]
    if not roles:
        key = "SOGoCalendarDefaultRoles" if folder.kind == "Calendar" else "SOGoContactsDefaultRoles"
        roles = list(ctx.defaults.get(key) or [])
    return Access(False, frozenset(r for r in roles if r and r != "None"))
