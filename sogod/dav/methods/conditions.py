"""If-Match / If-None-Match (RFC 7232) on DAV objects."""

from __future__ import annotations

from ..errors import DAVError


def _tags(header: str) -> list[str]:
    return [t.strip() for t in header.split(",") if t.strip()]


def check_preconditions(ctx, current_etag: str | None, *, for_write: bool) -> None:
    """Raise 412 (or 304 for reads) when the client's conditions do not hold.

    ``current_etag`` None means the resource does not exist. Unlike SOGo,
    ``If-None-Match: *`` on an existing resource is refused (RFC 7232).
    """
    headers = ctx.request.headers
    if_match = headers.get("If-Match")
    if if_match is not None:
        tags = _tags(if_match)
        if current_etag is None or not ("*" in tags or current_etag in tags or
                                        current_etag.strip('"') in [t.strip('"') for t in tags]):
            raise DAVError(412, "If-Match failed")
    if_none_match = headers.get("If-None-Match")
    if if_none_match is not None and current_etag is not None:
        tags = _tags(if_none_match)
        if "*" in tags or current_etag in tags:
            raise DAVError(412 if for_write else 304, "If-None-Match failed")
