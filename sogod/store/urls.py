"""SOGo database URLs.

SOGo names a table with a URL whose last path segment is the table:
``postgresql://user:pw@host:port/dbname/tablename`` or ``mysql://…``. User and
password are URL-encoded. sogod adds ``sqlite:///path/to/file.db/tablename``
(three slashes for an absolute path) for the embedded default.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from urllib.parse import unquote, urlsplit

from sqlalchemy.engine import URL

DRIVERS = {
    "postgresql": "postgresql+psycopg2",
    "postgres": "postgresql+psycopg2",
    "mysql": "mysql+pymysql",
    "sqlite": "sqlite+pysqlite",
}


class StoreURLError(ValueError):
    """A database URL sogod cannot use."""


@dataclass(frozen=True)
class StoreURL:
    """One parsed SOGo database URL: where the database is and which table."""

    scheme: str
    database_url: URL
    table: str
    original: str = field(repr=False)

    @property
    def database_key(self) -> str:
        """Identifies the database (not the table): one engine per key."""
        return self.database_url.render_as_string(hide_password=False)

    def with_table(self, table: str) -> str:
        """The SOGo URL of another table in the same database (for c_location)."""
        base, _, _ = self.original.rpartition("/")
        return f"{base}/{table}"

    def for_table(self, table: str) -> StoreURL:
        """The StoreURL of another table in the same database (same engine key)."""
        return replace(self, table=table, original=self.with_table(table))


def parse_store_url(url: str, *, mysql_charset: str | None = None) -> StoreURL:
    """Parse a SOGo table URL; raise StoreURLError with a clear message."""
    if not isinstance(url, str) or "://" not in url:
        raise StoreURLError(f"not a database URL: {url!r}")
    scheme = url.split("://", 1)[0].lower()
    if scheme not in DRIVERS:
        raise StoreURLError(
            f"unsupported database URL scheme {scheme!r} in {_redact(url)} "
            "(use postgresql://, mysql:// or sqlite://)")
    if scheme == "sqlite":
        return _parse_sqlite(url)
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) != 2:
        raise StoreURLError(
            f"{_redact(url)}: expected {scheme}://user:password@host:port/database/table")
    database, table = (unquote(s) for s in segments)
    try:
        port = parts.port
    except ValueError as exc:
        raise StoreURLError(f"{_redact(url)}: bad port") from exc
    query = {}
    if scheme == "mysql":
        query["charset"] = mysql_charset or "utf8mb4"
    db_url = URL.create(
        DRIVERS[scheme],
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        host=parts.hostname or None,
        port=port,
        database=database,
        query=query,
    )
    return StoreURL(scheme, db_url, table, url)


def _parse_sqlite(url: str) -> StoreURL:
    path = url[len("sqlite://"):]
    file_path, sep, table = path.rpartition("/")
    if not sep or not file_path or not table:
        raise StoreURLError(f"{url}: expected sqlite:///path/to/file.db/table")
    return StoreURL("sqlite", URL.create(DRIVERS["sqlite"], database=unquote(file_path)),
                    unquote(table), url)


def _redact(url: str) -> str:
    """The URL with its password hidden, for messages and logs."""
    try:
        parts = urlsplit(url)
        if parts.password:
            netloc = parts.netloc.replace(":" + parts.password + "@", ":***@", 1)
            return parts._replace(netloc=netloc).geturl()
    except ValueError:
        pass
    return url


redact_url = _redact
