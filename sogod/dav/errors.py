"""DAV errors: an HTTP status, a short message, optionally an RFC precondition."""

from __future__ import annotations


class DAVError(Exception):
    def __init__(self, status: int, message: str = "", precondition: str | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.precondition = precondition  # Clark name, e.g. {DAV:}propfind-finite-depth
