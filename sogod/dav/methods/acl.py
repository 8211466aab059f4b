"""Access-rights changes on resources that never share (``acl_refusal``, e.g.
per-user LDAP books): the RFC 3744 ACL method and the Inverse acl-query POST
answer 403 with that reason. Elsewhere ACL stays a 405 (SOGo changes rights
with acl-query only, acl_query.py)."""

from __future__ import annotations

from ..errors import DAVError
from . import method
from .post import POST_HANDLERS


@method("ACL")
def acl(ctx, resource):
    raise DAVError(403, getattr(resource, "acl_refusal", "access rights are changed with the acl-query POST"))


class RefusedAclQuery:
    def accepts(self, ctx, resource, content_type, tag) -> bool:
        return (tag or "").rsplit("}", 1)[-1] == "acl-query" and hasattr(resource, "acl_refusal")

    def run(self, ctx, resource, body, root):
        raise DAVError(403, resource.acl_refusal)


POST_HANDLERS.append(RefusedAclQuery())
