"""PROPFIND (RFC 4918 §9.1): prop, allprop (with include) and propname."""

from __future__ import annotations

from werkzeug.wrappers import Response

from ..errors import DAVError
from ..properties import PROPERTIES
from ..xml import DAV, MultiStatus, clark, element, parse
from . import method
from .body import read_body


def parse_depth(header: str | None) -> int:
    # Depth infinity (or none) is served as 1: the tree is shallow and
    # clients that send it want the children.
    value = (header or "infinity").strip().lower()
    if value not in ("0", "1", "infinity"):
        raise DAVError(400, f"invalid Depth header {header!r}")
    return 0 if value == "0" else 1


def parse_request(body: bytes):
    """('prop', [names]) | ('allprop', [include]) | ('propname', [])."""
    if not body.strip():
        return "allprop", []
    root = parse(body)
    if root.tag != clark(DAV, "propfind"):
        raise DAVError(400, "expected a DAV:propfind element")
    mode, names, include = None, [], []
    for child in root:
        if child.tag == clark(DAV, "prop"):
            mode, names = "prop", list(child)
        elif child.tag == clark(DAV, "allprop"):
            mode = "allprop"
        elif child.tag == clark(DAV, "propname"):
            mode = "propname"
        elif child.tag == clark(DAV, "include"):
            include = list(child)
    if mode is None:
        raise DAVError(400, "DAV:propfind needs prop, allprop or propname")
    return mode, include if mode == "allprop" else names


def properties_of(ctx, resource, mode: str, requested: list):
    """(found elements, missing names) for ``requested`` property elements (or names)."""
    found, missing = [], []
    if mode == "propname":
        for name, prop in PROPERTIES.items():
            if prop.get(ctx, resource) is not None:
                found.append(element(name))
        return found, missing
    requested = [el if not isinstance(el, str) else element(el) for el in requested]
    if mode == "allprop":
        requested = [element(n) for n, p in PROPERTIES.items() if p.in_allprop] + requested
    seen = set()
    for el in requested:
        if el.tag in seen:
            continue
        seen.add(el.tag)
        prop = PROPERTIES.get(el.tag)
        value = prop.get_requested(ctx, resource, el) if prop else None
        if value is not None:
            found.append(value)
        elif mode == "prop":
            missing.append(el.tag)
    return found, missing


@method("PROPFIND")
def propfind(ctx, resource):
    depth = parse_depth(ctx.request.headers.get("Depth"))
    mode, names = parse_request(read_body(ctx))
    status = MultiStatus()
    targets = [resource] + (resource.children(ctx) if depth and resource.is_collection else [])
    for target in targets:
        found, missing = properties_of(ctx, target, mode, names)
        status.add(target.href, found, missing)
    return Response(status.body(), status=207, content_type='text/xml; charset="utf-8"')
