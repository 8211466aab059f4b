"""Web sessions (OCSSessionsFolderURL, ``sogo_sessions_folder``).

One row per web login: ``c_id`` the session key, ``c_value`` the secured
credential blob (VARCHAR(4096) since SOGo 5.6; tables created by 3.x-5.5 have
255 and reject longer values), ``c_creationdate`` and ``c_lastseen`` in epoch
seconds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cached_property
from typing import Callable

from sqlalchemy import delete, insert, inspect, select, update
from sqlalchemy.exc import IntegrityError

from . import tables
from .database import StoreError, get_engine, translate_errors, write_transaction
from .urls import StoreURL

MAX_VALUE_LENGTH = 4096


@dataclass(frozen=True)
class Session:
    id: str
    value: str
    creationdate: int
    lastseen: int


class SessionStore:
    def __init__(self, url: StoreURL, clock: Callable[[], float] = time.time):
        self.url = url
        self.table = tables.sessions_table(url.table)
        self.clock = clock

    def _now(self) -> int:
        return int(self.clock())

    @cached_property
    def value_width(self) -> int:
        """How long a c_value the table takes: 4096 since SOGo 5.6, 255 in tables
        created by 3.x-5.5 (read from the database; 4096 when it does not say)."""
        try:
            with translate_errors(self.url, "cannot inspect the sessions table"):
                columns = inspect(get_engine(self.url)).get_columns(self.url.table)
        except StoreError:
            return MAX_VALUE_LENGTH
        for column in columns:
            if column["name"].lower() == "c_value":
                length = getattr(column["type"], "length", None)
                return min(int(length), MAX_VALUE_LENGTH) if length else MAX_VALUE_LENGTH
        return MAX_VALUE_LENGTH

    def get(self, session_id: str) -> Session | None:
        t = self.table
        with translate_errors(self.url, "cannot read session"), get_engine(self.url).connect() as conn:
            row = conn.execute(select(t).where(t.c.c_id == session_id)).first()
        if row is None:
            return None
        return Session(row.c_id, row.c_value, row.c_creationdate, row.c_lastseen)

    def put(self, session_id: str, value: str) -> Session:
        """Create the session, or replace its value (creation date kept)."""
        if len(value) > MAX_VALUE_LENGTH:
            raise ValueError(f"session value longer than {MAX_VALUE_LENGTH} characters")
        t = self.table
        now = self._now()
        with translate_errors(self.url, "cannot store session"):
            for _attempt in range(2):
                try:
                    with write_transaction(get_engine(self.url)) as conn:
                        result = conn.execute(update(t).where(t.c.c_id == session_id)
                                              .values(c_value=value, c_lastseen=now))
                        if result.rowcount == 0:
                            conn.execute(insert(t).values(c_id=session_id, c_value=value,
                                                          c_creationdate=now, c_lastseen=now))
                    break
                except IntegrityError:
                    continue
        return self.get(session_id) or Session(session_id, value, now, now)

    def touch(self, session_id: str) -> bool:
        """Set c_lastseen to now; False when the session does not exist."""
        t = self.table
        with translate_errors(self.url, "cannot touch session"), \
                write_transaction(get_engine(self.url)) as conn:
            result = conn.execute(update(t).where(t.c.c_id == session_id).values(c_lastseen=self._now()))
        return result.rowcount > 0

    def delete(self, session_id: str) -> bool:
        t = self.table
        with translate_errors(self.url, "cannot delete session"), \
                write_transaction(get_engine(self.url)) as conn:
            result = conn.execute(delete(t).where(t.c.c_id == session_id))
        return result.rowcount > 0

    def expire(self, older_than_seconds: int) -> int:
        """Delete sessions not seen for ``older_than_seconds``; return how many."""
        t = self.table
        limit = self._now() - int(older_than_seconds)
        with translate_errors(self.url, "cannot expire sessions"), \
                write_transaction(get_engine(self.url)) as conn:
            result = conn.execute(delete(t).where(t.c.c_lastseen < limit))
        return result.rowcount
