"""OPTIONS: the DAV classes and methods of a resource."""

from werkzeug.wrappers import Response

from . import method


@method("OPTIONS")
def options(ctx, resource):
    response = Response("", status=200, mimetype="text/plain")
    response.headers["Allow"] = ", ".join(resource.methods)
    response.headers["DAV"] = ", ".join(resource.dav_classes)
    return response
