"""A user as the sources describe it; what the rest of sogod needs to know."""

from __future__ import annotations

from dataclasses import dataclass, field

RESOURCE_KINDS = ("group", "location", "thing")
MODULES = frozenset({"Calendar", "Mail", "ActiveSync"})   # ModulesConstraints keys (guide §5.4)


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
    modules: frozenset = MODULES  # the modules this user may use (ModulesConstraints)
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

    def can_access(self, module: str) -> bool:
        return module in self.modules

    def to_json(self) -> dict:
        return {
            "uid": self.uid, "source_id": self.source_id, "cn": self.cn,
            "emails": list(self.emails), "domain": self.domain,
            "imap_host": self.imap_host, "imap_login": self.imap_login,
            "sieve_host": self.sieve_host, "kind": self.kind,
            "multiple_bookings": self.multiple_bookings, "modules": sorted(self.modules),
        }

    @classmethod
    def from_json(cls, data: dict) -> "User":
        return cls(uid=data["uid"], source_id=data["source_id"], cn=data.get("cn") or "",
                   emails=tuple(data.get("emails") or ()), domain=data.get("domain"),
                   imap_host=data.get("imap_host"), imap_login=data.get("imap_login"),
                   sieve_host=data.get("sieve_host"), kind=data.get("kind") or "user",
                   multiple_bookings=int(data.get("multiple_bookings") or 0),
                   modules=frozenset(data["modules"]) if "modules" in data else MODULES)


def allowed_modules(constraints: dict, value_of) -> frozenset:
    """The modules whose ``ModulesConstraints`` entry the user matches: every
    ``attribute = value`` of a module's constraint must hold, compared without case;
    ``value_of(attribute)`` gives the user's values of an attribute (LDAP) or column (SQL)."""
    allowed = set(MODULES)
    for module, wanted in (constraints or {}).items():
        if not isinstance(wanted, dict):
            continue
        for attribute, expected in wanted.items():
            expected = [expected] if isinstance(expected, str) else list(expected or ())
            have = {str(v).lower() for v in value_of(str(attribute))}
            if not have & {str(e).lower() for e in expected}:
                allowed.discard(str(module))
                break
    return frozenset(allowed)
