"""``type = sql`` user sources (guide §5.10): a table or view with c_uid,
c_name, c_password, c_cn and mail, plus optional columns named by the source."""

from __future__ import annotations

from sqlalchemy import MetaData, Table, and_, func, or_, select, text, update
from sqlalchemy.exc import SQLAlchemyError

from ..server.logs import get_logger
from ..store.database import get_engine
from ..store.urls import parse_store_url, redact_url
from . import passwords
from .sources import SourceError, UserSource, register
from .user import User, allowed_modules

log = get_logger("auth.sql")


def _as_list(value, default):
    if value is None or value == "":
        return list(default)
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def _yes(value) -> bool:
    return str(value).strip().upper() in ("YES", "TRUE", "1") if value is not None else False


@register("sql")
class SQLSource(UserSource):
    def __init__(self, entry: dict, defaults):
        self.id = str(entry.get("id") or "")
        if not self.id:
            raise SourceError("a SOGoUserSources entry of type sql has no id")
        if not entry.get("viewURL"):
            raise SourceError(f"SQL source {self.id!r} has no viewURL")
        constraints = entry.get("ModulesConstraints") or {}     # attribute = column
        self.modules_constraints = constraints if isinstance(constraints, dict) else {}
        self.url = parse_store_url(str(entry["viewURL"]),
                                   mysql_charset=defaults.get("MySQL4Encoding") if defaults else None)
        self.can_authenticate = _yes(entry.get("canAuthenticate"))
        self.is_address_book = _yes(entry.get("isAddressBook"))
        self.display_name = str(entry.get("displayName") or self.id)
        self.algorithm = str(entry.get("userPasswordAlgorithm") or "none").lower()
        self.prepend_scheme = _yes(entry.get("prependPasswordScheme"))
        self.login_fields = _as_list(entry.get("LoginFieldNames"), ["c_uid"])
        self.mail_fields = _as_list(entry.get("MailFieldNames"), [])
        self.imap_host_field = entry.get("IMAPHostFieldName")
        self.imap_login_field = entry.get("IMAPLoginFieldName")
        self.sieve_host_field = entry.get("SieveHostFieldName")
        self.kind_field = entry.get("KindFieldName")
        self.bookings_field = entry.get("MultipleBookingsFieldName")
        self.domain_field = entry.get("DomainFieldName")
        self.auth_filter = entry.get("authenticationFilter")
        self.domain_based_uid = bool(defaults and defaults.bool("SOGoEnableDomainBasedUID"))
        if not passwords.is_supported(self.algorithm):
            raise SourceError(f"SQL source {self.id!r}: unknown userPasswordAlgorithm {self.algorithm!r}")
        self.list_requires_dot = _yes(entry.get("listRequiresDot", "YES"))
        mapping = entry.get("mapping") or {}
        self.mapping = {str(k).lower(): _as_list(v, []) for k, v in mapping.items()} \
            if isinstance(mapping, dict) else {}
        self.contact_info_attribute = entry.get("SOGoLDAPContactInfoAttribute") or \
            (defaults.get("SOGoLDAPContactInfoAttribute") if defaults else None)
        limit = entry.get("SOGoLDAPQueryLimit")
        if limit in (None, "") and defaults:
            limit = defaults.get("SOGoLDAPQueryLimit")
        self.query_limit = int(limit) if str(limit or "").strip().isdigit() and int(limit) > 0 else None
        self._table = None

    # -- the table -------------------------------------------------------
    @property
    def table(self) -> Table:
        if self._table is None:
            try:
                self._table = Table(self.url.table, MetaData(), autoload_with=get_engine(self.url))
            except SQLAlchemyError as exc:
                detail = str(getattr(exc, "orig", exc)).splitlines()[0][:200]
                raise SourceError(f"SQL source {self.id!r}: cannot read {redact_url(self.url.original)}: "
                                  f"{type(exc).__name__}: {detail}") from None
        return self._table

    def _column(self, name):
        if not name:
            return None
        columns = {c.name.lower(): c for c in self.table.columns}
        return columns.get(str(name).lower())

    def _rows(self, condition, *, for_auth=False):
        query = select(self.table).where(condition)
        if for_auth and self.auth_filter:
            query = query.where(text(f"({self.auth_filter})"))
        try:
            with get_engine(self.url).connect() as conn:
                return conn.execute(query.limit(2)).mappings().all()
        except SQLAlchemyError as exc:
            raise SourceError(f"SQL source {self.id!r}: query failed: {type(exc).__name__}") from None

    def _login_condition(self, login: str):
        login = login.lower()
        conditions = [func.lower(col) == login for col in map(self._column, self.login_fields) if col is not None]
        if self.domain_field and "@" in login and self._column(self.domain_field) is not None:
            local, _, domain = login.rpartition("@")
            uid_col = self._column("c_uid")
            conditions.append(and_(func.lower(uid_col) == local,
                                   func.lower(self._column(self.domain_field)) == domain))
        if not conditions:
            raise SourceError(f"SQL source {self.id!r}: none of the LoginFieldNames exist in the table")
        return or_(*conditions)

    # -- the interface ---------------------------------------------------
    def authenticate(self, login: str, password: str) -> User | None:
        if not self.can_authenticate or not password:
            return None
        rows = self._rows(self._login_condition(login), for_auth=True)
        if len(rows) != 1:
            if len(rows) > 1:
                log.warning("SQL source %r: login %r matches several rows; refused", self.id, login)
            return None
        row = rows[0]
        stored = row.get(self._key(row, "c_password"))
        if stored is None:
            return None
        if isinstance(stored, (bytes, bytearray, memoryview)):
            stored = bytes(stored).decode("utf-8", "replace")
        try:
            ok = passwords.verify(password, str(stored), self.algorithm, prepend_scheme=self.prepend_scheme)
        except passwords.UnknownScheme as exc:
            log.error("SQL source %r: %s", self.id, exc)
            return None
        return self._user(row) if ok else None

    def lookup(self, uid: str) -> User | None:
        local = uid
        condition = func.lower(self._column("c_uid")) == uid.lower()
        if self.domain_based_uid and "@" in uid and self.domain_field:
            local, _, domain = uid.rpartition("@")
            condition = or_(condition, and_(func.lower(self._column("c_uid")) == local.lower(),
                                            func.lower(self._column(self.domain_field)) == domain.lower()))
        rows = self._rows(condition)
        return self._user(rows[0]) if len(rows) == 1 else None

    def lookup_email(self, address: str) -> User | None:
        """The user whose ``mail`` (or a MailFieldNames column) is ``address``."""
        columns = [c for c in map(self._column, ["mail", *self.mail_fields]) if c is not None]
        if not columns:
            return None
        rows = self._rows(or_(*[func.lower(col) == address.lower() for col in columns]))
        return self._user(rows[0]) if len(rows) == 1 else None

    def lookup_login(self, login: str) -> User | None:
        rows = self._rows(self._login_condition(login))
        return self._user(rows[0]) if len(rows) == 1 else None

    def search(self, text: str, limit: int = 50) -> list[User]:
        # The address-book search (same columns, same matching), as users.
        return [self._user(entry) for entry in self.search_entries(text, max(1, limit))]

    def change_password(self, uid: str, new_password: str, old_password: str | None = None) -> None:
        stored = passwords.hash_password(new_password, self.algorithm, prepend_scheme=self.prepend_scheme)
        try:
            with get_engine(self.url).begin() as conn:
                result = conn.execute(update(self.table)
                                      .where(func.lower(self._column("c_uid")) == uid.lower())
                                      .values({self._column("c_password").name: stored}))
        except SQLAlchemyError as exc:
            raise SourceError(f"SQL source {self.id!r}: password change failed: {type(exc).__name__}") from None
        if result.rowcount != 1:
            raise SourceError(f"SQL source {self.id!r}: no user {uid!r}")

    # -- the address-book side -------------------------------------------
    def _search_columns(self):
        names = ["c_uid", "c_cn", "mail", *self.mail_fields]
        return [c for c in dict.fromkeys(map(self._column, names)) if c is not None]

    def search_entries(self, text: str | None, limit: int | None = None) -> list[dict]:
        query = select(self.table)
        if text is not None and text.strip() not in ("", "."):
            needle = "%" + text.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            query = query.where(or_(*[func.lower(col).like(needle, escape="\\")
                                      for col in self._search_columns()]))
        query = query.order_by(self._column("c_uid"))
        if limit:
            query = query.limit(limit)
        try:
            with get_engine(self.url).connect() as conn:
                rows = conn.execute(query).mappings().all()
        except SQLAlchemyError as exc:
            raise SourceError(f"SQL source {self.id!r}: search failed: {type(exc).__name__}") from None
        return [self._entry(row) for row in rows]

    def entry(self, name: str) -> dict | None:
        rows = self._rows(self._column("c_uid") == name)
        return self._entry(rows[0]) if len(rows) == 1 else None

    def _entry(self, row) -> dict:
        entry = {k.lower(): v for k, v in row.items() if k.lower() != "c_password" and v not in (None, "")}
        entry["c_name"] = str(row.get(self._key(row, "c_uid")))
        return entry

    # -- rows to users ---------------------------------------------------
    @staticmethod
    def _key(row, name):
        lowered = {k.lower(): k for k in row.keys()}
        return lowered.get(name.lower(), name)

    def _get(self, row, name):
        if not name:
            return None
        value = row.get(self._key(row, name))
        return str(value) if value not in (None, "") else None

    def _user(self, row) -> User:
        uid = self._get(row, "c_uid") or ""
        domain = self._get(row, self.domain_field) if self.domain_field else None
        if self.domain_based_uid and domain and "@" not in uid:
            uid = f"{uid}@{domain}"
        emails = []
        if self._get(row, "mail"):
            emails.append(self._get(row, "mail"))
        for field in self.mail_fields:
            emails.extend((self._get(row, field) or "").split())
        kind = (self._get(row, self.kind_field) or "user").lower() if self.kind_field else "user"
        bookings = self._get(row, self.bookings_field) if self.bookings_field else None
        attributes = {k: v for k, v in row.items() if k.lower() != "c_password" and v is not None}
        return User(
            uid=uid, source_id=self.id, cn=self._get(row, "c_cn") or "",
            emails=tuple(dict.fromkeys(emails)), domain=domain,
            imap_host=self._get(row, self.imap_host_field),
            imap_login=self._get(row, self.imap_login_field) or self._get(row, "c_uid"),
            sieve_host=self._get(row, self.sieve_host_field),
            kind=kind if kind in ("group", "location", "thing") else "user",
            multiple_bookings=int(bookings) if bookings and bookings.lstrip("-").isdigit() else 0,
            modules=allowed_modules(self.modules_constraints,
                                    lambda name: [v for v in [self._get(row, name)] if v is not None]),
            attributes={k: str(v) for k, v in attributes.items()},
        )
