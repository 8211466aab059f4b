"""The e-mail alarms table (OCSEMailAlarmsFolderURL, ``sogo_alarms_folder``).

One row per calendar object with a pending EMAIL alarm, keyed by the folder's
``c_path`` and the object's ``c_name`` (``GCSAlarmsFolder``). The rows are
written through :class:`sogod.store.folders.ObjectHook`\\ s so that they change in
the same transaction as the object's content and quick row when the alarms
table lives in the same database.
"""

from __future__ import annotations

from typing import Iterable, Mapping

from sqlalchemy import Connection, Engine, delete, insert

from . import tables
from .database import get_engine
from .urls import StoreURL


class EmailAlarms:
    """The alarms table of one OCSEMailAlarmsFolderURL."""

    def __init__(self, url: StoreURL):
        self.url = url
        self.table = tables.alarms_table(url.table)

    @property
    def engine(self) -> Engine:
        return get_engine(self.url)

    def replacing(self, rows: Iterable[Mapping]) -> AlarmsHook:
        """A hook replacing the object's rows by ``rows`` (c_uid, c_recurrence_id,
        c_alarm_number, c_alarm_date); no rows only removes the old ones."""
        return AlarmsHook(self, list(rows))

    def removing(self) -> AlarmsHook:
        """A hook removing the object's rows."""
        return AlarmsHook(self, [])


class AlarmsHook:
    """An ObjectHook: delete the object's alarm rows, then insert ``rows``."""

    def __init__(self, alarms: EmailAlarms, rows: list[Mapping]):
        self.alarms = alarms
        self.rows = rows

    @property
    def engine(self) -> Engine:
        return self.alarms.engine

    def __call__(self, conn: Connection, folder, name: str) -> None:
        t = self.alarms.table
        conn.execute(delete(t).where(t.c.c_path == folder.path, t.c.c_name == name))
        if self.rows:
            conn.execute(insert(t), [{**row, "c_path": folder.path, "c_name": name} for row in self.rows])
