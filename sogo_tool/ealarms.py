"""``sogo-ealarms-notify``: e-mail reminders (cron, every minute).

Not built yet: it needs the alarms of the CalDAV work and SMTP. It says so
and exits with status 2 instead of pretending to run.
"""

import sys


def main(argv=None) -> int:
    print("sogo-ealarms-notify: e-mail alarms are not implemented in this version of sogod",
          file=sys.stderr)
    return 2
