"""SQLAlchemy Core tables identical to the ones SOGo creates.

Each factory takes the table name (SOGo takes it from the last segment of the
configured URL) and returns a ``Table`` in its own ``MetaData``. Column names,
types, nullability, defaults and primary keys follow what SOGo 5.8 runs:

* ``UI/MainUI/*.sql`` (profile, folder info, combined store/acl/cache),
* ``GCSSpecialQueries.m`` (content, ACL, sessions and alarms tables),
* ``appointment.ocs`` / ``contact.ocs`` (quick tables, combined or not),
* ``GCSSpecialQueries+SOGoCacheObject.m`` (per-user EAS cache tables),

checked against ``pg_dump`` of a real SOGo database (tests/test_store_compat.py).
MySQL gets SOGo's MySQL types through variants: ``MEDIUMTEXT`` content,
``LONGTEXT`` cache content, ``TINYINT UNSIGNED`` cache type.

``sogo_folder_info.c_folder_id`` is ``SERIAL`` on PostgreSQL and MySQL, as in
SOGo's single ``OCSFolderInfo.sql``; it is not the primary key (``c_path`` is).
SQLite (a sogod addition, unknown to SOGo) gets a plain INTEGER that
:mod:`sogod.store.folders` fills with ``max + 1`` inside the insert.
"""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import (
    Column, FetchedValue, Index, Integer, MetaData, PrimaryKeyConstraint, SmallInteger, String,
    Table, Text, text,
)
from sqlalchemy.dialects.mysql import LONGTEXT, MEDIUMTEXT, TINYINT
from sqlalchemy.ext.compiler import compiles

MYSQL = ("mysql", "mariadb")

#: c_content of content tables and sogo_store (SOGo's MySQL scripts: MEDIUMTEXT)
CONTENT_TEXT = Text().with_variant(MEDIUMTEXT(), *MYSQL)
#: c_content of EAS cache tables (MySQL: LONGTEXT)
CACHE_TEXT = Text().with_variant(LONGTEXT(), *MYSQL)
#: c_type of EAS cache tables (MySQL: TINYINT UNSIGNED)
CACHE_TYPE = SmallInteger().with_variant(TINYINT(unsigned=True), *MYSQL)
#: c_deleted of EAS cache tables (MySQL: TINYINT)
CACHE_FLAG = SmallInteger().with_variant(TINYINT(), *MYSQL)
#: c_defaults of the profile table (MySQL: MEDIUMTEXT since SOGo 5.9's SOGoProfile-mysql.sql;
#: 5.8 created TEXT and Scripts/sql-update-5.8.4_to_5.9.0.sh widens it)
PROFILE_TEXT = Text().with_variant(MEDIUMTEXT(), *MYSQL)


class Serial(Integer):
    """``SERIAL`` on PostgreSQL (integer + owned sequence) and MySQL
    (BIGINT UNSIGNED NOT NULL AUTO_INCREMENT UNIQUE), ``INTEGER`` elsewhere."""

    cache_ok = True


@compiles(Serial)
def _serial_default(type_, compiler, **kw):
    return "INTEGER"


@compiles(Serial, "postgresql")
@compiles(Serial, "mysql")
@compiles(Serial, "mariadb")
def _serial(type_, compiler, **kw):
    return "SERIAL"


def _varchar(name: str, length: int = 255, nullable: bool = True, **kw) -> Column:
    return Column(name, String(length), nullable=nullable, **kw)


def _int(name: str, nullable: bool = True, **kw) -> Column:
    return Column(name, Integer(), nullable=nullable, **kw)


# --- tables configured by URL -------------------------------------------------

@lru_cache(maxsize=64)
def user_profile_table(name: str = "sogo_user_profile") -> Table:
    """SOGoProfileURL: JSON user defaults and settings."""
    return Table(
        name, MetaData(),
        _varchar("c_uid", nullable=False, primary_key=True),
        Column("c_defaults", PROFILE_TEXT),
        Column("c_settings", Text()),
    )


