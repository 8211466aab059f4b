"""The e-mail alarms table (OCSEMailAlarmsFolderURL, ``sogo_alarms_folder``).

One row per calendar object with a pending EMAIL alarm, keyed by the folder's
``c_path`` and the object's ``c_name`` (``GCSAlarmsFolder``). The rows are
written through :class:`sogod.store.folders.ObjectHook`\\ s so that they change in
the same transaction as the object's content and quick row when the alarms
table lives in the same database.
"""

from __future__ import annotations

from typing import Iterable, Mapping

from sqlalchemy import Connection, Engine, Row, delete, insert, select

from . import tables
from .database import get_engine, translate_errors, write_transaction
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

    def due(self, start: int, end: int) -> list[Row]:
        """Rows with ``start <= c_alarm_date <= end`` (``GCSAlarmsFolder``'s query), oldest first."""
        t = self.table
        query = (select(t).where(t.c.c_alarm_date >= start, t.c.c_alarm_date <= end)
                 .order_by(t.c.c_alarm_date, t.c.c_path, t.c.c_name))
        with translate_errors(self.url, "cannot read alarms"), self.engine.connect() as conn:
            return list(conn.execute(query))

    def replace(self, path: str, name: str, rows: Iterable[Mapping]) -> None:
        """Replace the rows of object ``name`` of folder ``path`` (c_path), in one transaction."""
        with translate_errors(self.url, "cannot write alarms"), write_transaction(self.engine) as conn:
            self.rewrite(conn, path, name, list(rows))

    def rewrite(self, conn: Connection, path: str, name: str, rows: list[Mapping]) -> None:
        t = self.table
        conn.execute(delete(t).where(t.c.c_path == path, t.c.c_name == name))
        if rows:
            conn.execute(insert(t), [{**row, "c_path": path, "c_name": name} for row in rows])


class AlarmsHook:
    """An ObjectHook: delete the object's alarm rows, then insert ``rows``."""

    def __init__(self, alarms: EmailAlarms, rows: list[Mapping]):
        self.alarms = alarms
        self.rows = rows

    @property
    def engine(self) -> Engine:
        return self.alarms.engine

    def __call__(self, conn: Connection, folder, name: str) -> None:
        self.alarms.rewrite(conn, folder.path, name, self.rows)
