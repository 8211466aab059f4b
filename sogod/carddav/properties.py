"""CardDAV properties (RFC 6352) and the folder properties of directory books."""

from __future__ import annotations

from ..dav.acl_properties import HOME_OWNER, CurrentUserPrivilegeSet, privilege_elements
from ..dav.collation import SUPPORTED_COLLATIONS
from ..dav.folder_properties import GetContentType, GetETag, GetLastModified
from ..dav.properties import PROPERTIES, DisplayName, Property, principal_href, register
from ..dav.resources import Principal
from ..dav.xml import CARDDAV, clark, element, href
from .directory import DirectoryBook, DirectoryCard
from .resources import ContactObject, ContactsCollection

DESCRIPTIONS = "FolderDescriptions"   # c_settings.Contacts.FolderDescriptions.<id> (SOGo keeps unknown keys)


def _book(resource):
    return resource if isinstance(resource, (ContactsCollection, DirectoryBook)) else None


@register
class AddressbookHomeSet(Property):
    name = clark(CARDDAV, "addressbook-home-set")
    in_allprop = False

    def get(self, ctx, resource):
        if isinstance(resource, Principal) and ctx.defaults.bool("SOGoAddressBookDAVAccessEnabled"):
            return self.make(children=[href(principal_href(resource.user) + "Contacts/")])
        return None


@register
class PrincipalAddress(Property):
    name = clark(CARDDAV, "principal-address")
    in_allprop = False

    def get(self, ctx, resource):
        return self.make() if isinstance(resource, Principal) else None


@register
class AddressbookDescription(Property):
    name = clark(CARDDAV, "addressbook-description")

    def _settings(self, ctx, folder):
        _, settings = ctx.services.storage.profiles.get(folder.owner)
        return settings, settings.setdefault("Contacts", {})

    def get(self, ctx, resource):
        if isinstance(resource, DirectoryBook):
            return self.make(resource.display_name)
        if not isinstance(resource, ContactsCollection):
            return None
        _, contacts = self._settings(ctx, resource.folder)
        table = contacts.get(DESCRIPTIONS)
        value = table.get(resource.folder.folder_id) if isinstance(table, dict) else None
        return self.make(value) if value is not None else None

    def writable(self, ctx, resource):
        return isinstance(resource, ContactsCollection) and resource.access.can_administer

    def validate(self, ctx, resource, el):
        return None if len(el.text or "") <= 4096 else "description too long"

    def _put(self, ctx, folder, value):
        settings, contacts = self._settings(ctx, folder)
        table = contacts.get(DESCRIPTIONS) if isinstance(contacts.get(DESCRIPTIONS), dict) else {}
        if value is None:
            table.pop(folder.folder_id, None)
        else:
            table[folder.folder_id] = value
        contacts[DESCRIPTIONS] = table
        ctx.services.storage.profiles.set_settings(folder.owner, settings)

    def set(self, ctx, resource, el):
        self._put(ctx, resource.folder, (el.text or "").strip())

    def remove(self, ctx, resource):
        self._put(ctx, resource.folder, None)


@register
class SupportedAddressData(Property):
    name = clark(CARDDAV, "supported-address-data")
    in_allprop = False

    def get(self, ctx, resource):
        if _book(resource) is None:
            return None
        types = []
        for version in ("3.0", "4.0"):
            el = element(clark(CARDDAV, "address-data-type"))
            el.set("content-type", "text/vcard")
            el.set("version", version)
            types.append(el)
        return self.make(children=types)


@register
class SupportedCollationSet(Property):
    name = clark(CARDDAV, "supported-collation-set")
    in_allprop = False

    def get(self, ctx, resource):
        if _book(resource) is None:
            return None
        return self.make(children=[element(clark(CARDDAV, "supported-collation"), c)
                                   for c in SUPPORTED_COLLATIONS])


@register
class MaxResourceSize(Property):
    name = clark(CARDDAV, "max-resource-size")
    in_allprop = False

    def get(self, ctx, resource):
        if not isinstance(resource, ContactsCollection) or not ctx.services.max_upload_bytes:
            return None
        return self.make(str(ctx.services.max_upload_bytes))


@register
class AddressData(Property):
    name = clark(CARDDAV, "address-data")
    in_allprop = False

    def get(self, ctx, resource):
        if isinstance(resource, (ContactObject, DirectoryCard)):
            return self.make(resource.content(ctx))
        return None

    def get_requested(self, ctx, resource, el):
        if not isinstance(resource, (ContactObject, DirectoryCard)):
            return None
        from .reports import subset
        names = [p.get("name", "") for p in el.findall(clark(CARDDAV, "prop"))]
        content = resource.content(ctx)
        if names and el.get("allprop") is None:
            content = subset(content, names)
        return self.make(content)


# Directory books are not folders: the engine's generic properties learn them here.

def _directory_aware(base: type, value) -> type:
    """``base`` re-registered so that directory books and cards answer ``value(resource)``."""
    class DirectoryAware(base):
        def get(self, ctx, resource):
            if isinstance(resource, (DirectoryBook, DirectoryCard)):
                found = value(resource)
                return self.make(found) if found is not None else None
            return super().get(ctx, resource)
    DirectoryAware.__name__ = f"{base.__name__}WithDirectories"
    return register(DirectoryAware)


for _base, _value in ((DisplayName, lambda r: getattr(r, "display_name", None)),
                      (GetETag, lambda r: getattr(r, "etag", None)),
                      (GetContentType, lambda r: getattr(r, "content_type", None)),
                      (GetLastModified, lambda r: getattr(r, "last_modified", None))):
    _directory_aware(_base, _value)


@register
class BookDisplayName(type(PROPERTIES[DisplayName.name])):
    """The owner renames a per-user LDAP book (abOU): its entry's ``description``."""

    def writable(self, ctx, resource):
        if isinstance(resource, DirectoryBook):
            return resource.personal and resource.home.is_owner
        return super().writable(ctx, resource)

    def set(self, ctx, resource, el):
        if isinstance(resource, DirectoryBook):
            resource.rename(ctx, el.text.strip())
        else:
            super().set(ctx, resource, el)


@register
class BookPrivileges(CurrentUserPrivilegeSet):
    """The owner of a per-user LDAP book may write it (but not share it)."""

    def get(self, ctx, resource):
        if isinstance(resource, DirectoryBook) and resource.personal and resource.home.is_owner:
            return self.make(children=privilege_elements(HOME_OWNER))
        return super().get(ctx, resource)
