"""DELETE of an object (soft delete, as SOGo), of a whole collection, or of a subscription.

Resources outside the folder store delete themselves: ``resource.delete_collection(ctx)``."""

from __future__ import annotations

from werkzeug.wrappers import Response

from ..errors import DAVError
from ..folder import Collection, FolderObject
from ..notifications import folder_advisory
from . import method
from .conditions import check_preconditions


@method("DELETE")
def delete(ctx, resource):
    if isinstance(resource, FolderObject):
        collection = resource.collection
        if not collection.access.can_delete:
            raise DAVError(403, "no permission to delete objects here")
        check_preconditions(ctx, resource.etag, for_write=True)
        collection.folder.delete_object(resource.name,
                                        hook=collection.delete_hook(ctx, resource.name))
        collection.after_delete(ctx, resource.name)
        return Response(status=204)
    if isinstance(resource, Collection):
        if resource.subscription is not None:
            # <owner>_<id> in the subscriber's home: deleting it unsubscribes, as SOGo
            from ..subscriptions import set_subscription
            set_subscription(ctx, ctx.user.uid, resource.folder, False)
            return Response(status=204)
        if not resource.access.can_administer:
            raise DAVError(403, "only the owner deletes a collection")
        if resource.folder.folder_id == "personal":
            raise DAVError(403, "the personal folder cannot be deleted")
        ctx.services.storage.folders.delete(resource.folder)
        folder_advisory(ctx, resource.folder, "Removal")
        return Response(status=204)
    if hasattr(resource, "delete_collection"):      # a collection kept elsewhere (an LDAP book)
        resource.delete_collection(ctx)
        return Response(status=204)
    raise DAVError(405, "DELETE is not allowed here")
