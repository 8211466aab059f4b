"""Per-calendar settings kept where SOGo keeps them: the owner's c_settings JSON.

``Calendar.FolderColors`` and ``Calendar.FoldersOrder`` are SOGo's own keys;
description, time zone, transparency and the calendar-order number, which SOGo
does not store, live in ``Calendar.FolderDescriptions`` / ``FolderTimezones`` /
``FolderTransparencies`` / ``FolderOrders`` (SOGo keeps unknown keys of the
JSON intact).
"""

from __future__ import annotations


def _calendar_settings(ctx, owner: str) -> tuple[dict, dict]:
    _, settings = ctx.services.storage.profiles.get(owner)
    return settings, settings.setdefault("Calendar", {})


def get(ctx, folder, key: str):
    _, cal = _calendar_settings(ctx, folder.owner)
    value = cal.get(key)
    return value.get(folder.folder_id) if isinstance(value, dict) else None


def put(ctx, folder, key: str, value) -> None:
    settings, cal = _calendar_settings(ctx, folder.owner)
    table = cal.get(key) if isinstance(cal.get(key), dict) else {}
    if value is None:
        table.pop(folder.folder_id, None)
    else:
        table[folder.folder_id] = value
    cal[key] = table
    ctx.services.storage.profiles.set_settings(folder.owner, settings)


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
