"""Who the request being answered acts for, for sources that bind as the user
(``bindAsCurrentUser``). Set when a login succeeds, cleared before each request;
one request at a time per worker, so a context variable is enough."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ActingUser:
    uid: str
    source_id: str
    dn: str | None
    password: str = field(repr=False)


_acting: ContextVar[ActingUser | None] = ContextVar("sogod_acting_user", default=None)


def act_as(user, password: str) -> None:
    _acting.set(ActingUser(user.uid, user.source_id, user.attributes.get("dn"), password))


def acting() -> ActingUser | None:
    return _acting.get()


def clear() -> None:
    _acting.set(None)
