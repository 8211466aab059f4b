"""Logging in SOGo's format: ``Mon DD HH:MM:SS sogod [pid]: message``.

Everything goes to one stream, ``WOLogFile`` (``-`` = the console), as in
SOGo, so fail2ban filters written for SOGo's log keep working.
"""

from __future__ import annotations

import logging
import os
import sys
import time

LOGGER_NAME = "sogod"


class SOGoFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%b %d %H:%M:%S", time.localtime(record.created))
        message = record.getMessage()
        if record.exc_info and record.levelno >= logging.ERROR:
            # One line, never a traceback in the admin's log: the type and message say enough.
            exc = record.exc_info[1]
            message = f"{message}: {type(exc).__name__}: {exc}"
        return f"{stamp} sogod [{os.getpid()}]: {message}"


def open_log_stream(log_file: str):
    """The stream for WOLogFile; '-' is standard error."""
    if not log_file or log_file == "-":
        return sys.stderr
    return open(log_file, "a", buffering=1, encoding="utf-8")


def setup_logging(log_file: str, *, debug: bool = False) -> logging.Handler:
    """Route the 'sogod' and 'gunicorn' loggers to WOLogFile in SOGo's format."""
    handler = logging.StreamHandler(open_log_stream(log_file))
    handler.setFormatter(SOGoFormatter())
    for name in (LOGGER_NAME, "gunicorn.error"):
        logger = logging.getLogger(name)
        for old in list(logger.handlers):
            logger.removeHandler(old)
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG if debug else logging.INFO)
        logger.propagate = False
    return handler


def get_logger(name: str = "") -> logging.Logger:
    return logging.getLogger(f"{LOGGER_NAME}.{name}" if name else LOGGER_NAME)


def quoted_name(text: str) -> str:
    """A client-supplied name fit for a log line between quotes: no quote, no
    control character (a forged newline would fake a log line for fail2ban)."""
    return "".join(c for c in str(text)[:256] if c != "'" and c.isprintable())
