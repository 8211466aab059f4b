"""Folder-backed DAV resources shared by CalDAV and CardDAV.

A *home* lists a user's folders of one kind; a *collection* is one folder
(a row of sogo_folder_info); an *object* is one content row. ``Unmapped``
stands for a name that does not exist yet (a PUT, MKCALENDAR or MKCOL target).
"""

from __future__ import annotations

import copy

from ..store.folders import FolderExists
from .acl import Access, folder_access, has_object_acl, object_access
from .errors import DAVError
from .resources import DAV_PREFIX, Resource
from .xml import DAV, clark


# Extra collections a home shows besides its owner's folders (subscriptions.py):
# objects with ``children(ctx, home) -> list`` and ``child(ctx, home, name) -> Collection | None``.
HOME_EXTRAS: list = []


def etag_of(version: int) -> str:
    return f'"gcs{version:08d}"'


class Home(Resource):
    kind = ""                       # "Calendar" | "Contacts"
    collection_class: type = None   # set by subclasses
    methods = ("OPTIONS", "PROPFIND", "PROPPATCH", "REPORT")
    resource_types = (clark(DAV, "collection"),)

    def __init__(self, ctx, principal):
        self.principal = principal
        self.owner = principal.user
        self.path = f"{principal.path}{self.kind}/"
        self.is_owner = ctx.user is not None and ctx.user.uid == self.owner.uid

    def folders(self, ctx):
        manager = ctx.services.storage.folders
        if self.is_owner:
            manager.ensure_personal(self.owner.uid, self.kind)
        return manager.list(self.owner.uid, self.kind)

    def children(self, ctx):
        result = []
        for folder in self.folders(ctx):
            access = folder_access(ctx, folder)
            if access.can_read_folder:
                result.append(self.collection_class(self, folder, access))
        for extra in HOME_EXTRAS:
            result += extra.children(ctx, self)
        return result

    def child(self, ctx, name: str):
        manager = ctx.services.storage.folders
        if self.is_owner and name == "personal":
            manager.ensure_personal(self.owner.uid, self.kind)
        folder = manager.get(self.owner.uid, self.kind, name)
        if folder is None:
            for extra in HOME_EXTRAS:
                found = extra.child(ctx, self, name)
                if found is not None:
                    return found
            return self.child_extra(ctx, name) or Unmapped(self, name)
        access = folder_access(ctx, folder)
        if not access.can_read_folder:
            raise DAVError(404, "not found")     # as SOGo: no hint that it exists
        return self.collection_class(self, folder, access)

    def child_extra(self, ctx, name: str):
        """Names that are not folders (e.g. ``personal.ics`` exports)."""
        return None

    def create_collection(self, ctx, name: str, display_name: str) -> Resource:
        """MKCOL/MKCALENDAR of ``name`` (checked by the caller): a new folder; 405 when it exists."""
        try:
            folder = ctx.services.storage.folders.create(self.owner.uid, self.kind, name, display_name)
        except FolderExists:
            raise DAVError(405, "already exists") from None
        return self.collection_class(self, folder, folder_access(ctx, folder))


class Collection(Resource):
    object_class: type = None
    methods = ("OPTIONS", "PROPFIND", "PROPPATCH", "REPORT", "DELETE", "POST")
    #: ``owner:Kind/id`` when shown in a subscriber's home (subscriptions.py)
    subscription: str | None = None

    def __init__(self, home: Home, folder, access: Access):
        self.home = home
        self.folder = folder
        self.access = access
        self.owner = home.owner
        self.path = f"{home.path}{folder.folder_id}/"

    def children(self, ctx):
        return [self.object_for(ctx, row) for row in self.folder.list_objects()]

    def child(self, ctx, name: str):
        row = self.folder.get_object(name)
        if row is None:
            return Unmapped(self, name)
        return self.object_for(ctx, row)

    def object_for(self, ctx, row):
        """The object of content row ``row``, carrying the access of its own ACL
        rows when it has some (they override the folder's for it), for reads and
        writes alike: GET, PROPFIND, multiget, query and sync all come here."""
        collection = self
        if not self.access.owner and has_object_acl(ctx, self.folder, row.c_name):
            collection = copy.copy(self)
            collection.access = object_access(ctx, self.folder, row.c_name)
        return self.object_class(collection, row)

    def write_hook(self, ctx, name: str, content: str):
        """An ObjectHook (store/folders.py) for rows that follow a PUT of ``name``; None: none."""
        return None

    def delete_hook(self, ctx, name: str):
        """An ObjectHook for rows that follow a DELETE of ``name``; None: none."""
        return None


class FolderObject(Resource):
    is_collection = False
    methods = ("OPTIONS", "PROPFIND", "GET", "HEAD", "PUT", "DELETE", "POST")   # POST: acl-query
    content_type = "application/octet-stream"

    def __init__(self, collection: Collection, row):
        self.collection = collection
        self.row = row
        self.name = row.c_name
        self.owner = collection.owner
        self.path = f"{collection.path}{row.c_name}"

    @property
    def etag(self) -> str:
        return etag_of(self.row.c_version)

    def content(self, ctx) -> str:
        """What this user may see of the object (a filtered copy for restricted readers)."""
        return self.row.c_content


class Unmapped(Resource):
    """A name under a home or collection that does not exist (yet)."""

    is_collection = False
    unmapped = True
    methods = ("OPTIONS", "PUT", "MKCALENDAR", "MKCOL")
    resource_types = ()

    def __init__(self, parent: Resource, name: str):
        self.parent = parent
        self.name = name
        self.owner = getattr(parent, "owner", None)
        self.path = f"{parent.path}{name}"

    @property
    def href(self) -> str:
        return DAV_PREFIX + self.path
