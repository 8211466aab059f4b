"""``sogo-tool expire-sessions MINUTES``: drop web sessions idle that long.

As SOGo's: rows of ``OCSSessionsFolderURL`` whose ``c_lastseen`` is older than
MINUTES are deleted; a copy still in memcached ages out after
``SOGoCacheCleanupInterval``. Run it from cron every minute.
"""

from __future__ import annotations

import sys

from sogod.store import Storage
from sogod.store.database import StoreError


def run(defaults, args: list[str]) -> int:
    if len(args) != 1 or not args[0].isdigit():
        print("usage: sogo-tool expire-sessions MINUTES", file=sys.stderr)
        return 2
    if not defaults.get("OCSSessionsFolderURL"):
        print("sogo-tool: OCSSessionsFolderURL is not set: there are no web sessions to expire",
              file=sys.stderr)
        return 1
    try:
        storage = Storage.from_config(defaults)
        storage.create_missing_tables()
        storage.sessions.expire(int(args[0]) * 60)
    except StoreError as exc:
        print(f"sogo-tool: {exc}", file=sys.stderr)
        return 1
    return 0                # silent: cron mails whatever a job prints
