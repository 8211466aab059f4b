"""The per-request context: everything a handler may use, nothing shared."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from werkzeug.wrappers import Request

if TYPE_CHECKING:
    from ..auth.user import User
    from ..services import Services
    from .basic import Credentials


@dataclass
class RequestContext:
    request: Request
    services: "Services"
    remote_host: str
    server_url: str
    user: "User | None" = None
    # The verified login and password, for this request only: the mail
    # handlers open IMAP/SMTP/Sieve sessions with them.
    credentials: "Credentials | None" = None
    log_notes: list[str] = field(default_factory=list)

    @property
    def defaults(self):
        return self.services.defaults

    def absolute_url(self, path: str) -> str:
        return self.server_url + path
