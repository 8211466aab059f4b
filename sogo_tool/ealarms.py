"""sogo-ealarms-notify [--config FILE] [-Key value ...] [-p credFile] [-h]

Sends the e-mail reminders (EMAIL alarms of events and tasks) due in the last
five minutes. Run it from cron every minute, as the sogo user; it prints
nothing unless something failed. It does nothing unless SOGoEnableEMailAlarms
is YES and OCSEMailAlarmsFolderURL is set.

  -p credFile   a file holding one line username:password, the SMTP AUTH login
                used when SOGoSMTPAuthenticationType is PLAIN
  -h            this message
"""

from __future__ import annotations

import sys

from sogod.auth.sources import SourceError
from sogod.caldav.ealarms import Notifier, SMTPCredentials
from sogod.config import ConfigError, parse_args
from sogod.server.settings import parse_command_line
from sogod.services import Services
from sogod.store import StoreError

from .cli import load_defaults
from .credentials import CredentialsError, read_credentials

PROG = "sogo-ealarms-notify"


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    overrides, rest = parse_args(argv)
    creds_file, others = None, []
    args = iter(rest)
    for arg in args:
        if arg in ("-h", "--help"):
            print(__doc__.strip())
            return 0
        if arg == "-p":
            creds_file = next(args, None)
            if creds_file is None:
                print(f"{PROG}: -p needs a credentials file (see -h)", file=sys.stderr)
                return 2
        else:
            others.append(arg)
    try:
        cmd = parse_command_line(others)
        cmd.overrides = overrides
        credentials = SMTPCredentials(*read_credentials(creds_file)) if creds_file else None
        defaults = load_defaults(cmd)
        if not (defaults.bool("SOGoEnableEMailAlarms") and defaults.get("OCSEMailAlarmsFolderURL")):
            return 0
        _sent, errors = Notifier(Services(defaults), credentials).run()
    except (ConfigError, CredentialsError, StoreError, SourceError) as exc:
        errors = [str(exc)]
    for error in errors:
        print(f"{PROG}: {error}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
