"""Directory address books: user sources with ``isAddressBook = YES``, read-only
except to the source's ``modifiers`` (guide §5.4), whose PUT and DELETE are
written to LDAP (the vCard fields of guide §5.6 back to their attributes).

Each such source appears in every user's Contacts home under its ``id``, with
its ``displayName``. Its entries become vCards (guide §5.6): attribute names
are SOGo's LDAP names (``givenname``, ``sn``, ``mail``, ``telephonenumber``…);
SQL columns count under their own name and without their ``c_`` prefix, and a
source's ``mapping`` ({sogo name: [source attributes…]}) overrides both.

``listRequiresDot`` (default YES) hides the entries from a Depth 1 PROPFIND
and from an addressbook-query without a text-match: only searches return
entries, each needle at least ``SOGoSearchMinimumWordLength`` characters
(or a single "."), at most ``SOGoLDAPQueryLimit`` of them. ETags are
``hash<number>`` as SOGo gives its LDAP contacts.

With ``domains``, a user sees the books of sources without a domain, of the
user's domain, and of the domains SOGoDomainsVisibility makes visible to it.

Per-user LDAP books (``abOU``) are their owner's alone, as in SOGo: listed,
read and written by the owner only, created by the owner's MKCOL, renamed
(``description``) by a PROPPATCH of DAV:displayname, deleted with their cards;
never shared, so the ACL method and the acl-query POST on them answer 403.
"""

from __future__ import annotations

import base64
import zlib
from email.utils import formatdate
from types import SimpleNamespace

from ..auth.sources import SourceError
from ..dav.errors import DAVError
from ..dav.folder import Collection, FolderObject, Unmapped
from ..dav.resources import Resource
from ..dav.xml import CARDDAV, DAV, clark
from .resources import ADDRESSBOOK_CLASSES, GROUPDAV, VALID_DATA, parse_put_body
from .vcard import field, fields, flattened, lines, parse_vcard, types, uid_of

CONTENT_TYPE = "text/x-vcard; charset=utf-8"
NOT_SHARED = "per-user LDAP address books are not shared: their access rights cannot change"


# --------------------------------------------------------------------------- entries to vCards

def normalized(entry: dict, mapping: dict | None = None) -> dict:
    """Lower-cased attribute names; ``c_x`` also as ``x``; then the source's mapping."""
    attrs = {str(k).lower(): v for k, v in entry.items() if v not in (None, "", b"")}
    for key in list(attrs):
        if key.startswith("c_") and key[2:] and key[2:] not in attrs:
            attrs[key[2:]] = attrs[key]
    for name, sources in (mapping or {}).items():
        for source in sources:
            value = attrs.get(str(source).lower())
            if value not in (None, "", b""):
                attrs[name.lower()] = value
                break
    return attrs


def _escape(value) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, (bytes, bytearray, memoryview)) \
        else str(value)
    return (text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "")
            .replace(",", "\\,").replace(";", "\\;"))


def _fold(line: str) -> str:
    out, width = [], 75
    while len(line.encode("utf-8")) > width:
        cut = width
        while len(line[:cut].encode("utf-8")) > width:
            cut -= 1
        out.append(line[:cut])
        line = " " + line[cut:]
        width = 75
    out.append(line)
    return "\r\n".join(out)