@lru_cache(maxsize=64)
def folder_info_table(name: str = "sogo_folder_info") -> Table:
    """OCSFolderInfoURL: one row per calendar / address book."""
    return Table(
        name, MetaData(),
        Column("c_folder_id", Serial(), nullable=False, server_default=FetchedValue()),
        _varchar("c_path", nullable=False, primary_key=True),
        _varchar("c_path1", nullable=False),
        _varchar("c_path2"),
        _varchar("c_path3"),
        _varchar("c_path4"),
        _varchar("c_foldername", nullable=False),
        _varchar("c_location", 2048),
        _varchar("c_quick_location", 2048),
        _varchar("c_acl_location", 2048),
        _varchar("c_folder_type", nullable=False),
    )


@lru_cache(maxsize=64)
def sessions_table(name: str = "sogo_sessions_folder") -> Table:
    """OCSSessionsFolderURL (c_value is VARCHAR(4096) since 5.6; 255 before)."""
    return Table(
        name, MetaData(),
        _varchar("c_id", nullable=False, primary_key=True),
        _varchar("c_value", 4096, nullable=False),
        _int("c_creationdate", nullable=False),
        _int("c_lastseen", nullable=False),
    )


@lru_cache(maxsize=64)
def alarms_table(name: str = "sogo_alarms_folder") -> Table:
    """OCSEMailAlarmsFolderURL: pending e-mail reminders (no primary key)."""
    return Table(
        name, MetaData(),
        _varchar("c_path", nullable=False),
        _varchar("c_name", nullable=False),
        _varchar("c_uid", nullable=False),
        _int("c_recurrence_id"),
        _int("c_alarm_number", nullable=False),
        _int("c_alarm_date", nullable=False),
    )


# --- per-folder tables (default mode) -----------------------------------------

def _content_columns() -> list[Column]:
    return [
        Column("c_content", CONTENT_TEXT, nullable=False),
        _int("c_creationdate", nullable=False),
        _int("c_lastmodified", nullable=False),
        _int("c_version", nullable=False),
        _int("c_deleted"),
    ]


@lru_cache(maxsize=512)
def content_table(name: str) -> Table:
    """A folder's content table ``sogo<uid8><hex3><hex8>``."""
    return Table(name, MetaData(), _varchar("c_name", nullable=False, primary_key=True),
                 *_content_columns())


@lru_cache(maxsize=512)
def acl_table(name: str) -> Table:
    """A folder's ``…_acl`` table (no primary key, no index)."""
    return Table(
        name, MetaData(),
        _varchar("c_uid", nullable=False),
        _varchar("c_object", nullable=False),
        _varchar("c_role", 80, nullable=False),
    )


def _appointment_quick_columns() -> list[Column]:
    return [
        _varchar("c_uid", nullable=False),
        _int("c_startdate"),
        _int("c_enddate"),
        _int("c_cycleenddate"),
        _varchar("c_title", 1000, nullable=False),
        Column("c_participants", Text()),
        _int("c_isallday"),
        _int("c_iscycle"),
        Column("c_cycleinfo", Text()),
        _int("c_classification", nullable=False),
        _int("c_isopaque", nullable=False),
        _int("c_status", nullable=False),
        _int("c_priority"),
        _varchar("c_location"),
        _varchar("c_orgmail"),
        Column("c_partmails", Text()),
        Column("c_partstates", Text()),
        _varchar("c_category"),
        _int("c_sequence"),
        _varchar("c_component", 10, nullable=False),
        _int("c_nextalarm"),
        Column("c_description", Text()),
    ]


def _contact_quick_columns() -> list[Column]:
    return [
        _varchar("c_givenname"),
        _varchar("c_cn"),
        _varchar("c_sn"),
        _varchar("c_screenname"),
        _varchar("c_l"),
        Column("c_mail", Text()),
        _varchar("c_o"),
        _varchar("c_ou"),
        _varchar("c_telephonenumber"),
        _varchar("c_categories"),
        _varchar("c_component", 10, nullable=False),
        _int("c_hascertificate"),
    ]


QUICK_COLUMNS = {"Appointment": _appointment_quick_columns, "Contact": _contact_quick_columns}


