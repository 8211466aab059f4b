"""DAV XML: safe parsing (no DTDs, no entities) and multistatus building."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as _safe_fromstring

from .errors import DAVError

DAV = "DAV:"
CALDAV = "urn:ietf:params:xml:ns:caldav"
CARDDAV = "urn:ietf:params:xml:ns:carddav"
CALENDARSERVER = "http://calendarserver.org/ns/"
INVERSE = "urn:inverse:params:xml:ns:inverse-dav"

PREFIXES = {DAV: "D", CALDAV: "C", CARDDAV: "CARD", CALENDARSERVER: "CS", INVERSE: "I"}
for _uri, _prefix in PREFIXES.items():
    ET.register_namespace(_prefix, _uri)

MAX_XML_BODY = 2 * 1024 * 1024


def clark(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def parse(body: bytes) -> ET.Element:
    """Parse a request body; any problem is a 400, never a crash or an expansion."""
    if len(body) > MAX_XML_BODY:
        raise DAVError(413, "XML body too large")
    try:
        return _safe_fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise DAVError(400, "XML with a DTD or entities is refused") from None
    except ET.ParseError as exc:
        raise DAVError(400, f"malformed XML: {exc}") from None


def element(name: str, text: str | None = None, children=()) -> ET.Element:
    el = ET.Element(name)
    if text is not None:
        el.text = text
    for child in children:
        el.append(child)
    return el


def href(path: str) -> ET.Element:
    return element(clark(DAV, "href"), path)


def serialize(root: ET.Element) -> bytes:
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="utf-8", xml_declaration=False)


class MultiStatus:
    """Collects per-resource propstats and renders a 207 body."""

    def __init__(self):
        self.root = element(clark(DAV, "multistatus"))

    def add(self, path: str, found: list[ET.Element], missing: list[str], forbidden: list[str] = ()):
        """One <response>; with nothing to report, an empty 200 propstat (RFC 4918
        §14.24 wants a propstat or a status after the href)."""
        response = element(clark(DAV, "response"), children=[href(path)])
        empty = not (found or forbidden or missing)
        for status, props in (("200 OK", found),
                              ("403 Forbidden", [element(n) for n in forbidden]),
                              ("404 Not Found", [element(n) for n in missing])):
            if props or (empty and status == "200 OK"):
                prop = element(clark(DAV, "prop"), children=props)
                response.append(element(clark(DAV, "propstat"), children=[
                    prop, element(clark(DAV, "status"), f"HTTP/1.1 {status}")]))
        self.root.append(response)

    def body(self) -> bytes:
        return serialize(self.root)
