"""Subscriptions to other users' folders, kept where SOGo keeps them.

``POST <collection>`` with ``<subscribe/>`` or ``<unsubscribe/>`` (Inverse
namespace) adds or removes ``<owner>:<Calendar|Contacts>/<id>`` in the
subscriber's ``c_settings.<kind>.SubscribedFolders``. The subscriber's home
then shows the folder as ``<owner as CSS identifier>_<id>``, named after
``SOGoSubscriptionFolderFormat``, and serves it with the subscriber's rights
(the collection's owner stays the real owner).
"""

from __future__ import annotations

import copy

from werkzeug.wrappers import Response

from .acl import folder_access
from .errors import DAVError
from .folder import HOME_EXTRAS, Collection, Home
from .methods.post import POST_HANDLERS

SETTINGS_KEY = "SubscribedFolders"

# SOGo's "CSS identifier" escapes (NSString+Utilities -asCSSIdentifier).
_CSS_ESCAPES = {"_": "_U_", ".": "_D_", "#": "_H_", "@": "_A_", "*": "_S_", ":": "_C_", ";": "_SC_",
                ",": "_CO_", " ": "_SP_", "'": "_SQ_", '"': "_DQ_", "(": "_LP_", ")": "_RP_",
                "[": "_LS_", "]": "_RS_", "{": "_LC_", "}": "_RC_", "&": "_AM_", "+": "_P_", "$": "_DS_"}


def css_identifier(text: str) -> str:
    result = "".join(_CSS_ESCAPES.get(c, c) for c in text)
    return "_" + result if result[:1].isdigit() else result


def reference(folder) -> str:
    return f"{folder.owner}:{folder.kind}/{folder.folder_id}"


def parse_reference(ref: str) -> tuple[str, str, str] | None:
    """(owner, kind, folder id) of ``owner:Kind/id``, or None."""
    owner, sep, rest = str(ref).partition(":")
    kind, sep2, folder_id = rest.partition("/")
    if not (sep and sep2 and owner and folder_id) or kind not in ("Calendar", "Contacts") or "/" in folder_id:
        return None
    return owner, kind, folder_id


def subscribed(ctx, uid: str, kind: str) -> list[str]:
    _, settings = ctx.services.storage.profiles.get(uid)
    value = (settings.get(kind) or {}).get(SETTINGS_KEY) if isinstance(settings.get(kind), dict) else None
    return [str(v) for v in value] if isinstance(value, list) else []


def set_subscription(ctx, uid: str, folder, on: bool) -> None:
    profiles = ctx.services.storage.profiles
    _, settings = profiles.get(uid)
    section = settings.get(folder.kind) if isinstance(settings.get(folder.kind), dict) else {}
    current = [str(v) for v in section.get(SETTINGS_KEY) or []]
    ref = reference(folder)
    if on and ref not in current:
        current.append(ref)
    elif not on and ref in current:
        current.remove(ref)
    else:
        return
    section[SETTINGS_KEY] = current
    settings[folder.kind] = section
    profiles.set_settings(uid, settings)


def display_name(ctx, folder, owner_user) -> str:
    domain = getattr(ctx.user, "domain", None)
    fmt = str(ctx.defaults.domain(domain).get("SOGoSubscriptionFolderFormat")
              or "%{FolderName} (%{UserName} <%{Email}>)")
    name = owner_user.display_name if owner_user else folder.owner
    email = (owner_user.primary_email if owner_user else None) or ""
    return fmt.replace("%{FolderName}", folder.display_name).replace("%{UserName}", name) \
        .replace("%{Email}", email)


def subscribed_collection(ctx, home: Home, ref: str):
    """The subscribed folder as a collection of ``home``, or None (gone, or no longer readable)."""
    parsed = parse_reference(ref)
    if parsed is None or parsed[1] != home.kind or parsed[0] == home.owner.uid:
        return None
    owner, kind, folder_id = parsed
    folder = ctx.services.storage.folders.get(owner, kind, folder_id)
    if folder is None:
        return None
    access = folder_access(ctx, folder)
    if not access.can_read_folder:
        return None
    owner_user = ctx.services.directory.lookup(owner)
    shown = copy.copy(folder)
    shown.display_name = display_name(ctx, folder, owner_user)
    collection = home.collection_class(home, shown, access)
    collection.path = f"{home.path}{css_identifier(owner)}_{folder_id}/"
    collection.subscription = reference(folder)
    if owner_user is not None:
        collection.owner = owner_user
    return collection


class SubscribedFolders:
    """Plugged into Home (folder.HOME_EXTRAS): only the subscriber sees its subscriptions."""

    def children(self, ctx, home):
        if not home.is_owner:
            return []
        found = (subscribed_collection(ctx, home, ref) for ref in subscribed(ctx, home.owner.uid, home.kind))
        return [c for c in found if c is not None]

    def child(self, ctx, home, name):
        if not home.is_owner or "_" not in name:
            return None
        for ref in subscribed(ctx, home.owner.uid, home.kind):
            parsed = parse_reference(ref)
            if parsed and f"{css_identifier(parsed[0])}_{parsed[2]}" == name:
                return subscribed_collection(ctx, home, ref)
        return None


class Subscribe:
    """POST ``<subscribe/>`` / ``<unsubscribe/>`` on another user's collection."""

    def accepts(self, ctx, resource, content_type, tag) -> bool:
        local = (tag or "").rsplit("}", 1)[-1]
        return local in ("subscribe", "unsubscribe") and isinstance(resource, Collection)

    def run(self, ctx, resource, body, root):
        folder = ctx.services.storage.folders.get(resource.folder.owner, resource.folder.kind,
                                                  resource.folder.folder_id)
        if folder is None:
            raise DAVError(404, "not found")
        if ctx.user is None or folder.owner == ctx.user.uid or ctx.user.uid == "anonymous":
            return Response("You cannot (un)subscribe to a folder that you own!", status=403,
                            content_type="text/plain; charset=utf-8")
        on = root.tag.rsplit("}", 1)[-1] == "subscribe"
        if on and not folder_access(ctx, folder).can_read_folder:
            raise DAVError(403, "no access to this folder")
        set_subscription(ctx, ctx.user.uid, folder, on)
        return Response(status=204)


HOME_EXTRAS.append(SubscribedFolders())
POST_HANDLERS.append(Subscribe())
