"""``type = ldap`` user sources (guide §5.4–5.6): OpenLDAP, Active Directory.

One connection per source per process (sogod.auth.ldap_connection), bound as
``bindDN`` (or anonymously) or, under ``bindAsCurrentUser``, as the user the
request is answered for.  Every value that comes from a user is escaped before
it enters a filter or a DN.
"""

from __future__ import annotations

import copy
import time
from urllib.parse import urlsplit

import ldap
import ldap.controls
import ldap.dn
from ldap.controls.ppolicy import PasswordPolicyControl
from ldap.filter import escape_filter_chars
from ldap.dn import escape_dn_chars

from ..server.logs import get_logger
from . import current, passwords
from .ldap_connection import Bind, Connector, describe as _describe
from .ldap_passwords import (
    _generalized_time, _policy_state, _response_controls, _samba_changes, ldap_password_value,
)
from .policy import PolicyError, PolicyRefused
from .ldap_filter import FilterSyntaxError, and_filters, any_contains, any_equal, qualifier_to_ldap
from .sources import SourceError, UserSource, register
from .user import User, allowed_modules

log = get_logger("auth.ldap")


class WriteRefused(SourceError):
    """The directory refused a write (access rights, schema): the client's fault, not an outage."""

SCOPES = {"BASE": ldap.SCOPE_BASE, "ONE": ldap.SCOPE_ONELEVEL, "SUB": ldap.SCOPE_SUBTREE}
DEFAULT_GROUP_CLASSES = ("group", "groupofnames", "groupofuniquenames", "posixgroup")
DEFAULT_SEARCH_FIELDS = ("sn", "displayName", "telephoneNumber")
NESTING_LIMIT = 16
_HIDDEN = {"userpassword", "sambantpassword", "sambalmpassword"}
_BINARY = {"jpegphoto", "photo", "usercertificate", "usercertificate;binary", "objectguid",
           "objectsid", "thumbnailphoto", "usersmimecertificate"}


def _as_list(value, default=()) -> list[str]:
    if value is None or value == "":
        return list(default)
    if isinstance(value, str):
        return value.split() if "," not in value else [v.strip() for v in value.split(",") if v.strip()]
    return [str(v) for v in value]


def _yes(value, default=False) -> bool:
    if value is None:
        return default
    return str(value).strip().upper() in ("YES", "TRUE", "1")


def _setting(entry: dict, defaults, key: str):
    value = entry.get(key)
    if value in (None, "") and defaults is not None:
        value = defaults.get(key)
    return value


def _int(value) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return 0


def parse_hostnames(hostname, port=None, encryption=None) -> list[tuple[str, bool]]:
    """``[(uri, starttls)]`` from ``hostname`` (URLs or host names) and the deprecated keys."""
    encryption = str(encryption or "").strip().upper()
    out = []
    for item in str(hostname or "").split():
        if "://" not in item:
            scheme = "ldaps" if encryption == "SSL" else "ldap"
            default_port = 636 if scheme == "ldaps" else 389
            host, _, item_port = item.partition(":")
            out.append((f"{scheme}://{host}:{item_port or port or default_port}", encryption == "STARTTLS"))
            continue
        parts = urlsplit(item)
        starttls = encryption == "STARTTLS"
        tail = item.split("?", 4)
        if len(tail) == 5 and tail[4].lstrip("!").lower() == "starttls":
            starttls = True
        netloc = parts.netloc
        if port and parts.port is None:
            netloc = f"{netloc}:{port}"
        out.append((f"{parts.scheme.lower()}://{netloc}", starttls))
    return out


def _text(value: bytes) -> str | None:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return None


