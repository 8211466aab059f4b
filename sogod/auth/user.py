"""A user as the sources describe it; what the rest of sogod needs to know."""

from __future__ import annotations

from dataclasses import dataclass, field

RESOURCE_KINDS = ("group", "location", "thing")


@dataclass(frozen=True)
class User:
    uid: str                      # owner key of folders (/Users/<uid>/...)
    source_id: str
    cn: str = ""
    emails: tuple[str, ...] = ()
    domain: str | None = None
    imap_host: str | None = None
    imap_login: str | None = None
    sieve_host: str | None = None
    kind: str = "user"            # user | group | location | thing
    multiple_bookings: int = 0
    attributes: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def display_name(self) -> str:
        return self.cn or self.uid

    @property
    def primary_email(self) -> str | None:
        return self.emails[0] if self.emails else None

    @property
    def is_resource(self) -> bool:
        return self.kind in RESOURCE_KINDS

    def to_json(self) -> dict:
        return {
            "uid": self.uid, "source_id": self.source_id, "cn": self.cn,
            "emails": list(self.emails), "domain": self.domain,
            "imap_host": self.imap_host, "imap_login": self.imap_login,
            "sieve_host": self.sieve_host, "kind": self.kind,
            "multiple_bookings": self.multiple_bookings,
        }

    @classmethod
    def from_json(cls, data: dict) -> "User":
        return cls(uid=data["uid"], source_id=data["source_id"], cn=data.get("cn") or "",
                   emails=tuple(data.get("emails") or ()), domain=data.get("domain"),
                   imap_host=data.get("imap_host"), imap_login=data.get("imap_login"),
                   sieve_host=data.get("sieve_host"), kind=data.get("kind") or "user",
                   multiple_bookings=int(data.get("multiple_bookings") or 0))
