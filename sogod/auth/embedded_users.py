"""The built-in SQL user table (``SOGodEmbeddedUsersURL``), managed by ``sogo-tool user``.

It has the columns a SOGo SQL source reads (c_uid, c_name, c_password, c_cn,
mail), so the same table also works as a ``type = sql`` source for real SOGo.
"""

from __future__ import annotations

from sqlalchemy import Column, MetaData, String, Table, delete, insert, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from ..store.database import get_engine
from ..store.urls import parse_store_url, redact_url
from . import passwords

DEFAULT_ALGORITHM = "ssha256"


class UserTableError(Exception):
    pass


def users_table(name: str) -> Table:
    return Table(
        name, MetaData(),
        Column("c_uid", String(255), primary_key=True),
        Column("c_name", String(255), nullable=False),
        Column("c_password", String(255), nullable=False),
        Column("c_cn", String(255)),
        Column("mail", String(255)),
    )


class EmbeddedUsers:
    def __init__(self, url: str, algorithm: str = DEFAULT_ALGORITHM):
        self.url = parse_store_url(url)
        self.table = users_table(self.url.table)
        self.algorithm = algorithm

    def _engine(self):
        return get_engine(self.url)

    def ensure_table(self) -> None:
        try:
            self.table.create(self._engine(), checkfirst=True)
        except SQLAlchemyError as exc:
            raise UserTableError(f"cannot create {redact_url(self.url.original)}: {type(exc).__name__}") from None

    def add(self, uid: str, password: str, cn: str = "", mail: str = "") -> None:
        check_uid(uid)
        stored = passwords.hash_password(password, self.algorithm, prepend_scheme=True)
        try:
            with self._engine().begin() as conn:
                conn.execute(insert(self.table).values(c_uid=uid, c_name=uid, c_password=stored,
                                                       c_cn=cn or uid, mail=mail or None))
        except IntegrityError:
            raise UserTableError(f"user {uid!r} already exists") from None

    def set_password(self, uid: str, password: str) -> None:
        stored = passwords.hash_password(password, self.algorithm, prepend_scheme=True)
        with self._engine().begin() as conn:
            result = conn.execute(update(self.table).where(self.table.c.c_uid == uid).values(c_password=stored))
        if result.rowcount != 1:
            raise UserTableError(f"no user {uid!r}")

    def remove(self, uid: str) -> None:
        with self._engine().begin() as conn:
            result = conn.execute(delete(self.table).where(self.table.c.c_uid == uid))
        if result.rowcount != 1:
            raise UserTableError(f"no user {uid!r}")

    def list(self) -> list[dict]:
        with self._engine().connect() as conn:
            rows = conn.execute(select(self.table.c.c_uid, self.table.c.c_cn, self.table.c.mail)
                                .order_by(self.table.c.c_uid)).mappings().all()
        return [dict(r) for r in rows]

    def count(self) -> int:
        return len(self.list())


def check_uid(uid: str) -> None:
    if not uid or len(uid) > 255 or any(c in uid for c in "/\\:\x00 \t\r\n") or uid in (".", ".."):
        raise UserTableError(f"invalid user id {uid!r}: no spaces, slashes or colons")