def _values(attrs: dict, name: str) -> list:
    value = attrs.get(name)
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def entry_vcard(entry: dict, mapping: dict | None = None, contact_info: str | None = None) -> str:
    """A vCard 3.0 of one directory entry (pure)."""
    a = normalized(entry, mapping)
    one = lambda name: _escape(_values(a, name)[0]) if _values(a, name) else ""  # noqa: E731
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"UID:{_escape(a.get('c_name') or a.get('uid') or '')}"]
    given, sn = one("givenname"), one("sn")
    fn = one("displayname") or one("cn") or " ".join(p for p in (given, sn) if p)
    lines.append(f"FN:{fn}")
    lines.append(f"N:{sn};{given};;;")
    if one("mozillanickname"):
        lines.append(f"NICKNAME:{one('mozillanickname')}")
    emails = [e for e in str(a.get("mail", "")).split() if e]
    for index, email in enumerate(emails):
        lines.append(f"EMAIL;TYPE=work{',pref' if index == 0 else ''}:{_escape(email)}")
    if one("mozillasecondemail"):
        lines.append(f"EMAIL;TYPE=home:{one('mozillasecondemail')}")
    if one("nsaimid"):
        lines.append(f"X-AIM:{one('nsaimid')}")
    for attr, kind in (("telephonenumber", "work"), ("homephone", "home"), ("mobile", "cell"),
                       ("facsimiletelephonenumber", "fax"), ("pager", "pager")):
        for value in _values(a, attr):
            lines.append(f"TEL;TYPE={kind}:{_escape(value)}")
    home = [" ".join(p for p in (one("mozillahomestreet"), one("mozillahomestreet2")) if p),
            one("mozillahomelocalityname"), one("mozillahomestate"), one("mozillahomepostalcode"),
            one("mozillahomecountryname")]
    if any(home):
        lines.append("ADR;TYPE=home:;;" + ";".join(home))
    work = [" ".join(p for p in (one("street"), one("mozillaworkstreet2")) if p),
            one("l"), one("st"), one("postalcode"), one("c")]
    if any(work):
        lines.append("ADR;TYPE=work:;;" + ";".join(work))
    if one("mozillahomeurl"):
        lines.append(f"URL;TYPE=home:{one('mozillahomeurl')}")
    if one("mozillaworkurl"):
        lines.append(f"URL;TYPE=work:{one('mozillaworkurl')}")
    if one("title"):
        lines.append(f"TITLE:{one('title')}")
    if one("o") or one("ou"):
        lines.append(f"ORG:{one('o')};{one('ou')}" if one("ou") else f"ORG:{one('o')}")
    year, month, day = one("birthyear"), one("birthmonth"), one("birthday")
    if year and month and day and year.isdigit() and month.isdigit() and day.isdigit():
        lines.append(f"BDAY:{int(year):04d}-{int(month):02d}-{int(day):02d}")
    notes = [one("description")]
    if contact_info and one(contact_info.lower()):
        notes.append(one(contact_info.lower()))
    if any(notes):
        lines.append("NOTE:" + "\\n".join(n for n in notes if n))
    photo = _values(a, "photo") or _values(a, "jpegphoto")
    if photo:
        data = photo[0]
        if isinstance(data, (bytes, bytearray, memoryview)):
            data = base64.b64encode(bytes(data)).decode("ascii")
        lines.append(f"PHOTO;ENCODING=b;TYPE=JPEG:{data}")
    lines.append("END:VCARD")
    return "".join(_fold(line) + "\r\n" for line in lines)


# the attributes a modifier's PUT sets (and removes when the card lacks them)
MANAGED = ("cn", "sn", "givenName", "mail", "telephoneNumber", "mobile", "homePhone",
           "facsimileTelephoneNumber", "o", "ou", "title", "street", "l", "st", "postalCode")
_TEL = {"cell": "mobile", "home": "homePhone", "fax": "facsimileTelephoneNumber"}


def card_ldap_attributes(card) -> dict[str, list[str]]:
    """The LDAP attributes of a vCard (guide §5.6 reversed, common fields; pure)."""
    out: dict[str, list[str]] = {}

    def add(attr, value):
        if value and value not in out.setdefault(attr, []):
            out[attr].append(value)
    n = next(iter(lines(card, "N")), None)
    sn, given = field(n, 0), field(n, 1)
    fn = flattened(next(iter(lines(card, "FN")), None))
    add("cn", fn or " ".join(p for p in (given, sn) if p))
    add("sn", sn or fn)
    add("givenName", given)
    for line in lines(card, "EMAIL"):
        add("mail", flattened(line))
    for line in lines(card, "TEL"):
        kinds = types(line)
        attr = next((_TEL[k] for k in kinds if k in _TEL), "telephoneNumber")
        add(attr, flattened(line))
    org = next(iter(lines(card, "ORG")), None)
    if org is not None:
        parts = [",".join(p) for p in fields(org)]
        add("o", parts[0] if parts else "")
        add("ou", parts[1] if len(parts) > 1 else "")
    add("title", flattened(next(iter(lines(card, "TITLE")), None)))
    addresses = lines(card, "ADR")
    work = next((a for a in addresses if "home" not in types(a)), None)
    if work is not None:
        for index, attr in ((2, "street"), (3, "l"), (4, "st"), (5, "postalCode")):
            add(attr, field(work, index))
    return {k: v for k, v in out.items() if v}


def entry_etag(content: str) -> str:
    """SOGo answers ``hash<unsigned hash of the content>`` (no quotes) for LDAP contacts."""
    return f"hash{zlib.crc32(content.encode('utf-8'))}"


# --------------------------------------------------------------------------- resources

def _min_length(ctx) -> int:
    value = ctx.defaults.get("SOGoSearchMinimumWordLength")
    return int(value) if str(value if value is not None else "").strip().isdigit() else 2


