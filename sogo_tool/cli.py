"""``sogo-tool [--config FILE] [-Key value …] <command> [args]``.

Commands:
  dump-defaults [all | -f FILE]     print configuration as a plist
  user add|passwd|remove|list       manage the built-in SQL user table
  expire-sessions MINUTES           drop web sessions idle that long
"""

from __future__ import annotations

import os
import sys

from sogod.config import ConfigError, load_system_defaults
from sogod.server.settings import DEFAULT_CONFIG, CommandLine, parse_command_line

from . import dump_defaults, expire_sessions, users

COMMANDS = {
    "dump-defaults": dump_defaults.run,
    "user": users.run,
    "expire-sessions": expire_sessions.run,
}


class ToolError(Exception):
    """A clear message for the administrator; exit status 1."""


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command_at = next((i for i, a in enumerate(argv) if a in COMMANDS), None)
    if command_at is None or argv[:1] in (["-h"], ["--help"]):
        print(__doc__.strip(), file=sys.stderr if command_at is None and argv[:1] not in (["-h"], ["--help"]) else sys.stdout)
        return 0 if argv[:1] in (["-h"], ["--help"]) else 2
    global_args, command, args = argv[:command_at], argv[command_at], argv[command_at + 1:]
    try:
        cmd = parse_command_line(global_args)
        if command == "dump-defaults" and args[:1] == ["-f"]:
            return dump_defaults.run_file(args[1:])
        return COMMANDS[command](load_defaults(cmd), args)
    except (ConfigError, ToolError) as exc:
        print(f"sogo-tool: {exc}", file=sys.stderr)
        return 1


def load_defaults(cmd: CommandLine):
    """The defaults chain of ``--config FILE`` and ``-Key value`` (no /etc/sogo/sogo.conf: built-ins)."""
    config_path = cmd.config_path
    if config_path == DEFAULT_CONFIG and not os.path.exists(DEFAULT_CONFIG):
        config_path = None
    return load_system_defaults(config_path, cmd.overrides)
