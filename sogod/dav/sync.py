"""sync-collection (RFC 6578) over a folder's content rows.

Tokens are bare epoch seconds, as SOGo issues them, so clients keep syncing
across a switch between SOGo and sogod. A token never names the current
second: changes made later in that second would otherwise be missed, so the
token is held one second back and such changes are sent again, never lost.
"""

from __future__ import annotations

import time

from werkzeug.wrappers import Response

from .errors import DAVError
from .folder import Collection
from .methods.propfind import properties_of
from .methods.report import REPORTS
from .xml import DAV, MultiStatus, clark, element, href

VALID_TOKEN = clark(DAV, "valid-sync-token")


def _safe(token: int) -> int:
    return min(token, int(time.time()) - 1)


def current_token(folder) -> str:
    return str(max(_safe(folder.ctag()), 0))


def parse_token(text: str | None) -> int | None:
    text = (text or "").strip()
    if not text:
        return None
    if text.startswith("http://") or text.startswith("https://") or text.startswith("data:"):
        text = text.rsplit("/", 1)[-1]
    if text == "-1":
        return 0
    if not text.isdigit() or len(text) > 12:
        raise DAVError(403, "invalid sync token", precondition=VALID_TOKEN)
    value = int(text)
    if value > time.time() + 86400:
        raise DAVError(403, "sync token from the future", precondition=VALID_TOKEN)
    return value


class SyncCollection:
    name = clark(DAV, "sync-collection")

    def applies_to(self, resource) -> bool:
        return isinstance(resource, Collection)

    def run(self, ctx, collection, root):
        token = parse_token(root.findtext(clark(DAV, "sync-token")))
        level = (root.findtext(clark(DAV, "sync-level")) or "1").strip()
        if level not in ("1", "infinite"):
            raise DAVError(400, "sync-level must be 1")
        prop = root.find(clark(DAV, "prop"))
        requested = list(prop) if prop is not None else [element(clark(DAV, "getetag"))]
        limit = _limit(root)
        rows = collection.folder.changes_since(token)
        truncated = limit is not None and len(rows) > limit
        if truncated:
            rows = rows[:limit]
        status = MultiStatus()
        newest = token or 0
        live = {r.c_name: r for r in collection.folder.list_objects([r.c_name for r in rows if not r.c_deleted])}
        for row in rows:
            newest = max(newest, row.c_lastmodified)
            path = f"{collection.href}{row.c_name}"
            if row.c_deleted or row.c_name not in live:
                status.root.append(element(clark(DAV, "response"), children=[
                    href(path), element(clark(DAV, "status"), "HTTP/1.1 404 Not Found")]))
                continue
            obj = collection.object_for(ctx, live[row.c_name])
            if not _visible(ctx, obj.collection, obj):
                continue
            found, missing = properties_of(ctx, obj, "prop", requested)
            status.add(obj.href, found, missing)
        if truncated:
            # The rest share or follow the last second we sent: resume before it.
            newest = rows[-1].c_lastmodified - 1
            status.root.append(element(clark(DAV, "response"), children=[
                href(collection.href), element(clark(DAV, "status"), "HTTP/1.1 507 Insufficient Storage")]))
        elif not rows:
            newest = int(current_token(collection.folder)) if token is None else token
        status.root.append(element(clark(DAV, "sync-token"), str(_safe(newest) if rows else newest)))
        return Response(status.body(), status=207, content_type='text/xml; charset="utf-8"')


def _limit(root) -> int | None:
    limit = root.find(clark(DAV, "limit"))
    if limit is None:
        return None
    text = (limit.findtext(clark(DAV, "nresults")) or "").strip()
    if not text.isdigit() or int(text) < 1:
        raise DAVError(400, "invalid limit")
    return int(text)


def _visible(ctx, collection, obj) -> bool:
    if collection.access.owner:
        return True
    try:
        obj.content(ctx)
        return True
    except DAVError:
        return False


REPORTS[SyncCollection.name] = SyncCollection()
