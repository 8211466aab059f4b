"""Reading a request body within the configured limits."""

from __future__ import annotations

from ..errors import DAVError
from ..xml import MAX_XML_BODY


def read_body(ctx, limit: int = MAX_XML_BODY) -> bytes:
    request = ctx.request
    length = request.content_length
    cap = min(limit, ctx.services.max_upload_bytes or limit)
    if length is not None and length > cap:
        raise DAVError(413, "request body too large")
    data = request.stream.read(cap + 1)
    if len(data) > cap:
        raise DAVError(413, "request body too large")
    return data
