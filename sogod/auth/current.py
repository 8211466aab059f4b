"""Who the request being answered acts for, for sources that bind as the user
(``bindAsCurrentUser``). Set when a login succeeds, cleared before each request;
one request at a time per worker, so a context variable is enough."""

from __future__ import annotations

import dataclasses
from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ActingUser:
    uid: str
    source_id: str
    dn: str | None
    password: str = field(repr=False)
    # source id -> the user's DN there (None: not found), looked up once per request
    dns: dict = field(default_factory=dict, repr=False, compare=False)


_acting: ContextVar[ActingUser | None] = ContextVar("sogod_acting_user", default=None)


def act_as(user, password: str) -> None:
    _acting.set(ActingUser(user.uid, user.source_id, user.attributes.get("dn"), password))


def acting() -> ActingUser | None:
    return _acting.get()


def update_password(password: str) -> None:
    """The acting user's password just changed: the rest of the request binds with the new one."""
    user = _acting.get()
    if user is not None:
        _acting.set(dataclasses.replace(user, password=password))


def clear() -> None:
    _acting.set(None)
