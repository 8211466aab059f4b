"""What one configuration key is: the record every table in ``keys_*`` is made of."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

S, D, U = "S", "D", "U"
LEVELS = (S, D, U)

TYPES = frozenset({
    "string", "bool", "int", "float", "array", "dict", "url",
    "string-or-array", "array-of-dicts", "array-of-arrays",
})
ITEM_TYPES = frozenset({"string", "int", "any"})
UNITS = frozenset({"minutes", "seconds", "KB", "MB", "days"})


@dataclass(frozen=True)
class Key:
    """One key of sogo.conf (or of a SOGoUserSources entry).

    ``level`` is where it may be set: S system only, D system or domain,
    U system, domain or user. ``default`` is what SOGo uses when the key is
    unset (None: nothing). ``item`` is the element type of an ``array``.
    ``deprecated``, when set, is the advice printed if the key is used.
    """

    name: str
    type: str
    default: Any = field(hash=False)
    level: str
    help: str
    section: str
    choices: tuple | None = None
    unit: str | None = None
    min: float | None = None
    max: float | None = None
    item: str = "string"
    deprecated: str = ""

    def __post_init__(self):
        if self.type not in TYPES:
            raise ValueError(f"{self.name}: unknown type {self.type!r}")
        if self.level not in LEVELS:
            raise ValueError(f"{self.name}: unknown level {self.level!r}")
        if self.item not in ITEM_TYPES:
            raise ValueError(f"{self.name}: unknown item type {self.item!r}")
        if self.unit is not None and self.unit not in UNITS:
            raise ValueError(f"{self.name}: unknown unit {self.unit!r}")


def table(*keys: Key) -> dict[str, Key]:
    """Keys by name; a name given twice is a mistake in the table."""
    result: dict[str, Key] = {}
    for key in keys:
        if key.name in result:
            raise ValueError(f"key {key.name!r} defined twice")
        result[key.name] = key
    return result
