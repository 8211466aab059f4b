"""GNUstep's argument domain: ``-Key value`` pairs on the command line.

``sogod -WOWorkersCount 3 -WOPort 127.0.0.1:20001`` overrides those keys
over every file, as with SOGo. A value that starts like a property list
(``(``, ``{``, ``"``, ``<``) is parsed as one, so arrays and dictionaries can
be given too: ``-SOGoSuperUsernames '(admin, root)'``.
"""

from __future__ import annotations

from .plist import ConfigError, PlistError, loads
from .schema import KEYS

_PLIST_STARTS = ("(", "{", '"', "<")


def parse_args(argv: list[str]) -> tuple[dict, list[str]]:
    """``(overrides, rest)``: the ``-Key value`` pairs, and every other argument in order.

    A ``-Key`` is a dash followed by a name that starts with an upper-case
    letter or is a known key; other single-dash flags (``-h``, ``-p``),
    ``--long`` options and positional arguments go to ``rest``. The value is
    always the next argument, even when it starts with a dash (``-WOLogFile -``).
    """
    overrides: dict = {}
    rest: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        name = arg[1:]
        if arg.startswith("-") and not arg.startswith("--") and _is_key(name):
            if i + 1 >= len(argv):
                raise ConfigError(f"{arg} needs a value (e.g. {arg} {_example(name)})")
            overrides[name] = _value(name, argv[i + 1])
            i += 2
        else:
            rest.append(arg)
            i += 1
    return overrides, rest


def _is_key(name: str) -> bool:
    return bool(name) and (name[0].isupper() or name in KEYS) and "=" not in name


def _value(name: str, text: str):
    if not text.lstrip().startswith(_PLIST_STARTS):
        return text
    try:
        return loads(text, source=f"command line -{name}")
    except PlistError as exc:
        raise ConfigError(f"command line: -{name}: {exc.message}") from None


def _example(name: str) -> str:
    key = KEYS.get(name)
    if key is None or key.default is None or isinstance(key.default, (list, dict)):
        return {"bool": "YES", "int": "1", "array": "(a, b)"}.get(key.type if key else "", "VALUE")
    if isinstance(key.default, bool):
        return "YES" if key.default else "NO"
    return str(key.default)
