"""The storage of one sogod configuration: which tables, in which databases."""

from __future__ import annotations

import logging
import time
from typing import Any, Callable, Protocol

from sqlalchemy import Engine, Table

from . import tables
from .alarms import EmailAlarms
from .database import StoreError, ensure_table, get_engine
from .folders import FolderManager
from .profile import ProfileStore
from .sessions import SessionStore
from .urls import StoreURL, parse_store_url

log = logging.getLogger(__name__)

COMBINED_KEYS = ("OCSStoreURL", "OCSAclURL", "OCSCacheFolderURL")


class Config(Protocol):
    def get(self, name: str) -> Any: ...


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().upper() in ("YES", "TRUE", "1")
    return bool(value)


class Storage:
    """Tables and stores configured by SOGoProfileURL, OCSFolderInfoURL,
    OCSSessionsFolderURL, OCSEMailAlarmsFolderURL and, for combined mode,
    OCSStoreURL + OCSAclURL + OCSCacheFolderURL (all three, as SOGo)."""

    def __init__(self, *, profile_url: str, folder_info_url: str, sessions_url: str | None = None,
                 alarms_url: str | None = None, store_url: str | None = None,
                 acl_url: str | None = None, cache_url: str | None = None,
                 mysql_encoding: str | None = None, email_alarms: bool = False,
                 clock: Callable[[], float] = time.time):
        def parse(url: str | None) -> StoreURL | None:
            return parse_store_url(url, mysql_charset=mysql_encoding) if url else None

        self.profile_url = parse(profile_url)
        self.folder_info_url = parse(folder_info_url)
        self.sessions_url = parse(sessions_url)
        self.alarms_url = parse(alarms_url)
        self.store_url, self.acl_url, self.cache_url = parse(store_url), parse(acl_url), parse(cache_url)
        self.combined = bool(store_url and acl_url and cache_url)
        if not self.combined and (store_url or acl_url or cache_url):
            log.warning("combined mode needs all of %s: using per-folder tables", ", ".join(COMBINED_KEYS))
        self.email_alarms = email_alarms
        self.profiles = ProfileStore(self.profile_url)
        self.folders = FolderManager(
            self.folder_info_url, store_url=self.store_url if self.combined else None,
            acl_url=self.acl_url if self.combined else None, clock=clock)
        #: None when OCSSessionsFolderURL is not set (no web sessions)
        self.sessions = SessionStore(self.sessions_url, clock=clock) if self.sessions_url else None
        #: None unless SOGoEnableEMailAlarms and OCSEMailAlarmsFolderURL are both set
        self.alarms = EmailAlarms(self.alarms_url) if email_alarms and self.alarms_url else None

    @classmethod
    def from_config(cls, cfg: Config) -> Storage:
        missing = [k for k in ("SOGoProfileURL", "OCSFolderInfoURL") if not cfg.get(k)]
        if missing:
            raise StoreError(f"no value specified for {' and '.join(missing)}")
        return cls(
            profile_url=cfg.get("SOGoProfileURL"),
            folder_info_url=cfg.get("OCSFolderInfoURL"),
            sessions_url=cfg.get("OCSSessionsFolderURL"),
            alarms_url=cfg.get("OCSEMailAlarmsFolderURL"),
            store_url=cfg.get("OCSStoreURL"),
            acl_url=cfg.get("OCSAclURL"),
            cache_url=cfg.get("OCSCacheFolderURL"),
            mysql_encoding=cfg.get("MySQL4Encoding"),
            email_alarms=_flag(cfg.get("SOGoEnableEMailAlarms")),
        )

    def create_missing_tables(self) -> None:
        """What SOGo checks at start (``-[SOGo _checkMandatoryTables]``)."""
        ensure_table(self.profile_url, tables.user_profile_table)
        ensure_table(self.folder_info_url, tables.folder_info_table)
        if self.combined:
            ensure_table(self.store_url, tables.store_table)
            ensure_table(self.acl_url, tables.combined_acl_table)
            ensure_table(self.cache_url, tables.cache_folder_table)
            for folder_type in ("Contact", "Appointment"):
                name = tables.combined_quick_table_name(folder_type)
                ensure_table(self.folder_info_url.for_table(name),
                             tables.quick_table(name, folder_type, combined=True))
        if self.sessions_url:
            ensure_table(self.sessions_url, tables.sessions_table)
        if self.email_alarms:
            if not self.alarms_url:
                raise StoreError("SOGoEnableEMailAlarms is set but OCSEMailAlarmsFolderURL is not")
            ensure_table(self.alarms_url, tables.alarms_table)

    def eas_cache(self, login: str) -> tuple[Engine, Table]:
        """The ActiveSync cache table of ``login``: ``sogo_cache_folder`` (combined
        mode, rows keyed by c_uid) or ``sogo_cache_folder_<login>`` created on
        first use in the folder-info database."""
        if self.combined:
            return get_engine(self.cache_url), tables.cache_folder_table(self.cache_url.table)
        url = self.folder_info_url.for_table(tables.eas_cache_table_name(login))
        return get_engine(url), ensure_table(url, tables.eas_cache_table)
