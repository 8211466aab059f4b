"""DAV methods: one module each, registered by name."""

from __future__ import annotations

from typing import Callable

METHODS: dict[str, Callable] = {}


def method(name: str):
    def decorate(fn):
        METHODS[name] = fn
        return fn
    return decorate


# the modules register themselves
from . import acl, delete, get, mkcol, options, post, propfind, proppatch, put, report  # noqa: E402,F401
