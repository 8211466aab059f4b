"""``sogo-tool dump-defaults``: the effective configuration as an OpenStep plist.

No argument or ``all``: every key of the schema with its effective value
(command line > sogo.conf > built-in). ``-f FILE``: re-emit any plist
(XML or text) in OpenStep text format, as SOGo's tool does.
"""

from __future__ import annotations

import sys

from sogod.config import dumps, load_file


def run(defaults, args: list[str]) -> int:
    if args and args[0] not in ("all",):
        print("usage: sogo-tool dump-defaults [all | -f FILE]", file=sys.stderr)
        return 2
    effective = {k: v for k, v in defaults.effective().items() if v is not None}
    sys.stdout.write(dumps(effective, sort_keys=True) + "\n")
    return 0


def run_file(args: list[str]) -> int:
    if len(args) != 1:
        print("usage: sogo-tool dump-defaults -f FILE", file=sys.stderr)
        return 2
    sys.stdout.write(dumps(load_file(args[0])) + "\n")
    return 0
