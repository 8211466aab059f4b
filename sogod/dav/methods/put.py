"""PUT of a calendar object or vCard: validate, check, store content and quick row at once."""

from __future__ import annotations

from werkzeug.wrappers import Response

from ...store.folders import VersionMismatch
from ..errors import DAVError
from ..folder import Collection, FolderObject, Unmapped, etag_of
from . import method
from .body import read_body
from .conditions import check_preconditions

MAX_OBJECT = 10 * 1024 * 1024  # beyond WOMaxUploadSize, never buffer more than this


@method("PUT")
def put(ctx, resource):
    if isinstance(resource, FolderObject):
        collection, name, existing = resource.collection, resource.name, resource
    elif isinstance(resource, Unmapped) and isinstance(resource.parent, Collection):
        collection, name, existing = resource.parent, resource.name, None
    else:
        raise DAVError(405, "PUT is not allowed here")
    if existing is None and not collection.access.can_create:
        raise DAVError(403, "no permission to create objects here")
    check_preconditions(ctx, existing.etag if existing else None, for_write=True)
    body = read_body(ctx, MAX_OBJECT)
    content, quick_row, uid = collection.prepare(ctx, body, name)
    if existing is not None and not collection.access.can_modify(existing.classification()):
        raise DAVError(403, "no permission to modify this object")
    collection.check_uid_unique(uid, name)
    try:
        version, created = collection.folder.put_object(
            name, content, quick_row, base_version=existing.row.c_version if existing else None,
            hook=collection.write_hook(ctx, name, content))
    except VersionMismatch:
        raise DAVError(412, "the object changed meanwhile") from None
    collection.after_write(ctx, name, content, previous=existing.row.c_content if existing else None)
    response = Response(status=201 if created else 204)
    response.headers["ETag"] = etag_of(version)
    if created:
        response.headers["Location"] = ctx.absolute_url(resource.href)
    return response
