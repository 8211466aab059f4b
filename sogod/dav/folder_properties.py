"""Properties of folder-backed collections and objects: ETags, ctag, sync token."""

from __future__ import annotations

from email.utils import formatdate

from .folder import Collection, FolderObject
from .properties import Property, register
from .xml import CALENDARSERVER, DAV, clark


@register
class GetETag(Property):
    name = clark(DAV, "getetag")

    def get(self, ctx, resource):
        return self.make(resource.etag) if isinstance(resource, FolderObject) else None


@register
class GetContentType(Property):
    name = clark(DAV, "getcontenttype")

    def get(self, ctx, resource):
        if isinstance(resource, FolderObject):
            return self.make(resource.content_type)
        return None


@register
class GetLastModified(Property):
    name = clark(DAV, "getlastmodified")

    def get(self, ctx, resource):
        if isinstance(resource, FolderObject):
            return self.make(formatdate(resource.row.c_lastmodified, usegmt=True))
        return None


@register
class GetContentLength(Property):
    name = clark(DAV, "getcontentlength")

    def get(self, ctx, resource):
        if isinstance(resource, FolderObject):
            return self.make(str(len(resource.row.c_content.encode("utf-8"))))
        return None


@register
class GetCTag(Property):
    name = clark(CALENDARSERVER, "getctag")

    def get(self, ctx, resource):
        return self.make(str(resource.folder.ctag())) if isinstance(resource, Collection) else None


@register
class SyncToken(Property):
    name = clark(DAV, "sync-token")
    in_allprop = False

    def get(self, ctx, resource):
        if isinstance(resource, Collection):
            from .sync import current_token
            return self.make(current_token(resource.folder))
        return None
