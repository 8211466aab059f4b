"""The sogod master: gunicorn's arbiter, embedded and configured from sogo.conf.

SOGo's watchdog keys map onto gunicorn settings: ``WOWorkersCount`` →
workers, ``WOListenQueueSize`` → backlog, ``WOWatchDogRequestTimeout``
(minutes) → timeout, ``WOPort`` → bind. ``SxVMemLimit`` is enforced by the
worker after each response. SIGHUP re-reads sogo.conf and replaces the
workers gracefully; a broken sogo.conf on reload keeps the old one.
"""

from __future__ import annotations

import logging
import sys

import gunicorn.util
from gunicorn import glogging
from gunicorn.app.base import BaseApplication

from ..config import ConfigError
from .logs import SOGoFormatter, get_logger
from .settings import ServerSettings, load_settings
from .worker import SogodWorker

log = get_logger("master")


def _sogod_title(title: str) -> None:
    # gunicorn calls this with "master [name]" / "worker [name]".
    from setproctitle import setproctitle
    setproctitle("sogod: " + title.split(" ", 1)[0])


gunicorn.util._setproctitle = _sogod_title


class GunicornLogger(glogging.Logger):
    """gunicorn's logger writing SOGo's log format into WOLogFile."""

    def setup(self, cfg):
        super().setup(cfg)
        handlers = list(self.error_log.handlers)
        for handler in handlers:
            handler.setFormatter(SOGoFormatter())
        sogod = logging.getLogger("sogod")
        sogod.handlers = handlers
        sogod.setLevel(logging.DEBUG if cfg.loglevel == "debug" else logging.INFO)
        sogod.propagate = False

    def exception(self, msg, *args, **kwargs):
        exc = sys.exc_info()[1]
        if isinstance(exc, TimeoutError):
            self.error_log.info("client stalled, connection closed after the receive timeout")
            return
        super().exception(msg, *args, **kwargs)

    def access(self, resp, req, environ, request_time):
        """Access lines are written by sogod.http.accesslog, for every mode."""


class SogodMaster(BaseApplication):
    def __init__(self, settings: ServerSettings):
        self.settings = settings
        super().__init__(usage=None, prog="sogod")

    def load_config(self):
        s = self.settings
        values = {
            "bind": [s.bind],
            "workers": s.workers,
            "backlog": s.backlog,
            "timeout": s.watchdog_seconds,
            "graceful_timeout": max(30, s.watchdog_seconds),
            "keepalive": 0,
            "worker_class": "sogod.server.worker.SogodWorker",
            "pidfile": s.pid_file,
            "errorlog": s.log_file or "-",
            "capture_output": bool(s.log_file and s.log_file != "-"),
            "accesslog": None,
            "logger_class": "sogod.server.master.GunicornLogger",
            "loglevel": "debug" if s.debug else "info",
            "proc_name": "sogod",
            "user": s.run_uid,
            "group": s.run_gid,
            "umask": 0o027,
            "post_request": _after_request,
            "post_fork": _post_fork,
            "limit_request_line": 8190,
            "forwarded_allow_ips": "",
        }
        if "control_socket_disable" in self.cfg.settings:
            values["control_socket_disable"] = True
        for key, value in values.items():
            self.cfg.set(key, value)
        SogodWorker.receive_timeout = s.receive_timeout
        SogodWorker.memory_limit_mb = s.memory_limit_mb

    def reload(self):
        """SIGHUP: re-read sogo.conf; on error keep running with the old one."""
        try:
            self.settings = load_settings(self.settings.argv)
        except ConfigError as exc:
            log.error("configuration not reloaded, keeping the running one: %s", exc)
            return
        for warning in self.settings.warnings:
            log.warning("%s", warning)
        log.info("configuration reloaded from %s", self.settings.config_path)
        super().reload()
        # Workers are built after fork from the new settings.
        self.callable = None

    def load(self):
        from ..http.app import create_app
        return create_app(self.settings.defaults)


def _post_fork(server, worker):
    # Connections and clients from the master must not be shared with children.
    from ..store import database
    database.dispose_all()


def _after_request(worker, req, environ, resp):
    if isinstance(worker, SogodWorker):
        worker.check_memory()
