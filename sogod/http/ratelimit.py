"""Per-user request limits (guide: SOGoMaximumRequestCount,
SOGoMaximumRequestInterval, SOGoRequestBlockInterval).

A user who makes more than ``max_count`` requests within ``interval`` seconds
gets 429 answers until ``block`` seconds after the start of that window
(``RequestCount`` above the maximum marks the block). The
count lives in the shared cache under SOGo's key ``<login>+requestcount``
(``{"RequestCount", "InitialDate"}``), so every worker and host count together.
Unlike SOGo, which takes the login from the URL before authentication (anyone
could then lock anyone out), the count is kept for the authenticated user.
"""

from __future__ import annotations

import json
import time


class RequestLimiter:
    def __init__(self, cache, max_count: int, interval: int, block: int, clock=time.time):
        self.cache, self.max_count, self.interval, self.block = cache, max_count, interval, block
        self.clock = clock

    @classmethod
    def from_config(cls, defaults, cache) -> "RequestLimiter":
        return cls(cache, defaults.int("SOGoMaximumRequestCount"),
                   defaults.int("SOGoMaximumRequestInterval"), defaults.int("SOGoRequestBlockInterval"))

    def allow(self, login: str) -> bool:
        """Count one request of ``login``; False when it must be refused (429)."""
        if self.max_count <= 0:
            return True
        key = f"{login}+requestcount"
        now = int(self.clock())
        try:
            data = json.loads(self.cache.get(key) or "{}")
            count, first = int(data.get("RequestCount", 0)), int(data.get("InitialDate", now))
        except (ValueError, TypeError, AttributeError):
            count, first = 0, now
        if count > self.max_count and now - first <= self.block:
            return False                                    # blocked
        if count > self.max_count or now - first > self.interval:
            count, first = 0, now                           # a new window
        count += 1
        self.cache.set(key, json.dumps({"RequestCount": count, "InitialDate": first}))
        return count <= self.max_count                      # one too many starts the block
