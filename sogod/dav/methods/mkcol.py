"""MKCALENDAR (RFC 4791) and extended MKCOL (RFC 5689): a new folder in a home."""

from __future__ import annotations

from werkzeug.wrappers import Response

from ..errors import DAVError
from ..folder import Home, Unmapped
from ..notifications import folder_advisory
from ..xml import DAV, CALDAV, CARDDAV, clark, parse
from . import method
from .body import read_body
from .proppatch import apply_properties

MKCALENDAR = clark(CALDAV, "mkcalendar")
MKCOL = clark(DAV, "mkcol")


def _requested(root, container_tag):
    """(resourcetypes, [prop elements]) from an mkcol/mkcalendar body."""
    types, props = set(), []
    if root is None:
        return types, props
    if root.tag != container_tag:
        raise DAVError(400, f"expected {container_tag}")
    for set_el in root.findall(clark(DAV, "set")):
        for prop in set_el.findall(clark(DAV, "prop")):
            for el in prop:
                if el.tag == clark(DAV, "resourcetype"):
                    types |= {t.tag for t in el}
                else:
                    props.append(el)
    return types, props


def _create(ctx, resource, kind: str, props):
    if not isinstance(resource, Unmapped) or not isinstance(resource.parent, Home):
        raise DAVError(405, "a collection can only be created in a calendar or address book home")
    home = resource.parent
    if home.kind != kind:
        raise DAVError(403, f"only {home.kind.lower()} collections can be created here")
    if not home.is_owner and not _is_superuser(ctx):
        raise DAVError(403, "only the owner creates collections in a home")
    name = resource.name
    if not name or len(name) > 255 or name.endswith((".ics", ".vcf", ".xml")) or "_" == name[:1]:
        raise DAVError(403, "invalid collection name")
    display = name
    for el in props:
        if el.tag == clark(DAV, "displayname") and (el.text or "").strip():
            display = el.text.strip()
    collection = home.create_collection(ctx, name, display)
    others = [el for el in props if el.tag != clark(DAV, "displayname")]
    if others:
        apply_properties(ctx, collection, others, [])
    if getattr(collection, "folder", None) is not None:
        folder_advisory(ctx, collection.folder, "Addition")
    response = Response(status=201)
    response.headers["Location"] = ctx.absolute_url(collection.href)
    return response


def _is_superuser(ctx) -> bool:
    """SOGoSuperUsernames may create folders in any home, as SOGo."""
    from ..acl import ANONYMOUS, is_superuser
    user = ctx.user
    return user is not None and user.uid != ANONYMOUS and is_superuser(ctx, user.uid, user.domain)


@method("MKCALENDAR")
def mkcalendar(ctx, resource):
    body = read_body(ctx)
    root = parse(body) if body.strip() else None
    _, props = _requested(root, MKCALENDAR)
    return _create(ctx, resource, "Calendar", props)


@method("MKCOL")
def mkcol(ctx, resource):
    body = read_body(ctx)
    root = parse(body) if body.strip() else None
    types, props = _requested(root, MKCOL)
    if clark(CALDAV, "calendar") in types:
        kind = "Calendar"
    elif clark(CARDDAV, "addressbook") in types:
        kind = "Contacts"
    elif isinstance(resource, Unmapped) and isinstance(resource.parent, Home):
        kind = resource.parent.kind   # plain MKCOL in a home, as SOGo accepts
    else:
        raise DAVError(403, "only calendars and address books can be created")
    return _create(ctx, resource, kind, props)