@lru_cache(maxsize=512)
def quick_table(name: str, folder_type: str, combined: bool = False) -> Table:
    """A quick table for ``folder_type`` 'Appointment' or 'Contact'.

    ``combined`` adds ``c_folder_id`` first and makes the primary key
    ``(c_folder_id, c_name)``, as ``GCSFolderType -sqlQuickCreateWithTableName:``.
    """
    try:
        columns = QUICK_COLUMNS[folder_type]()
    except KeyError:
        raise ValueError(f"unknown folder type {folder_type!r} (Appointment or Contact)") from None
    if not combined:
        return Table(name, MetaData(), _varchar("c_name", nullable=False, primary_key=True), *columns)
    return Table(
        name, MetaData(),
        _int("c_folder_id", nullable=False),
        _varchar("c_name", nullable=False),
        *columns,
        PrimaryKeyConstraint("c_folder_id", "c_name", name=f"{name}_pkey"),
    )


def quick_appointment_table(name: str, combined: bool = False) -> Table:
    return quick_table(name, "Appointment", combined)


def quick_contact_table(name: str, combined: bool = False) -> Table:
    return quick_table(name, "Contact", combined)


def combined_quick_table_name(folder_type: str) -> str:
    """``sogo_quick_appointment`` / ``sogo_quick_contact`` (GCSFolder -quickTableName)."""
    return f"sogo_quick_{folder_type.lower()}"


# --- combined mode (OCSStoreURL, OCSAclURL, OCSCacheFolderURL) ----------------

@lru_cache(maxsize=64)
def store_table(name: str = "sogo_store") -> Table:
    """OCSStoreURL: every folder's content, keyed by (c_folder_id, c_name)."""
    return Table(
        name, MetaData(),
        _int("c_folder_id", nullable=False),
        _varchar("c_name", nullable=False),
        *_content_columns(),
        PrimaryKeyConstraint("c_folder_id", "c_name", name=f"{name}_pkey"),
    )


@lru_cache(maxsize=64)
def combined_acl_table(name: str = "sogo_acl") -> Table:
    """OCSAclURL: every folder's ACL rows, indexed on c_folder_id and c_uid."""
    table = Table(
        name, MetaData(),
        _int("c_folder_id", nullable=False),
        _varchar("c_object", nullable=False),
        _varchar("c_uid", nullable=False),
        _varchar("c_role", 80, nullable=False),
    )
    Index(f"{name}_c_folder_id_idx", table.c.c_folder_id)
    Index(f"{name}_c_uid_idx", table.c.c_uid)
    return table


def _cache_columns() -> list[Column]:
    return [
        _varchar("c_parent_path"),
        Column("c_type", CACHE_TYPE, nullable=False),
        _int("c_creationdate", nullable=False),
        _int("c_lastmodified", nullable=False),
        _int("c_version", nullable=False, server_default=text("0")),
        Column("c_deleted", CACHE_FLAG, nullable=False, server_default=text("0")),
        Column("c_content", CACHE_TEXT),
    ]


@lru_cache(maxsize=64)
def cache_folder_table(name: str = "sogo_cache_folder") -> Table:
    """OCSCacheFolderURL: ActiveSync state of every user, keyed by (c_uid, c_path)."""
    return Table(
        name, MetaData(),
        _varchar("c_uid", nullable=False),
        _varchar("c_path", nullable=False),
        *_cache_columns(),
        PrimaryKeyConstraint("c_uid", "c_path", name=f"{name}_pkey"),
    )


@lru_cache(maxsize=512)
def eas_cache_table(name: str) -> Table:
    """A per-user ``sogo_cache_folder_<login>`` table (default mode)."""
    return Table(name, MetaData(), _varchar("c_path", nullable=False, primary_key=True),
                 *_cache_columns())


# --- names --------------------------------------------------------------------

_CSS_ESCAPES = {
    "_": "_U_", ".": "_D_", "#": "_H_", "@": "_A_", "*": "_S_", ":": "_C_", ";": "_SC_",
    ",": "_CO_", " ": "_SP_", "'": "_SQ_", '"': "_DQ_", "(": "_LP_", ")": "_RP_",
    "[": "_LS_", "]": "_RS_", "{": "_LC_", "}": "_RC_", "&": "_AM_", "+": "_P_", "$": "_DS_",
}


def eas_cache_table_name(login: str) -> str:
    """``sogo_cache_folder_`` + the login as a CSS identifier, ``-`` turned into ``_``
    (SOGoActiveSyncDispatcher -folderTableURL)."""
    ident = "_" if login[:1].isdigit() else ""
    ident += "".join(_CSS_ESCAPES.get(ch, ch) for ch in login)
    return ("sogo_cache_folder_" + ident).replace("-", "_")
