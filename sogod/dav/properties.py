"""Live properties: one class each, registered by Clark name.

A property answers ``get(ctx, resource)`` with an Element, or ``None`` when
the resource does not have it (reported as 404 in its propstat).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from .resources import DavRoot, Principal, Resource, DAV_PREFIX
from .xml import CALDAV, CALENDARSERVER, DAV, clark, element, href

PROPERTIES: dict[str, "Property"] = {}


def register(cls):
    PROPERTIES[cls.name] = cls()
    return cls


class Property:
    name: str
    in_allprop = True

    def get(self, ctx, resource: Resource) -> ET.Element | None:
        raise NotImplementedError

    def get_requested(self, ctx, resource, el: ET.Element) -> ET.Element | None:
        """As ``get``, for a request element that may carry parameters (calendar-data)."""
        return self.get(ctx, resource)

    # Writable properties override these three.
    def writable(self, ctx, resource) -> bool:
        return False

    def validate(self, ctx, resource, el: ET.Element) -> str | None:
        """A problem with the new value, or None."""
        return None

    def set(self, ctx, resource, el: ET.Element) -> None:
        raise NotImplementedError

    def remove(self, ctx, resource) -> None:
        raise NotImplementedError

    def make(self, text=None, children=()) -> ET.Element:
        return element(self.name, text, children)


def principal_href(user) -> str:
    return f"{DAV_PREFIX}/{user.uid}/"


@register
class ResourceType(Property):
    name = clark(DAV, "resourcetype")

    def get(self, ctx, resource):
        return self.make(children=[element(t) for t in resource.resource_types])


@register
class DisplayName(Property):
    name = clark(DAV, "displayname")

    def get(self, ctx, resource):
        from .folder import Collection, Home
        if isinstance(resource, Principal):
            return self.make(resource.user.display_name)
        if isinstance(resource, Collection):
            return self.make(resource.folder.display_name)
        if isinstance(resource, Home):
            return self.make(resource.kind)
        return None

    def writable(self, ctx, resource):
        from .folder import Collection
        return isinstance(resource, Collection) and resource.access.can_administer

    def validate(self, ctx, resource, el):
        text = (el.text or "").strip()
        return None if 0 < len(text) <= 255 else "displayname must be 1 to 255 characters"

    def set(self, ctx, resource, el):
        resource.folder = ctx.services.storage.folders.rename(resource.folder, el.text.strip())

    def remove(self, ctx, resource):
        pass


@register
class CurrentUserPrincipal(Property):
    name = clark(DAV, "current-user-principal")
    in_allprop = False

    def get(self, ctx, resource):
        if ctx.user is None:
            return self.make(children=[element(clark(DAV, "unauthenticated"))])
        return self.make(children=[href(principal_href(ctx.user))])


@register
class PrincipalURL(Property):
    name = clark(DAV, "principal-URL")

    def get(self, ctx, resource):
        if isinstance(resource, Principal):
            return self.make(children=[href(principal_href(resource.user))])
        return None


@register
class Owner(Property):
    name = clark(DAV, "owner")

    def get(self, ctx, resource):
        user = getattr(resource, "user", None) or getattr(resource, "owner", None)
        return self.make(children=[href(principal_href(user))]) if user else None


@register
class PrincipalCollectionSet(Property):
    name = clark(DAV, "principal-collection-set")
    in_allprop = False

    def get(self, ctx, resource):
        return self.make(children=[href(DAV_PREFIX + "/")])


@register
class CalendarUserAddressSet(Property):
    name = clark(CALDAV, "calendar-user-address-set")
    in_allprop = False

    def get(self, ctx, resource):
        if not isinstance(resource, Principal):
            return None
        hrefs = [href(f"mailto:{mail}") for mail in calendar_addresses(ctx, resource.user)]
        return self.make(children=hrefs + [href(principal_href(resource.user))])


def calendar_addresses(ctx, user) -> list[str]:
    """The source's addresses; a user without any gets the system one
    (UIDFieldName@SOGoMailDomain), as SOGo 3 and later do, unless the domain
    sets SOGoHideSystemEMail."""
    if user.emails:
        return list(user.emails)
    domain = ctx.defaults.domain(user.domain)
    if domain.bool("SOGoHideSystemEMail"):
        return []
    return [user.uid if "@" in user.uid else f"{user.uid}@{domain.get('SOGoMailDomain')}"]


@register
class EmailAddressSet(Property):
    name = clark(CALENDARSERVER, "email-address-set")
    in_allprop = False

    def get(self, ctx, resource):
        if not isinstance(resource, Principal):
            return None
        return self.make(children=[element(clark(CALENDARSERVER, "email-address"), m)
                                   for m in resource.user.emails])


@register
class CalendarUserType(Property):
    name = clark(CALDAV, "calendar-user-type")
    in_allprop = False

    def get(self, ctx, resource):
        if not isinstance(resource, Principal):
            return None
        kinds = {"group": "GROUP", "location": "ROOM", "thing": "RESOURCE"}
        return self.make(kinds.get(resource.user.kind, "INDIVIDUAL"))


# current-user-privilege-set lives in acl_properties.py, with the role model.


@register
class SupportedReportSet(Property):
    name = clark(DAV, "supported-report-set")
    in_allprop = False

    def get(self, ctx, resource):
        from .methods.report import reports_for
        return self.make(children=[
            element(clark(DAV, "supported-report"), children=[element(clark(DAV, "report"), children=[element(n)])])
            for n in reports_for(resource)])


__all__ = ["PROPERTIES", "Property", "register", "DavRoot"]
