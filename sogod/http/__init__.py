"""The WSGI application: routing, request context, errors, access log."""