@register("ldap")
class LDAPSource(UserSource):
    def __init__(self, entry: dict, defaults):
        self.id = str(entry.get("id") or "")
        if not self.id:
            raise SourceError("a SOGoUserSources entry of type ldap has no id")
        self.base_dn = str(entry.get("baseDN") or "")
        self.uris = parse_hostnames(entry.get("hostname"), entry.get("port"), entry.get("encryption"))
        if not self.uris:
            raise SourceError(f"LDAP source {self.id!r} has no hostname")
        scope = str(entry.get("scope") or "SUB").strip().upper()
        if scope not in SCOPES:
            raise SourceError(f"LDAP source {self.id!r}: scope {scope!r} is not BASE, ONE or SUB")
        self.scope = SCOPES[scope]
        try:
            self.filter = qualifier_to_ldap(entry.get("filter"))
        except FilterSyntaxError as exc:
            raise SourceError(f"LDAP source {self.id!r}: bad filter: {exc}") from None
        self.bind_dn = str(entry.get("bindDN") or "")
        self.bind_password = str(entry.get("bindPassword") or "")
        self.bind_as_current_user = _yes(entry.get("bindAsCurrentUser"))
        self.bind_fields = _as_list(entry.get("bindFields"))
        self.can_authenticate = _yes(entry.get("canAuthenticate"))
        self.is_address_book = _yes(entry.get("isAddressBook"))
        self.display_name = str(entry.get("displayName") or self.id)
        self.list_requires_dot = _yes(entry.get("listRequiresDot"), True)
        self.cn_field = str(entry.get("CNFieldName") or "cn")
        self.id_field = str(entry.get("IDFieldName") or "uid")
        self.uid_field = str(entry.get("UIDFieldName") or "uid")
        self.mail_fields = _as_list(entry.get("MailFieldNames"), ["mail"])
        self.search_fields = _as_list(entry.get("SearchFieldNames"), DEFAULT_SEARCH_FIELDS)
        self.imap_host_field = entry.get("IMAPHostFieldName")
        self.imap_login_field = entry.get("IMAPLoginFieldName")
        self.sieve_host_field = entry.get("SieveHostFieldName")
        self.kind_field = entry.get("KindFieldName")
        self.bookings_field = entry.get("MultipleBookingsFieldName")
        self.object_classes = _as_list(entry.get("objectClasses"), ["top", "inetOrgPerson"])
        self.group_classes = [c.lower() for c in _as_list(entry.get("GroupObjectClasses"), DEFAULT_GROUP_CLASSES)]
        constraints = entry.get("ModulesConstraints") or {}
        self.modules_constraints = constraints if isinstance(constraints, dict) else {}
        self.modifiers = _as_list(entry.get("modifiers"))
        self.ab_ou = entry.get("abOU")
        self.password_policy = _yes(entry.get("passwordPolicy"))
        self.update_samba = _yes(entry.get("updateSambaNTLMPasswords"))
        self.algorithm = str(entry.get("userPasswordAlgorithm") or "none").lower()
        if not passwords.is_supported(self.algorithm):
            raise SourceError(f"LDAP source {self.id!r}: unknown userPasswordAlgorithm {self.algorithm!r}")
        mapping = entry.get("mapping") or {}
        self.mapping = {str(k).lower(): _as_list(v) for k, v in mapping.items()} \
            if isinstance(mapping, dict) else {}
        self.contact_info_attribute = _setting(entry, defaults, "SOGoLDAPContactInfoAttribute")
        limit = _int(_setting(entry, defaults, "SOGoLDAPQueryLimit"))
        self.query_limit = limit if limit > 0 else None
        timeout = _int(_setting(entry, defaults, "SOGoLDAPQueryTimeout"))
        self.query_timeout = timeout if timeout > 0 else None
        self.domain = entry.get("domain")
        self._service = Bind(self.bind_dn, self.bind_password)
        self._connector = Connector(self.id, self.uris, self._service, self.query_timeout)
        self._policies: dict[str, tuple[float, dict]] = {}

    # -- connection -------------------------------------------------------
    @property
    def _conn(self):
        return self._connector.connection

    def _current_bind(self) -> Bind:
        """Whom the next operation binds as: under bindAsCurrentUser the user this
        request is answered for (when this source knows them), else bindDN or anonymous."""
        acting = current.acting()
        if not self.bind_as_current_user or acting is None:
            return self._service
        if self.id not in acting.dns:
            acting.dns[self.id] = self._acting_dn(acting)      # once per request
        dn = acting.dns[self.id]
        return Bind(dn, acting.password, user=True) if dn else self._service

    def _acting_dn(self, acting) -> str | None:
        """The acting user's DN here, found as the service when the login did not bring it.
        As SOGo (SOGoUserManager -checkLogin:…, which rebinds every bindAsCurrentUser
        source that finds the login), a user of another source binds here too when
        this source has their login, and this source uses its bindDN when it has not."""
        if acting.source_id == self.id and acting.dn:
            return acting.dn
        login, domain = acting.uid, getattr(self, "source_domain", None)
        if domain and login.lower().endswith("@" + domain.lower()):
            login = login[:-len(domain) - 1]        # SOGoEnableDomainBasedUID
        if not _acceptable_login(login):
            return None
        found = self._search(and_filters(any_equal([*self.bind_fields, self.uid_field], login), self.filter),
                             limit=2, bind=self._service)
        return found[0][0] if len(found) == 1 else None

    def _run(self, operation, bind: Bind | None = None):
        """``operation(connection)`` bound as ``bind`` (default: :meth:`_current_bind`)."""
        return self._connector.run(operation, bind or self._current_bind())

    def _search(self, flt: str, *, base: str | None = None, scope: int | None = None,
                limit: int | None = None, bind: Bind | None = None,
                attrlist: list[str] | None = None) -> list[tuple[str, dict]]:
        base = self.base_dn if base is None else base
        scope = self.scope if scope is None else scope
        sizelimit = limit or 0

        def operation(connection):
            conn = connection.conn
            msgid = conn.search_ext(base, scope, flt, attrlist, sizelimit=sizelimit,
                                    timeout=self.query_timeout or -1)
            found = []
            try:
                while True:
                    kind, data = conn.result(msgid, 0, self.query_timeout or -1)
                    if kind == ldap.RES_SEARCH_RESULT:
                        break
                    for dn, attrs in data or ():
                        if dn is not None and isinstance(attrs, dict):
                            found.append((dn, attrs))
            except ldap.SIZELIMIT_EXCEEDED:
                pass
            except ldap.TIMEOUT:
                try:
                    conn.abandon(msgid)
                except ldap.LDAPError:
                    pass
                raise
            except ldap.NO_SUCH_OBJECT:
                return []
            return found

        try:
            return self._run(operation, bind)
        except SourceError:
            raise
        except ldap.FILTER_ERROR as exc:
            raise SourceError(f"LDAP source {self.id!r}: bad filter {flt!r}: {_describe(exc)}") from None
        except ldap.NO_SUCH_OBJECT:
            return []
        except ldap.LDAPError as exc:
            raise SourceError(f"LDAP source {self.id!r}: search failed: {_describe(exc)}") from None

    def _one(self, flt: str) -> tuple[str, dict] | None:
        found = self._search(flt, limit=2)
        if len(found) > 1:
            log.warning("LDAP source %r: %s matches several entries; ignored", self.id, flt)
        return found[0] if len(found) == 1 else None

    def _read(self, dn: str) -> dict | None:
        """The attributes of ``dn`` (any base, ignoring this source's filter)."""
        found = self._search("(objectClass=*)", base=dn, scope=ldap.SCOPE_BASE, limit=1)
        return found[0][1] if found else None

    # -- authentication --------------------------------------------------
    def _bind_user(self, dn: str, password: str, *, changing: bool = False) -> dict | None:
        """Bind as ``dn``: None when the password is wrong, else the password-policy
        state (``{}`` without ``passwordPolicy``; ``graceLogins``/``expiresIn`` when told).
        Raises PolicyRefused when the policy refuses a verified password (expired,
        locked, must change it first — the last one let through when ``changing`` it)."""
        controls = [PasswordPolicyControl()] if self.password_policy else None

        def operation(connection):
            connection.mark(None)           # whatever comes of it, no longer the last bind
            try:
                result = connection.conn.simple_bind_s(dn, password, serverctrls=controls)
            except (ldap.INVALID_CREDENTIALS, ldap.INVALID_DN_SYNTAX, ldap.UNWILLING_TO_PERFORM,
                    ldap.INAPPROPRIATE_AUTH, ldap.NO_SUCH_OBJECT, ldap.CONSTRAINT_VIOLATION) as exc:
                return {**_policy_state(_response_controls(exc)), "refused": True}
            connection.mark(Bind(dn, password, user=True))
            return _policy_state(result[3] if result and len(result) > 3 else [])
        try:
            state = self._connector.run(operation, None)        # binds itself
        except ldap.LDAPError as exc:
            raise SourceError(f"LDAP source {self.id!r}: bind failed: {_describe(exc)}") from None
        error = state.pop("error", None)
        if state.pop("refused", False):
            if error is None:
                return None
            log.warning("LDAP source %r: %s refused by the password policy: %s", self.id, dn, error.name)
            raise PolicyRefused(error)
        if error is not None and not (changing and error == PolicyError.CHANGE_AFTER_RESET):
            # Bound, but the policy demands a change first: not a login.
            log.warning("LDAP source %r: %s must change the password first (%s)", self.id, dn, error.name)
            self._connector.forget_bind()
            raise PolicyRefused(error)
        return state

    def _find_login(self, login: str) -> tuple[str, dict] | None:
        fields = self.bind_fields or [self.uid_field]
        return self._one(and_filters(any_equal(fields, login), self.filter))

    def authenticate(self, login: str, password: str) -> User | None:
        if not self.can_authenticate or not password or not _acceptable_login(login):
            return None
        if self.bind_fields:
            found = self._find_login(login)
            if found is None:
                return None
            dn, attrs = found
            state = self._bind_user(dn, password)
            return None if state is None else self._user(dn, attrs, state)
        dn = f"{self.id_field}={ldap.dn.escape_dn_chars(login)},{self.base_dn}"
        state = self._bind_user(dn, password)
        if state is None:
            return None
        # The entry must pass the source's filter too; read as the user when
        # there is no bind account (or bindAsCurrentUser), else as the account.
        as_user = self.bind_as_current_user or not self.bind_dn
        found = self._search(and_filters(self.filter), base=dn, scope=ldap.SCOPE_BASE, limit=1,
                             bind=Bind(dn, password, user=True) if as_user else self._service)
        return self._user(*found[0], state) if found else None

    # -- lookups ---------------------------------------------------------
    def lookup(self, uid: str) -> User | None:
        if not _acceptable_login(uid):
            return None
        found = self._one(and_filters(any_equal([self.uid_field], uid), self.filter))
        return self._user(*found) if found else None

    def policy_blocks(self, uid: str) -> str | None:
        """Why the password policy would refuse ``uid``'s next bind, read from the
        entry's ppolicy attributes (reset, locked, expired by its pwdPolicySubentry's
        pwdMaxAge); None when nothing does.  A verified credential cached earlier must
        not outlive such a state."""
        if not self.password_policy or not _acceptable_login(uid):
            return None
        found = self._search(and_filters(any_equal([self.uid_field], uid), self.filter), limit=2,
                             attrlist=["pwdReset", "pwdAccountLockedTime", "pwdChangedTime",
                                       "pwdPolicySubentry"])
        if len(found) != 1:
            return "unknown user"
        attrs = found[0][1]
        if (self._first(attrs, "pwdReset") or "").upper() == "TRUE":
            return "changeAfterReset"
        if self._first(attrs, "pwdAccountLockedTime"):
            return "accountLocked"
        changed, subentry = self._first(attrs, "pwdChangedTime"), self._first(attrs, "pwdPolicySubentry")
        if changed and subentry:
            max_age = _int(self._first(self._policy(subentry), "pwdMaxAge"))
            if max_age > 0 and _generalized_time(changed) + max_age <= time.time():
                return "passwordExpired"
        return None

    def _policy(self, dn: str) -> dict:
        """A pwdPolicy entry, kept for a minute."""
        now = time.monotonic()
        cached = self._policies.get(dn.lower())
        if cached and cached[0] > now:
            return cached[1]
        found = self._search("(objectClass=*)", base=dn, scope=ldap.SCOPE_BASE, limit=1)
        attrs = found[0][1] if found else {}
        self._policies[dn.lower()] = (now + 60, attrs)
        return attrs

    def lookup_login(self, login: str) -> User | None:
        if not _acceptable_login(login):
            return None
        found = self._one(and_filters(any_equal([*self.bind_fields, self.uid_field], login), self.filter))
        return self._user(*found) if found else None

    def lookup_email(self, address: str) -> User | None:
        if not _acceptable_login(address):
            return None
        found = self._one(and_filters(any_equal(self.mail_fields, address), self.filter))
        return self._user(*found) if found else None

    def lookup_dn(self, uid: str) -> str | None:
        """The DN of the entry whose UIDFieldName is ``uid``."""
        if not _acceptable_login(uid):
            return None
        found = self._one(and_filters(any_equal([self.uid_field], uid), self.filter))
        return found[0] if found else None

    def search(self, text: str, limit: int = 50) -> list[User]:
        return [self._user(dn, attrs) for dn, attrs in self._search_raw(text, max(1, limit))]

    def change_password(self, uid: str, new_password: str, old_password: str | None = None) -> None:
        """Set ``uid``'s password: as the user when ``old_password`` is given (the
        web UI's change, which the directory's policy judges), else as the bind
        account (the administrator's). Raises PolicyRefused with the policy's reason."""
        dn = self.lookup_dn(uid)
        if dn is None:
            raise SourceError(f"LDAP source {self.id!r}: no user {uid!r}")
        if old_password is not None and self._bind_user(dn, old_password, changing=True) is None:
            raise PolicyRefused(PolicyError.PASSWORD_UNKNOWN, "wrong current password")
        changes = []
        if not self.password_policy:
            stored = ldap_password_value(new_password, self.algorithm)
            changes.append((ldap.MOD_REPLACE, "userPassword", [stored.encode("utf-8")]))
        if self.update_samba:
            changes.extend(_samba_changes(new_password))
        controls = [PasswordPolicyControl()] if self.password_policy else None

        def operation(connection):
            if self.password_policy:
                # RFC 3062 Password Modify: the server hashes and applies its policy.
                connection.conn.passwd_s(dn, old_password, new_password, serverctrls=controls)
            if changes:
                connection.conn.modify_s(dn, changes)
        # The user's own change runs as the user (bound just above), the administrator's as bindDN.
        as_user = Bind(dn, old_password, user=True) if old_password is not None else self._service
        try:
            self._run(operation, as_user)
        except SourceError:
            raise
        except ldap.LDAPError as exc:
            error = _policy_state(_response_controls(exc)).get("error")
            if error is None and isinstance(exc, (ldap.INSUFFICIENT_ACCESS, ldap.UNWILLING_TO_PERFORM)):
                error = PolicyError.PASSWORD_MOD_NOT_ALLOWED
            if error is None and isinstance(exc, ldap.CONSTRAINT_VIOLATION):
                error = PolicyError.INSUFFICIENT_PASSWORD_QUALITY
            if error is not None:
                log.warning("LDAP source %r: password change of %s refused: %s (%s)",
                            self.id, dn, error.name, _describe(exc))
                raise PolicyRefused(error, _describe(exc)) from None
            raise SourceError(f"LDAP source {self.id!r}: password change failed: {_describe(exc)}") from None
        finally:
            if old_password is not None:
                self._connector.forget_bind()
        acting = current.acting()
        if acting is not None and dn.lower() in {(acting.dn or "").lower(), (acting.dns.get(self.id) or "").lower()}:
            current.update_password(new_password)       # later binds of this request

    # -- groups ----------------------------------------------------------
    def _group_filter(self) -> str:
        return "(|" + "".join(f"(objectClass={escape_filter_chars(c)})" for c in self.group_classes) + ")"

    def _is_group(self, attrs: dict) -> bool:
        classes = {(_text(v) or "").lower() for v in attrs.get("objectClass", [])}
        return bool(classes & set(self.group_classes))

    def groups_containing(self, dn: str | None, uid: str | None) -> list[tuple[str, dict]]:
        """Groups of this source with ``dn`` (member, uniqueMember) or ``uid`` (memberUid), directly."""
        tests = []
        if dn:
            escaped = escape_filter_chars(dn)
            tests += [f"(member={escaped})", f"(uniqueMember={escaped})"]
        if uid:
            tests.append(f"(memberUid={escape_filter_chars(uid)})")
        if not tests:
            return []
        return self._search(and_filters(self._group_filter(), "(|" + "".join(tests) + ")", self.filter),
                            limit=self.query_limit)

    def groups_of(self, uid: str, dn: str | None = None) -> list[str]:
        """UIDs of the groups of this source that contain ``uid``, directly or through nested groups."""
        if dn is None:
            dn = self.lookup_dn(uid)
        found: dict[str, str] = {}
        pending = [(dn, uid)]
        for _depth in range(NESTING_LIMIT):
            if not pending:
                break
            next_round = []
            for member_dn, member_uid in pending:
                for group_dn, attrs in self.groups_containing(member_dn, member_uid):
                    if group_dn.lower() in found:
                        continue
                    group_uid = self._first(attrs, self.uid_field)
                    if group_uid is None:
                        continue
                    found[group_dn.lower()] = group_uid
                    next_round.append((group_dn, None))
            pending = next_round
        return sorted(set(found.values()))

    def member_uid(self, dn: str, attrs: dict) -> str | None:
        """The uid of a member entry: by this source's UIDFieldName when below its
        baseDN, else by ``uid`` (a user of another source on the same server)."""
        if _below(dn, self.base_dn):
            return self._first(attrs, self.uid_field)
        return self._first(attrs, "uid") or self._first(attrs, self.uid_field)

    def members(self, group_uid: str, resolve=None) -> list[str] | None:
        """UIDs of the users in group ``group_uid`` (nested groups expanded); None when not a group here.

        ``resolve(dn, attrs)`` names a member entry (default :meth:`member_uid`)."""
        resolve = resolve or self.member_uid
        if not _acceptable_login(group_uid):
            return None
        found = self._one(and_filters(any_equal([self.uid_field], group_uid), self._group_filter(), self.filter))
        if found is None:
            return None
        users: set[str] = set()
        seen = {found[0].lower()}
        pending = [found[1]]
        for _depth in range(NESTING_LIMIT):
            if not pending:
                break
            next_round = []
            for attrs in pending:
                for value in attrs.get("memberUid", []):
                    if _text(value):
                        users.add(_text(value))
                for value in attrs.get("member", []) + attrs.get("uniqueMember", []):
                    member_dn = _text(value)
                    if not member_dn or member_dn.lower() in seen:
                        continue
                    seen.add(member_dn.lower())
                    member = self._read(member_dn.split("#", 1)[0])
                    if member is None:
                        continue
                    if self._is_group(member):
                        next_round.append(member)
                    else:
                        uid = resolve(member_dn, member)
                        if uid:
                            users.add(uid)
            pending = next_round
        return sorted(users)

    # -- the address-book side -------------------------------------------
    def _search_raw(self, text: str | None, limit: int | None):
        if text is None or text.strip() in ("", "."):
            condition = None
        else:
            fields = [self.cn_field, self.uid_field, *self.mail_fields, *self.search_fields]
            condition = any_contains(fields, text.strip())
        found = self._search(and_filters(condition, self.filter), limit=limit or self.query_limit)
        found.sort(key=lambda item: (self._first(item[1], self.uid_field) or "").lower())
        return found[:limit] if limit else found

    def search_entries(self, text: str | None, limit: int | None = None) -> list[dict]:
        return [self._entry(dn, attrs) for dn, attrs in self._search_raw(text, limit)]

    def entry(self, name: str) -> dict | None:
        if not _acceptable_login(name):
            return None
        found = self._one(and_filters(any_equal([self.id_field], name), self.filter))
        return self._entry(*found) if found else None

    def _entry(self, dn: str, attrs: dict) -> dict:
        entry: dict = {}
        for name, values in attrs.items():
            key = name.lower()
            if key in _HIDDEN:
                continue
            if key in _BINARY:
                converted = list(values)
            else:
                converted = [t for t in map(_text, values) if t is not None]
            if converted:
                entry[key] = converted[0] if len(converted) == 1 else converted
        entry["dn"] = dn
        entry["c_name"] = self._first(attrs, self.id_field) or dn
        entry["c_uid"] = self._first(attrs, self.uid_field) or entry["c_name"]
        entry["c_cn"] = self._first(attrs, self.cn_field) or ""
        emails = self._emails(attrs)
        if emails:
            entry["c_emails"] = emails
        if self._is_group(attrs):
            entry["isgroup"] = "1"
        return entry

    # -- per-user books (abOU) --------------------------------------------
    def user_books(self, uid: str) -> list["LDAPSource"]:
        """The books of ``uid``: one per ``ou`` entry below ``ou=<abOU>,<user DN>``,
        each a source over that entry, written by ``uid`` alone."""
        if not self.ab_ou:
            return []
        dn = self.lookup_dn(uid)
        if dn is None:
            return []
        found = self._search("(objectClass=organizationalUnit)", base=f"ou={escape_dn_chars(str(self.ab_ou))},{dn}",
                             scope=ldap.SCOPE_ONELEVEL)
        return [book for book in (self._user_book(uid, *item) for item in found) if book.id]

    def _user_book(self, uid: str, dn: str, attrs: dict) -> "LDAPSource":
        book = copy.copy(self)
        book._run = self._run       # the parent's connection
        book.id = self._first(attrs, "ou") or ""
        book.display_name = self._first(attrs, "description") or book.id
        book.base_dn, book.scope, book.filter = dn, ldap.SCOPE_ONELEVEL, None
        book.modifiers, book.ab_ou, book.personal_book = [uid], None, True
        book.list_requires_dot, book.can_authenticate, book.is_address_book = False, False, False
        return book

    # -- writes by the modifiers (guide §5.4) -----------------------------
    def may_modify(self, uid: str | None) -> bool:
        return bool(uid) and uid.lower() in {m.lower() for m in self.modifiers}

    def write_entry(self, name: str, attributes: dict[str, list[str]], managed) -> bool:
        """Create or update the entry ``name`` (IDFieldName) below baseDN with ``attributes``;
        on an update, ``managed`` attributes absent from ``attributes`` are removed.
        True when the entry was created."""
        if not _acceptable_login(name):
            raise WriteRefused(f"LDAP source {self.id!r}: bad entry name")
        found = self._one(and_filters(any_equal([self.id_field], name), self.filter))
        encoded = {k: [v.encode("utf-8") for v in values] for k, values in attributes.items() if values}
        if found is None:
            dn = f"{self.id_field}={escape_dn_chars(name)},{self.base_dn}"
            record = {"objectClass": [c.encode("utf-8") for c in self.object_classes],
                      self.id_field: [name.encode("utf-8")], **encoded}
            if self.uid_field.lower() != self.id_field.lower():
                record.setdefault(self.uid_field, [name.encode("utf-8")])
            self._write(lambda conn: conn.add_s(dn, list(record.items())))
            return True
        dn, current = found
        have = {k.lower(): v for k, v in current.items()}
        changes = []
        for attr in managed:
            new = encoded.get(attr)
            if new:
                if new != have.get(attr.lower()):
                    changes.append((ldap.MOD_REPLACE, attr, new))
            elif attr.lower() in have and attr.lower() not in ("cn", "sn"):    # person requires them
                changes.append((ldap.MOD_DELETE, attr, None))
        if changes:
            self._write(lambda conn: conn.modify_s(dn, changes))
        return False

    def delete_entry(self, name: str) -> bool:
        found = self._one(and_filters(any_equal([self.id_field], name), self.filter)) \
            if _acceptable_login(name) else None
        if found is None:
            return False
        self._write(lambda conn: conn.delete_s(found[0]))
        return True

    def _write(self, operation) -> None:
        try:
            self._run(lambda connection: operation(connection.conn))
        except SourceError:
            raise
        except (ldap.INSUFFICIENT_ACCESS, ldap.OBJECT_CLASS_VIOLATION, ldap.UNDEFINED_TYPE,
                ldap.INVALID_SYNTAX, ldap.ALREADY_EXISTS, ldap.NOT_ALLOWED_ON_NONLEAF,
                ldap.CONSTRAINT_VIOLATION, ldap.NAMING_VIOLATION) as exc:
            raise WriteRefused(f"LDAP source {self.id!r}: write refused: {_describe(exc)}") from None
        except ldap.LDAPError as exc:
            raise SourceError(f"LDAP source {self.id!r}: write failed: {_describe(exc)}") from None

    # -- entries to users ------------------------------------------------
    @staticmethod
    def _first(attrs: dict, name: str | None) -> str | None:
        if not name:
            return None
        for key, values in attrs.items():
            if key.lower() == str(name).lower():
                for value in values:
                    text = _text(value)
                    if text:
                        return text
        return None

    @staticmethod
    def _values(attrs: dict, name: str) -> list[str]:
        return [t for key, values in attrs.items() if key.lower() == name.lower()
                for t in map(_text, values) if t]

    def _emails(self, attrs: dict) -> list[str]:
        emails = []
        for field in self.mail_fields:
            for key, values in attrs.items():
                if key.lower() != field.lower():
                    continue
                for value in map(_text, values):
                    if not value:
                        continue
                    if key.lower() == "proxyaddresses":
                        if not value.lower().startswith("smtp:"):
                            continue
                        value = value[5:]
                    emails.append(value)
        return list(dict.fromkeys(emails))

    def _user(self, dn: str, attrs: dict, policy: dict | None = None) -> User:
        uid = self._first(attrs, self.uid_field) or ""
        classes = {(_text(v) or "").lower() for v in attrs.get("objectClass", [])}
        kind = (self._first(attrs, self.kind_field) or "").lower() if self.kind_field else ""
        if not kind and "calendarresource" in classes:
            kind = (self._first(attrs, "kind") or "thing").lower()
        if not kind and classes & set(self.group_classes):
            kind = "group"          # invited groups are expanded to their members
        bookings = self._first(attrs, self.bookings_field) if self.bookings_field else None
        if bookings is None and "calendarresource" in classes:
            bookings = self._first(attrs, "multipleBookings")
        attributes = {k: (_text(v[0]) or "") for k, v in attrs.items()
                      if k.lower() not in _HIDDEN and k.lower() not in _BINARY and v}
        attributes["dn"] = dn
        for key, value in (policy or {}).items():
            attributes[f"passwordPolicy.{key}"] = str(value)
        if classes & set(self.group_classes):
            attributes["isGroup"] = "1"
        return User(
            uid=uid, source_id=self.id, cn=self._first(attrs, self.cn_field) or "",
            emails=tuple(self._emails(attrs)), domain=self.domain,
            imap_host=self._first(attrs, self.imap_host_field),
            imap_login=self._first(attrs, self.imap_login_field) or uid,
            sieve_host=self._first(attrs, self.sieve_host_field),
            kind=kind if kind in ("group", "location", "thing") else "user",
            multiple_bookings=int(bookings) if bookings and bookings.lstrip("-").isdigit() else 0,
            modules=allowed_modules(self.modules_constraints, lambda name: self._values(attrs, name)),
            attributes=attributes,
        )


