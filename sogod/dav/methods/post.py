"""POST on DAV resources: dispatched to registered handlers.

SOGo takes POSTs on collections for several extensions: the Inverse
``acl-query`` and ``subscribe``/``unsubscribe`` (XML bodies), and
scheduling outbox requests (``text/calendar`` bodies). Each extension
registers a handler: ``POST_HANDLERS.append(handler)``, where
``handler.accepts(ctx, resource, content_type, root_tag) -> bool`` and
``handler.run(ctx, resource, body: bytes, root) -> Response``; ``root`` is
the parsed XML root for XML bodies, else None.
"""

from __future__ import annotations

from ..errors import DAVError
from ..xml import parse
from . import method
from .body import read_body

POST_HANDLERS: list = []


@method("POST")
def post(ctx, resource):
    body = read_body(ctx)
    content_type = (ctx.request.mimetype or "").lower()
    root = None
    if content_type in ("text/xml", "application/xml") or body.lstrip()[:1] == b"<":
        root = parse(body)
    tag = root.tag if root is not None else None
    for handler in POST_HANDLERS:
        if handler.accepts(ctx, resource, content_type, tag):
            return handler.run(ctx, resource, body, root)
    raise DAVError(415 if root is None else 400, "unsupported POST body")
