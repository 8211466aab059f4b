"""``sogod``: start the server.

    sogod [--config FILE] [--embedded DIR] [--check] [-Key value ...]

``-Key value`` overrides any sogo.conf key, as SOGo's GNUstep argument domain
does (``sogod -WOWorkersCount 3 -WOPort 127.0.0.1:20001``).
"""

from __future__ import annotations

import sys

from .. import __version__
from ..config import ConfigError
from ..store.urls import StoreURLError
from .settings import ServerSettings, load_settings, parse_command_line

USAGE = __doc__


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("-h", "--help"):
        print(USAGE.strip())
        return 0
    if argv and argv[0] == "--version":
        print(f"sogod {__version__}")
        return 0
    try:
        cmd = parse_command_line(argv)
        if cmd.embedded_dir:
            from .embedded import prepare_embedded
            cmd = prepare_embedded(cmd)
        settings = load_settings(cmd)
        _check_storage(settings)
    except (ConfigError, StoreURLError) as exc:
        print(f"sogod: {exc}", file=sys.stderr)
        return 1
    for warning in settings.warnings:
        print(f"sogod: warning: {warning}", file=sys.stderr)
    if cmd.check_only:
        print(f"sogod: configuration OK ({settings.config_path or 'built-in defaults'})")
        return 0
    if cmd.embedded_dir:
        from .embedded import print_welcome
        print_welcome(settings)
    return run(settings)


def _check_storage(settings: ServerSettings) -> None:
    """Fail at start-up, with a clear message, on storage the workers cannot use."""
    from ..store import Storage, StoreError
    try:
        storage = Storage.from_config(settings.defaults)
        storage.create_missing_tables()
    except StoreError as exc:
        raise ConfigError(str(exc)) from None
    finally:
        from ..store import database
        database.dispose_all()


def run(settings: ServerSettings) -> int:
    from .logs import setup_logging
    if settings.log_file != "-":
        try:
            open(settings.log_file, "a").close()
        except OSError as exc:
            print(f"sogod: cannot open WOLogFile {settings.log_file}: {exc.strerror}", file=sys.stderr)
            return 1
    if not settings.use_watchdog:
        setup_logging(settings.log_file, debug=settings.debug)
        from .single import serve_single_process
        return serve_single_process(settings)
    if not settings.no_detach:
        from gunicorn.util import daemonize
        daemonize(enable_stdio_inheritance=False)
    from .master import SogodMaster
    SogodMaster(settings).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
