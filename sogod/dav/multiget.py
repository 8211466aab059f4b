"""calendar-multiget / addressbook-multiget: the requested objects by href."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from werkzeug.wrappers import Response

from .errors import DAVError
from .folder import Collection, FolderObject
from .methods.propfind import properties_of
from .xml import DAV, MultiStatus, clark, element, href

MAX_HREFS = 1000


class Multiget:
    def __init__(self, name: str, collection_class: type):
        self.name = name
        self.collection_class = collection_class

    def applies_to(self, resource) -> bool:
        return isinstance(resource, (self.collection_class, FolderObject))

    def run(self, ctx, resource, root):
        collection = resource if isinstance(resource, Collection) else resource.collection
        return respond(ctx, collection, root, _stored_object)


def _stored_object(ctx, collection, name):
    row = collection.folder.get_object(name)
    if row is None:
        return None
    obj = collection.object_for(ctx, row)
    try:
        obj.content(ctx)            # hidden from this user: as if missing
    except DAVError:
        return None
    return obj


def respond(ctx, collection, root, find):
    """The multistatus for a multiget body; ``find(ctx, collection, name)`` gives an
    object or None (404)."""
    prop = root.find(clark(DAV, "prop"))
    requested = list(prop) if prop is not None else [element(clark(DAV, "getetag"))]
    hrefs = [h.text or "" for h in root.findall(clark(DAV, "href"))]
    if len(hrefs) > MAX_HREFS:
        raise DAVError(403, f"at most {MAX_HREFS} hrefs per multiget")
    status = MultiStatus()
    for raw in hrefs:
        path = unquote(urlsplit(raw.strip()).path)
        parent, _, name = path.rpartition("/")
        obj = None
        if parent + "/" == collection.href and name and "/" not in name:
            obj = find(ctx, collection, name)
        if obj is None:
            status.root.append(element(clark(DAV, "response"), children=[
                href(raw.strip()), element(clark(DAV, "status"), "HTTP/1.1 404 Not Found")]))
            continue
        found, missing = properties_of(ctx, obj, "prop", requested)
        status.add(obj.href, found, missing)
    return Response(status.body(), status=207, content_type='text/xml; charset="utf-8"')