def _limit(ctx, source) -> int | None:
    if source.query_limit:
        return source.query_limit
    value = ctx.defaults.get("SOGoLDAPQueryLimit")
    return int(value) if str(value or "").strip().isdigit() and int(value) > 0 else None


class DirectoryBook(Resource):
    """One address-book source, read-only."""

    methods = ("OPTIONS", "PROPFIND", "REPORT")
    dav_classes = ADDRESSBOOK_CLASSES
    resource_types = (clark(DAV, "collection"), clark(GROUPDAV, "vcard-collection"),
                      clark(CARDDAV, "addressbook"), clark(CARDDAV, "directory"))
    directory = True

    def __init__(self, home, source):
        self.home = home
        self.source = source
        self.owner = home.owner
        self.display_name = source.display_name
        self.path = f"{home.path}{source.id}/"
        self.personal = getattr(source, "personal_book", False)
        if self.personal:       # abOU: the user's own, not a directory; never shared
            self.resource_types = self.resource_types[:3]
            self.methods = self.methods + ("PROPPATCH", "DELETE", "POST", "ACL")
            self.acl_refusal = NOT_SHARED

    def card(self, entry: dict) -> "DirectoryCard":
        content = entry_vcard(entry, self.source.mapping, self.source.contact_info_attribute)
        return DirectoryCard(self, str(entry["c_name"]), content)

    def search(self, ctx, needles: list[str] | None) -> list["DirectoryCard"]:
        """Cards for the union of the needles' searches; None lists all (unless listRequiresDot)."""
        limit = _limit(ctx, self.source)
        try:
            if needles is None:
                entries = [] if self.source.list_requires_dot else self.source.search_entries(None, limit)
            else:
                minimum = _min_length(ctx)
                entries, seen = [], set()
                for needle in needles:
                    if needle.strip() != "." and len(needle.strip()) < minimum:
                        continue
                    for entry in self.source.search_entries(needle, limit):
                        if entry["c_name"] not in seen:
                            seen.add(entry["c_name"])
                            entries.append(entry)
        except SourceError:
            raise DAVError(503, "the directory cannot be searched now") from None
        if limit:
            entries = entries[:limit]
        return [self.card(e) for e in entries]

    def children(self, ctx):
        return self.search(ctx, None)

    def child(self, ctx, name: str):
        try:
            entry = self.source.entry(name)
        except SourceError:
            raise DAVError(503, "the directory cannot be read now") from None
        if ctx.request.method in ("PUT", "DELETE") and getattr(self.source, "modifiers", None):
            if not self.may_write(ctx):     # a book with modifiers: read-only to the others
                raise DAVError(403, "the directory is read-only")
            writes = DirectoryWrites(self)
            return WritableCard(writes, self.card(entry)) if entry is not None else Unmapped(writes, name)
        if entry is None:
            raise DAVError(404, "not found")
        return self.card(entry)

    def may_write(self, ctx) -> bool:
        may_modify = getattr(self.source, "may_modify", None)
        return ctx.user is not None and may_modify is not None and may_modify(ctx.user.uid)

    # -- the owner's changes to a per-user book (abOU) --------------------
    def _owned(self) -> None:
        if not (self.personal and self.home.is_owner):
            raise DAVError(403, "only the owner changes this address book")

    def rename(self, ctx, display_name: str) -> None:
        """PROPPATCH DAV:displayname: the book entry's ``description``."""
        from ..auth.ldap_books import rename_book
        self._owned()
        _written(lambda: rename_book(self.source, self.source.base_dn, display_name))
        self.display_name = display_name

    def delete_collection(self, ctx) -> None:
        """DELETE: the book entry and every card below it."""
        from ..auth.ldap_books import remove_book
        self._owned()
        _written(lambda: remove_book(self.source, self.source.base_dn))


class DirectoryCard(Resource):
    is_collection = False
    methods = ("OPTIONS", "PROPFIND", "GET", "HEAD")
    dav_classes = ADDRESSBOOK_CLASSES
    content_type = CONTENT_TYPE

    def __init__(self, book: DirectoryBook, name: str, content: str):
        self.book = book
        self.collection = book
        self.name = name
        self.owner = book.owner
        self.text = content
        self.path = f"{book.path}{name}"
        if book.personal:
            self.methods = self.methods + ("POST", "ACL")
            self.acl_refusal = NOT_SHARED

    @property
    def etag(self) -> str:
        return entry_etag(self.text)

    @property
    def last_modified(self) -> str:
        return formatdate(usegmt=True)

    def content(self, ctx) -> str:
        return self.text

    def render(self, ctx):
        return self.text.encode("utf-8"), self.content_type


