"""Per-calendar settings kept where SOGo keeps them: the owner's c_settings JSON.

``Calendar.FolderColors`` and ``Calendar.FoldersOrder`` are SOGo's own keys;
description, time zone, transparency and the calendar-order number, which SOGo
does not store, live in ``Calendar.FolderDescriptions`` / ``FolderTimezones`` /
``FolderTransparencies`` / ``FolderOrders`` (SOGo keeps unknown keys of the
JSON intact). The mail receipt switches are SOGo's ``NotifyOn…`` keys, which
SOGo indexes by folder reference, not by folder id.
"""

from __future__ import annotations

from ..dav.subscriptions import reference

#: receipt switches, kept by SOGo under the folder reference (``owner:Calendar/id``), and
#: the domain keys that give their default
NOTIFY_DEFAULTS = {"NotifyOnPersonalModifications": "SOGoNotifyOnPersonalModifications",
                   "NotifyOnExternalModifications": "SOGoNotifyOnExternalModifications",
                   "NotifyUserOnPersonalModifications": None}
NOTIFIED_USER = "NotifiedUserOnPersonalModifications"


def _calendar_settings(ctx, owner: str) -> tuple[dict, dict]:
    _, settings = ctx.services.storage.profiles.get(owner)
    return settings, settings.setdefault("Calendar", {})


#: SOGo's own per-folder keys, indexed as SOGoGCSFolder -setFolderPropertyValue:inCategory:
#: does, by the folder reference (``owner:Calendar/id``); sogod's own keys use the folder id
BY_REFERENCE = frozenset({"FolderColors", "FreeBusyExclusions", "NotifyOnPersonalModifications",
                          "NotifyOnExternalModifications", "NotifyUserOnPersonalModifications",
                          "NotifiedUserOnPersonalModifications"})
#: a key sogod kept by folder id before it used SOGo's: dropped when SOGo's is written
LEGACY = {"FreeBusyExclusions": "FolderTransparencies"}


def get(ctx, folder, key: str):
    """The folder's value under ``key``: by folder reference for SOGo's keys (by id as
    sogod kept some before), by folder id for sogod's own."""
    return _value(_calendar_settings(ctx, folder.owner)[1], folder, key)


def _value(cal: dict, folder, key: str):
    value = cal.get(key)
    if not isinstance(value, dict):
        return None
    if key in BY_REFERENCE:
        found = value.get(reference(folder))
        return found if found is not None else value.get(folder.folder_id)
    return value.get(folder.folder_id)


def put(ctx, folder, key: str, value) -> None:
    """Set (None: remove) the folder's value under ``key``, in one write of the settings."""
    settings, cal = _calendar_settings(ctx, folder.owner)
    for name in (key, LEGACY.get(key)) if key in LEGACY else (key,):
        table = cal.get(name) if isinstance(cal.get(name), dict) else {}
        table.pop(folder.folder_id, None)
        if name == key and value is not None:
            table[reference(folder) if key in BY_REFERENCE else folder.folder_id] = value
        elif name == key:
            table.pop(reference(folder), None)
        cal[name] = table
    ctx.services.storage.profiles.set_settings(folder.owner, settings)


def excluded_from_freebusy(ctx, folder) -> bool:
    """SOGo's ``FreeBusyExclusions`` (the web UI's "include in free/busy", DAV's
    schedule-calendar-transp), or what sogod stored before it kept that key."""
    value = get(ctx, folder, "FreeBusyExclusions")
    if value is None:
        return get(ctx, folder, "FolderTransparencies") == "transparent"
    return value is True or str(value).strip().lower() in ("1", "true", "yes")


def receipt_switches(ctx, folder) -> dict:
    """The receipt switches of ``folder`` ({key: bool}, and ``NotifiedUserOnPersonalModifications``:
    an address or None): its own values, else the acting user's domain defaults, as SOGo's
    ``_notificationValueForKey:``."""
    _, cal = _calendar_settings(ctx, folder.owner)        # one read for all of them
    defaults = ctx.defaults.domain(ctx.user.domain if ctx.user else None)
    result = {}
    for key, domain_key in NOTIFY_DEFAULTS.items():
        value = _value(cal, folder, key)
        result[key] = (bool(domain_key) and defaults.bool(domain_key) if value is None
                       else str(value).lower() in ("1", "true", "yes"))
    result[NOTIFIED_USER] = str(_value(cal, folder, NOTIFIED_USER) or "").strip() or None
    return result


def order_of(ctx, folder) -> int | None:
    """calendar-order: the number last set (``Calendar.FolderOrders``) while SOGo's
    ``FoldersOrder`` list still agrees with the numbers, else the 1-based position
    in that list (the web UI reorders the list alone)."""
    _, cal = _calendar_settings(ctx, folder.owner)
    order = [str(f) for f in cal.get("FoldersOrder") or []]
    numbers = _numbers(cal)
    if folder.folder_id in numbers and folder.folder_id in order and _agrees(order, numbers):
        return numbers[folder.folder_id]
    return order.index(folder.folder_id) + 1 if folder.folder_id in order else None


def set_order(ctx, folder, position: int | None) -> None:
    """Store ``position`` as the folder's number and keep ``FoldersOrder`` sorted by
    the numbers (folders without one rank by their place in the list); None removes it."""
    settings, cal = _calendar_settings(ctx, folder.owner)
    old = [str(f) for f in cal.get("FoldersOrder") or []]
    numbers = _numbers(cal) if _agrees(old, _numbers(cal)) else {}
    numbers.pop(folder.folder_id, None)
    rank = {f: numbers.get(f, i + 1) for i, f in enumerate(old) if f != folder.folder_id}
    if position is not None:
        numbers[folder.folder_id] = rank[folder.folder_id] = position
    cal["FoldersOrder"] = sorted(rank, key=lambda f: rank[f])     # stable: ties keep their place
    cal["FolderOrders"] = {f: n for f, n in numbers.items() if f in rank}
    ctx.services.storage.profiles.set_settings(folder.owner, settings)


def _numbers(cal: dict) -> dict[str, int]:
    value = cal.get("FolderOrders")
    if not isinstance(value, dict):
        return {}
    return {str(k): v for k, v in value.items() if isinstance(v, int) and not isinstance(v, bool)}


def _agrees(order: list[str], numbers: dict[str, int]) -> bool:
    """True when the numbered folders appear in ``order`` by ascending number."""
    listed = [numbers[f] for f in order if f in numbers]
    return listed == sorted(listed)
