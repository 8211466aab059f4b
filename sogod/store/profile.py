"""User defaults and settings (SOGoProfileURL, ``sogo_user_profile``).

Each value is a JSON object in its own column. As ``SOGoSQLUserProfile``, the
first write of a user inserts a row holding only the column written (the other
stays NULL, e.g. ``c_defaults`` NULL next to saved settings); later writes
update that one column.
"""

from __future__ import annotations

import json
import logging

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from . import tables
from .database import StoreError, get_engine, translate_errors, write_transaction
from .urls import StoreURL, redact_url

log = logging.getLogger(__name__)

DEFAULTS, SETTINGS = "c_defaults", "c_settings"


CACHE_SUFFIX = {DEFAULTS: "+defaults", SETTINGS: "+settings"}


class ProfileStore:
    """``cache``, when set, is the shared cache: a running SOGo keeps each
    profile there under ``<uid>+defaults`` / ``<uid>+settings``, so every
    write drops that entry or SOGo would serve the old value for minutes."""

    def __init__(self, url: StoreURL, cache=None):
        self.url = url
        self.table = tables.user_profile_table(url.table)
        self.cache = cache

    def get(self, uid: str) -> tuple[dict, dict]:
        """(defaults, settings) of ``uid``; empty dicts for a missing row or NULL."""
        t = self.table
        with translate_errors(self.url, "cannot read profile"), get_engine(self.url).connect() as conn:
            row = conn.execute(select(t.c.c_defaults, t.c.c_settings).where(t.c.c_uid == uid)).first()
        if row is None:
            return {}, {}
        return _decode(uid, DEFAULTS, row.c_defaults), _decode(uid, SETTINGS, row.c_settings)

    def set_defaults(self, uid: str, defaults: dict) -> None:
        self._store(uid, DEFAULTS, defaults)

    def set_settings(self, uid: str, settings: dict) -> None:
        self._store(uid, SETTINGS, settings)

    def _store(self, uid: str, column: str, value: dict) -> None:
        if not isinstance(value, dict):
            raise TypeError(f"{column} must be a dict, not {type(value).__name__}")
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        t = self.table
        engine = get_engine(self.url)
        with translate_errors(self.url, f"cannot store {column} of {uid}"):
            for _attempt in range(2):
                try:
                    with write_transaction(engine) as conn:
                        result = conn.execute(update(t).where(t.c.c_uid == uid).values({column: text}))
                        if result.rowcount == 0:
                            conn.execute(insert(t).values({"c_uid": uid, column: text}))
                    if self.cache is not None:
                        self.cache.delete(uid + CACHE_SUFFIX[column])
                    return
                except IntegrityError:      # inserted meanwhile by another process: update
                    continue
        raise StoreError(f"{redact_url(self.url.original)}: cannot store {column} of {uid}: row keeps changing")


def _decode(uid: str, column: str, text: str | None) -> dict:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        # SOGo < 2 stored property lists; SOGo converts them, sogod ignores them.
        log.warning("%s of %s is not JSON (legacy property list?): ignored", column, uid)
        return {}
    if not isinstance(value, dict):
        log.warning("%s of %s is not a JSON object: ignored", column, uid)
        return {}
    return value
