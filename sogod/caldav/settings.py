"""Per-calendar settings kept where SOGo keeps them: the owner's c_settings JSON.

``Calendar.FolderColors`` and ``Calendar.FoldersOrder`` are SOGo's own keys;
description, time zone and transparency, which SOGo does not store, live in
``Calendar.FolderDescriptions`` / ``FolderTimezones`` / ``FolderTransparencies``
(SOGo keeps unknown keys of the JSON intact).
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
    _, cal = _calendar_settings(ctx, folder.owner)
    order = cal.get("FoldersOrder") or []
    return order.index(folder.folder_id) + 1 if folder.folder_id in order else None


def set_order(ctx, folder, position: int | None) -> None:
    settings, cal = _calendar_settings(ctx, folder.owner)
    order = [f for f in (cal.get("FoldersOrder") or []) if f != folder.folder_id]
    if position is not None:
        order.insert(max(0, min(position - 1, len(order))), folder.folder_id)
    cal["FoldersOrder"] = order
    ctx.services.storage.profiles.set_settings(folder.owner, settings)
