"""``WOUseWatchDog = NO``: one process answers every request, as in SOGo."""

from __future__ import annotations

import os
import signal

from setproctitle import setproctitle
from werkzeug.serving import WSGIRequestHandler, make_server

from .logs import get_logger
from .settings import ServerSettings

log = get_logger("single")


class _QuietHandler(WSGIRequestHandler):
    # sogod.http.accesslog writes the access line; werkzeug's own is dropped.
    def log_request(self, *args, **kwargs):
        pass

    def log(self, type, message, *args):
        log.info(message, *args)


def serve_single_process(settings: ServerSettings) -> int:
    from ..http.app import create_app
    host, _, port = settings.bind.rpartition(":")
    setproctitle("sogod: single")
    server = make_server(host.strip("[]"), int(port), create_app(settings.defaults),
                         threaded=False, request_handler=_QuietHandler)
    server.socket.settimeout(None)
    if settings.pid_file:
        with open(settings.pid_file, "w") as f:
            f.write(str(os.getpid()))
    signal.signal(signal.SIGTERM, _stop)
    log.info("sogod listening on %s (single process, no watchdog)", settings.bind)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        if settings.pid_file and os.path.exists(settings.pid_file):
            os.unlink(settings.pid_file)
    return 0


def _stop(signum, frame):
    raise KeyboardInterrupt
