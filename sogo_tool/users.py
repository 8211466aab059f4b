"""``sogo-tool user add|passwd|remove|list``: the built-in SQL user table.

Beyond SOGo, whose users live in LDAP or an SQL view the administrator
maintains; here the table named by ``SOGodEmbeddedUsersURL``.

  user add LOGIN [--cn NAME] [--mail ADDRESS] [--password-file F]
  user passwd LOGIN [--password-file F]
  user remove LOGIN
  user list

Without --password-file the password is asked twice on the terminal, or
read as one line from standard input when it is not a terminal.
"""

from __future__ import annotations

import getpass
import sys

from sogod.auth.embedded_users import EmbeddedUsers, UserTableError, check_uid


def run(defaults, args: list[str]) -> int:
    if not args or args[0] not in ("add", "passwd", "remove", "list"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    url = defaults.get("SOGodEmbeddedUsersURL")
    if not url:
        print("sogo-tool: SOGodEmbeddedUsersURL is not set in the configuration: "
              "sogod has no built-in user table to manage", file=sys.stderr)
        return 1
    users = EmbeddedUsers(url)
    action, rest = args[0], args[1:]
    try:
        users.ensure_table()
        if action == "list":
            for row in users.list():
                print("\t".join([row["c_uid"], row["c_cn"] or "", row["mail"] or ""]))
            return 0
        options, positional = _options(rest)
        if len(positional) != 1:
            print(f"usage: sogo-tool user {action} LOGIN", file=sys.stderr)
            return 2
        login = positional[0]
        if action == "remove":
            users.remove(login)
        elif action == "add":
            check_uid(login)
            users.add(login, _password(options), cn=options.get("--cn", ""), mail=options.get("--mail", ""))
        else:
            users.set_password(login, _password(options))
            _forget_cached(defaults, login)
    except UserTableError as exc:
        print(f"sogo-tool: {exc}", file=sys.stderr)
        return 1
    print(f"user {login}: {action} done")
    return 0


def _options(args):
    options, positional = {}, []
    it = iter(args)
    for arg in it:
        if arg in ("--cn", "--mail", "--password-file"):
            options[arg] = next(it, "")
        else:
            positional.append(arg)
    return options, positional


def _password(options) -> str:
    if "--password-file" in options:
        with open(options["--password-file"], encoding="utf-8") as f:
            password = f.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            raise UserTableError("the two passwords differ")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise UserTableError("empty password refused")
    return password


def _forget_cached(defaults, login: str) -> None:
    """A changed password must not keep working from the credential cache."""
    from sogod.auth.credcache import CredentialCache
    from sogod.cache import make_cache
    CredentialCache(make_cache(defaults)).forget(login)
