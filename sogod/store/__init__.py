"""Storage: SOGo's tables through SQLAlchemy.

``Storage.from_config(defaults)`` gives the stores of one configuration:
``storage.profiles`` (:class:`ProfileStore`), ``storage.folders``
(:class:`FolderManager`, whose :class:`Folder` objects hold the content,
quick and ACL rows) and ``storage.sessions`` (:class:`SessionStore`).
Tables are created as SOGo creates them (:mod:`.tables`); engines live in a
per-process registry (:mod:`.database`) that forked workers reset with
``database.dispose_all()``.
"""

from . import database, tables
from .database import StoreError, StoreUnavailable, ensure_table, get_engine
from .folders import (
    FOLDER_TYPES, PERSONAL, PERSONAL_NAMES, Folder, FolderExists, FolderManager, VersionMismatch,
)
from .profile import ProfileStore
from .sessions import Session, SessionStore
from .storage import Storage
from .urls import StoreURL, StoreURLError, parse_store_url, redact_url

__all__ = [
    "FOLDER_TYPES", "PERSONAL", "PERSONAL_NAMES", "Folder", "FolderExists", "FolderManager",
    "ProfileStore", "Session", "SessionStore", "Storage", "StoreError", "StoreURL",
    "StoreURLError", "StoreUnavailable", "VersionMismatch", "database", "ensure_table",
    "get_engine", "parse_store_url", "redact_url", "tables",
]