# --------------------------------------------------------------------------- writes by the modifiers

_MODIFIER = SimpleNamespace(owner=False, can_create=True, can_delete=True, can_modify=lambda _klass: True)


class _SourceFolder:
    """What the PUT and DELETE methods need of a folder, over the source's entries."""

    def __init__(self, source):
        self.source = source

    def put_object(self, name, content, quick_row, base_version=None, hook=None):
        attributes = card_ldap_attributes(parse_vcard(content))
        created = _written(lambda: self.source.write_entry(name, attributes, MANAGED))
        return zlib.crc32(content.encode("utf-8")), created

    def delete_object(self, name, hook=None):
        _written(lambda: self.source.delete_entry(name))


def _written(operation):
    from ..auth.ldap import WriteRefused
    try:
        return operation()
    except WriteRefused as exc:
        raise DAVError(403, str(exc)) from None
    except SourceError:
        raise DAVError(503, "the directory cannot be written now") from None


class DirectoryWrites(Collection):
    """A directory book as its modifiers write to it (PUT, DELETE); never listed."""

    def __init__(self, book: DirectoryBook):
        self.home, self.book, self.owner, self.path = book.home, book, book.owner, book.path
        self.folder = _SourceFolder(book.source)
        self.access = _MODIFIER

    def prepare(self, ctx, body: bytes, name: str):
        text, card = parse_put_body(ctx, body)
        if not card_ldap_attributes(card).get("cn"):
            raise DAVError(400, "a directory entry needs a name (FN or N)", precondition=VALID_DATA)
        return text, None, uid_of(card)

    def check_uid_unique(self, uid: str, name: str) -> None:
        pass                        # the entry's name (IDFieldName) is its identity

    def after_write(self, ctx, name, content, previous=None):
        pass

    def after_delete(self, ctx, name):
        pass


class WritableCard(FolderObject):
    """An existing entry of a directory book, as a modifier's PUT or DELETE finds it."""

    def __init__(self, writes: DirectoryWrites, card: DirectoryCard):
        super().__init__(writes, SimpleNamespace(c_name=card.name, c_version=0, c_content=card.text))
        self.card = card

    @property
    def etag(self) -> str:
        return self.card.etag

    def classification(self) -> str:
        return "Public"


# --------------------------------------------------------------------------- domains (guide §5.15)

def visible_sources(sources, domains: set[str]) -> list:
    """Address-book sources of no domain (every domain sees them) or of one of ``domains``."""
    return [s for s in sources if getattr(s, "is_address_book", False)
            and (not getattr(s, "source_domain", None) or s.source_domain.lower() in domains)]


def _sources(ctx, home):
    directory = ctx.services.directory
    domain = directory.domain_of(ctx.user or home.owner)
    return visible_sources(directory.sources, directory.visible_domains(domain))


def _user_books(ctx, home) -> list:
    """The owner's per-user LDAP books (abOU) in the owner's own source, shown to the owner only."""
    source = _own_books_source(ctx, home.owner) if home.is_owner else None
    if source is None:
        return []
    try:
        return source.user_books(ctx.services.directory.local_uid(source, home.owner.uid))
    except SourceError:
        raise DAVError(503, "the directory cannot be read now") from None


def directory_books(ctx, home) -> list[DirectoryBook]:
    return [DirectoryBook(home, s) for s in _sources(ctx, home) + _user_books(ctx, home)]


def directory_book(ctx, home, name: str) -> DirectoryBook | None:
    source = next((s for s in _sources(ctx, home) if s.id == name), None)
    if source is None:
        source = next((s for s in _user_books(ctx, home) if s.id == name), None)
    return DirectoryBook(home, source) if source is not None else None


def _own_books_source(ctx, owner):
    """The owner's user source when it keeps per-user books (abOU), else None."""
    source = ctx.services.directory.source(owner.source_id)
    return source if getattr(source, "ab_ou", None) else None


def create_user_book(ctx, home, name: str, display_name: str) -> DirectoryBook | None:
    """MKCOL in the Contacts home of a user whose source has abOU: a new LDAP book
    (None for the others: their books are folders)."""
    source = _own_books_source(ctx, home.owner)
    if source is None:
        return None
    if not home.is_owner:
        raise DAVError(403, "only the owner creates address books in the directory")
    from ..auth.ldap_books import create_book
    uid = ctx.services.directory.local_uid(source, home.owner.uid)
    _written(lambda: create_book(source, uid, name, display_name))
    book = directory_book(ctx, home, name)
    if book is None:
        raise DAVError(503, "the new address book cannot be read back")
    return book
