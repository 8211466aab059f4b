"""The Inverse ``acl-query`` POST: read and change the roles of a folder or object.

As SOGo (``SOGoObject -davAclQuery:``): the first child of ``<acl-query>``
names the action: ``user-list`` (``params="nocn,noemail"``), ``roles user=…``,
``set-roles user=…|users=a,b`` with one empty element per role,
``add-user``/``add-users``, ``remove-user``/``remove-users``. Reads answer 207
with ``<action>…</action>`` (no namespace), changes 204, a malformed query 400.

Unlike SOGo 5.8 (where anyone who can see the folder may grant itself every
right), only the owner and the super users may read or change the ACL: 403.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from werkzeug.wrappers import Response

from ..server.logs import get_logger
from .acl import ANONYMOUS, DEFAULT_UID, forget, roles_for, valid_roles
from .acl_properties import acl_target, acl_users, may_administer
from .errors import DAVError
from .methods.post import POST_HANDLERS
from .notifications import acl_advisories, acl_snapshot
from .visibility import lookup

log = get_logger("dav")


def local_name(tag: str | None) -> str:
    return (tag or "").rsplit("}", 1)[-1]


class BadQuery(Exception):
    pass


class AclQuery:
    def accepts(self, ctx, resource, content_type, tag) -> bool:
        return local_name(tag) == "acl-query" and acl_target(resource) is not None

    def run(self, ctx, resource, body, root):
        if not may_administer(ctx, resource):
            raise DAVError(403, "only the owner may read or change the access rights")
        folder, name = acl_target(resource)
        actions = list(root)
        try:
            if not actions:
                raise BadQuery("empty acl-query")
            result = self.perform(ctx, folder, name, actions[0])
        except BadQuery as exc:
            return Response(str(exc), status=400, content_type="text/plain; charset=utf-8")
        headers = {"Pragma": "no-cache", "Cache-Control": "no-cache"}
        if result is None:
            forget(ctx, folder)
            drop_shared_cache(ctx, folder.acl_object if name is None else f"{folder.acl_object}/{name}")
            return Response(status=204, headers=headers)
        action = local_name(actions[0].tag)
        text = f'<?xml version="1.0" encoding="utf-8"?>\r\n<{action}>{result}</{action}>'
        return Response(text.encode("utf-8"), status=207, headers=headers,
                        content_type='application/xml; charset="utf-8"')

    def perform(self, ctx, folder, name, node) -> str | None:
        """The XML inside the answer for reads, None for changes."""
        action = local_name(node.tag)
        path = None if name is None else f"{folder.acl_object}/{name}"
        before = acl_snapshot(ctx, folder) if name is None and action != "user-list" else None
        result = self._perform(ctx, folder, name, node, action, path)
        if result is None and before is not None:
            acl_advisories(ctx, folder, before)
        return result

    def _perform(self, ctx, folder, name, node, action, path) -> str | None:
        if action == "user-list":
            params = [p.strip() for p in (node.get("params") or "").lower().split(",") if p.strip()]
            return user_list(ctx, folder, name, params)
        if action == "roles":
            uid = _one_user(node)
            return "".join(f"<{escape(r)}/>" for r in roles_for(ctx, folder, uid, name))
        if action == "set-roles":
            users = [_one_user(node)] if node.get("user") else _users(node)
            roles = [local_name(child.tag) for child in node]
            unknown = [r for r in roles if r not in valid_roles(folder.kind)]
            if unknown:
                raise BadQuery(f"unknown roles: {', '.join(unknown)}")
            for uid in _checked(ctx, folder, users):
                folder.set_roles(uid, path, roles)
            return None
        if action in ("add-user", "add-users"):
            users = [_one_user(node)] if action == "add-user" else _users(node)
            for uid in _checked(ctx, folder, users):
                if uid == folder.owner:
                    raise BadQuery("the owner has every right already")
                folder.set_roles(uid, path, roles_for(ctx, folder, uid, name))
            return None
        if action in ("remove-user", "remove-users"):
            users = [_one_user(node)] if action == "remove-user" else _users(node)
            folder.remove_acls(users, path)
            return None
        raise BadQuery(f"unknown acl-query action {action!r}")


def drop_shared_cache(ctx, object_path: str) -> None:
    """A running SOGo keeps ACLs in memcached under ``<c_object>+acl``: drop the stale copy."""
    try:
        ctx.services.cache.delete(object_path + "+acl")
    except Exception as exc:          # the change is stored; SOGo sees it when its entry expires
        log.warning("cannot drop cached ACLs of %s: %s", object_path, exc)


def _one_user(node) -> str:
    uid = (node.get("user") or "").strip()
    if not uid:
        raise BadQuery("missing user attribute")
    return uid


def _users(node) -> list[str]:
    users = [u.strip() for u in (node.get("users") or "").split(",") if u.strip()]
    if not users:
        raise BadQuery("missing users attribute")
    return users


def _checked(ctx, folder, users: list[str]) -> list[str]:
    """The users, each a known user (of a domain the requester sees), ``@group``,
    ``<default>`` or ``anonymous``."""
    for uid in users:
        if uid in (DEFAULT_UID, ANONYMOUS) or (uid.startswith("@") and len(uid) > 1):
            continue
        if "/" in uid or lookup(ctx, uid) is None:
            raise BadQuery(f"unknown user {uid!r}")
    return users


def user_list(ctx, folder, name, params) -> str:
    parts = [f"<default-user><id>{escape(DEFAULT_UID)}</id></default-user>"]
    for uid in acl_users(ctx, folder, name):
        if uid == DEFAULT_UID:
            continue
        record = f"<id>{escape(uid)}</id>"
        user = None if {"nocn", "noemail"} <= set(params) else lookup(ctx, uid)
        if "nocn" not in params:
            record += f"<displayName>{escape(user.display_name if user else uid)}</displayName>"
        if "noemail" not in params and user is not None and user.primary_email:
            record += f"<email>{escape(user.primary_email)}</email>"
        parts.append(f"<user>{record}</user>")
    return "".join(parts)


POST_HANDLERS.append(AclQuery())
