"""Turn a DAV multistatus into a dict so assertions stay short."""

from __future__ import annotations

import xml.etree.ElementTree as ET

D = "{DAV:}"


def multistatus(body: bytes) -> dict:
    """{href: {"200": {prop-clark: Element}, "404": {...}}}."""
    root = ET.fromstring(body)
    assert root.tag == D + "multistatus", root.tag
    result = {}
    for response in root.findall(D + "response"):
        href = response.findtext(D + "href")
        by_status = {}
        for propstat in response.findall(D + "propstat"):
            code = propstat.findtext(D + "status").split()[1]
            by_status[code] = {p.tag: p for p in propstat.find(D + "prop")}
        result[href] = by_status
    return result


def hrefs(element) -> list[str]:
    return [h.text for h in element.iter(D + "href")]
