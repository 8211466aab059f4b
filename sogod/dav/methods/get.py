"""GET and HEAD of objects and exports."""

from __future__ import annotations

from werkzeug.wrappers import Response

from ..errors import DAVError
from . import method
from .conditions import check_preconditions


@method("GET")
def get(ctx, resource):
    render = getattr(resource, "render", None)
    if render is None:
        raise DAVError(501 if resource.is_collection else 404, "no content to GET here")
    etag = getattr(resource, "etag", None)
    check_preconditions(ctx, etag, for_write=False)
    body, content_type = render(ctx)
    response = Response(body, status=200, content_type=content_type)
    if etag:
        response.headers["ETag"] = etag
    return response


@method("HEAD")
def head(ctx, resource):
    # werkzeug sends the headers of the GET response (Content-Length included) without the body.
    return get(ctx, resource)