# --------------------------------------------------------------------------- helpers

def _acceptable_login(value) -> bool:
    """Refuse what can never be a login: empty, too long, control characters (NUL…)."""
    return bool(value) and isinstance(value, str) and len(value) <= 256 \
        and not any(ord(c) < 32 or ord(c) == 127 for c in value)


def _below(dn: str, base: str) -> bool:
    try:
        dn_parts, base_parts = ldap.dn.str2dn(dn.lower()), ldap.dn.str2dn(base.lower())
    except ldap.DECODING_ERROR:
        return False
    return not base_parts or dn_parts[-len(base_parts):] == base_parts


def ldap_sources(sources) -> list[LDAPSource]:
    return [s for s in sources if isinstance(s, LDAPSource)]


def groups_of(sources, uid: str) -> list[str]:
    """Groups of ``uid`` across every LDAP source: the user's DN comes from the
    source that knows the user; each LDAP source contributes its groups."""
    ldaps = ldap_sources(sources)
    dn = None
    for source in ldaps:
        dn = source.lookup_dn(uid)
        if dn:
            break
    found: set[str] = set()
    for source in ldaps:
        found.update(source.groups_of(uid, dn=dn))
    return sorted(found)


def members(sources, group_uid: str, *, among=None, name=None) -> list[str] | None:
    """Members of the group ``group_uid`` from the first LDAP source of ``among``
    (default: all) that has it; each member named by the source whose baseDN holds
    it, through ``name(source, uid)`` when given (the directory adds domains)."""
    ldaps = ldap_sources(sources)

    def resolve(dn, attrs):
        owners = sorted((s for s in ldaps if _below(dn, s.base_dn)), key=lambda s: -len(s.base_dn))
        owner = owners[0] if owners else ldaps[0]
        uid = owner.member_uid(dn, attrs)
        return name(owner, uid) if name and uid else uid

    for source in ldap_sources(sources if among is None else among):
        found = source.members(group_uid, resolve)
        if found is not None:
            return found
    return None
