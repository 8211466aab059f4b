"""The WebDAV engine behind /SOGo/dav.

Kept light so that extensions (sogod.caldav, sogod.carddav) can import the
engine's modules without a cycle; ``handler`` wires everything together.
"""


def handle_dav(ctx):
    from .handler import handle_dav as handle
    return handle(ctx)
