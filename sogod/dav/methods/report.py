"""REPORT: dispatched by the root element's name to registered report classes."""

from __future__ import annotations

from ..errors import DAVError
from ..xml import parse
from . import method
from .body import read_body

# Clark name -> handler(ctx, resource, root_element); CalDAV, CardDAV, sync add to it.
REPORTS: dict[str, object] = {}


def reports_for(resource) -> list[str]:
    return [name for name, report in REPORTS.items() if report.applies_to(resource)]


@method("REPORT")
def report(ctx, resource):
    root = parse(read_body(ctx))
    handler = REPORTS.get(root.tag)
    if handler is None or not handler.applies_to(resource):
        raise DAVError(403, "unsupported report", precondition="{DAV:}supported-report")
    return handler.run(ctx, resource, root)
