"""PROPPATCH (RFC 4918 §9.2): all or nothing over the writable properties."""

from __future__ import annotations

from werkzeug.wrappers import Response

from ..errors import DAVError
from ..properties import PROPERTIES
from ..xml import DAV, MultiStatus, clark, element, href, parse
from . import method
from .body import read_body


def apply_properties(ctx, resource, to_set: list, to_remove: list) -> dict[str, str]:
    """Validate every change first, then apply them all; return {name: status} failures."""
    failures = {}
    for el in to_set + to_remove:
        prop = PROPERTIES.get(el.tag)
        if prop is None or not prop.writable(ctx, resource):
            failures[el.tag] = "403 Forbidden"
            continue
        if el in to_set:
            problem = prop.validate(ctx, resource, el)
            if problem:
                failures[el.tag] = "409 Conflict"
    if failures:
        return failures
    for el in to_set:
        PROPERTIES[el.tag].set(ctx, resource, el)
    for el in to_remove:
        PROPERTIES[el.tag].remove(ctx, resource)
    return {}


@method("PROPPATCH")
def proppatch(ctx, resource):
    root = parse(read_body(ctx))
    if root.tag != clark(DAV, "propertyupdate"):
        raise DAVError(400, "expected DAV:propertyupdate")
    to_set, to_remove = [], []
    for action in root:
        target = to_set if action.tag == clark(DAV, "set") else to_remove if action.tag == clark(DAV, "remove") else None
        if target is None:
            raise DAVError(400, "propertyupdate holds set and remove only")
        for prop in action.findall(clark(DAV, "prop")):
            target.extend(list(prop))
    failures = apply_properties(ctx, resource, to_set, to_remove)
    response = element(clark(DAV, "response"), children=[href(resource.href)])
    names = [el.tag for el in to_set + to_remove]
    groups: dict[str, list[str]] = {}
    for name in names:
        status = failures.get(name, "424 Failed Dependency") if failures else "200 OK"
        groups.setdefault(status, []).append(name)
    for status, group in groups.items():
        response.append(element(clark(DAV, "propstat"), children=[
            element(clark(DAV, "prop"), children=[element(n) for n in group]),
            element(clark(DAV, "status"), f"HTTP/1.1 {status}")]))
    status = MultiStatus()
    status.root.append(response)
    return Response(status.body(), status=207, content_type='text/xml; charset="utf-8"')
