"""The sogod worker: gunicorn's sync worker with SOGo's per-connection rules.

One request per connection (SOGo closes after every response), a bounded
read timeout so a client that stalls cannot pin the worker, the process
title ``sogod: worker``, and recycling over ``SxVMemLimit``.
"""

from __future__ import annotations

from gunicorn.workers.sync import SyncWorker

from .memory import resident_mb
from .logs import get_logger

log = get_logger("worker")


class SogodWorker(SyncWorker):
    receive_timeout: float = 120.0
    memory_limit_mb: int = 0

    def handle(self, listener, client, addr):
        # A stalled read raises TimeoutError inside gunicorn's handler, which
        # closes the connection; GunicornLogger turns its report into one line.
        client.settimeout(self.receive_timeout)
        super().handle(listener, client, addr)

    def check_memory(self) -> None:
        """Called after each response: exit (and be replaced) over the limit."""
        if self.memory_limit_mb <= 0:
            return
        used = resident_mb()
        if used > self.memory_limit_mb:
            log.info("terminating app, memory limit (%d MB) has been reached (currently %d MB resident)",
                     self.memory_limit_mb, used)
            self.alive = False
