"""CardDAV REPORTs (RFC 6352 §8): addressbook-query and addressbook-multiget.

The filter is parsed into plain objects and matched against parsed vCards
with the shared collations; on personal books the quick table narrows the
candidates first when that cannot lose a match. Unlike SOGo, FN is matched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import func, or_, select
from werkzeug.wrappers import Response

from ..caldav.reports import _requested
from ..dav.collation import (DEFAULT_COLLATION, SUPPORTED_COLLATIONS, UnsupportedCollation,
                             UnsupportedMatchType, text_match)
from ..dav.errors import DAVError
from ..dav.methods.propfind import properties_of
from ..dav.methods.report import REPORTS
from ..dav.multiget import Multiget, respond as multiget_respond
from ..dav.xml import CARDDAV, DAV, MultiStatus, clark, element, href
from .directory import DirectoryBook
from .resources import ContactsCollection
from .vcard import InvalidVCard, flattened, lines, parse_vcard, types

VALID_FILTER = clark(CARDDAV, "valid-filter")
SUPPORTED_COLLATION = clark(CARDDAV, "supported-collation")

# RFC 6350 (vCard 4.0), RFC 2426 (3.0), RFC 6474/6715 and common extensions; X- names are always accepted.
KNOWN_PROPERTIES = frozenset("""
ADR AGENT ANNIVERSARY BDAY BIRTHPLACE CALADRURI CALURI CATEGORIES CLASS CLIENTPIDMAP DEATHDATE
DEATHPLACE EMAIL EXPERTISE FBURL FN GENDER GEO HOBBY IMPP INTEREST KEY KIND LABEL LANG LOGO MAILER
MEMBER N NAME NICKNAME NOTE ORG ORG-DIRECTORY PHOTO PRODID PROFILE RELATED REV ROLE SORT-STRING
SOUND SOURCE TEL TITLE TZ UID URL VERSION XML
""".split())
_NAME = re.compile(r"^[A-Za-z0-9-]+$")
# Columns of the contact quick table that hold a property's whole value (for prefiltering).
QUICK_COLUMNS = {"EMAIL": "c_mail", "FN": "c_cn"}


@dataclass
class TextMatch:
    needle: str
    collation: str = DEFAULT_COLLATION
    match_type: str = "contains"
    negate: bool = False

    def matches(self, value: str) -> bool:
        return text_match(value, self.needle, collation=self.collation, match_type=self.match_type,
                          negate=self.negate)


@dataclass
class ParamFilter:
    name: str
    is_not_defined: bool = False
    text: TextMatch | None = None

    def matches(self, line) -> bool:
        if self.name == "TYPE":
            values = types(line)
        else:
            values = [str(v) for v in line.params.get(self.name, [])]
        if self.is_not_defined:
            return not values
        if not values:
            return False
        return self.text is None or any(self.text.matches(v) for v in values)


@dataclass
class PropFilter:
    name: str
    allof: bool = False
    is_not_defined: bool = False
    texts: list[TextMatch] = field(default_factory=list)
    params: list[ParamFilter] = field(default_factory=list)

    def matches(self, card) -> bool:
        found = lines(card, self.name)
        if self.is_not_defined:
            return not found
        return any(self._line_matches(line) for line in found)

    def _line_matches(self, line) -> bool:
        tests = [lambda t=t: t.matches(flattened(line)) for t in self.texts]
        tests += [lambda p=p: p.matches(line) for p in self.params]
        if not tests:
            return True
        return all(t() for t in tests) if self.allof else any(t() for t in tests)


@dataclass
class Filter:
    props: list[PropFilter]
    allof: bool = False

    def matches(self, card) -> bool:
        if not self.props:
            return True
        results = (p.matches(card) for p in self.props)
        return all(results) if self.allof else any(results)

    def needles(self) -> list[str] | None:
        """The text a directory should search for; None when nothing narrows the search."""
        texts = [t.needle for p in self.props for t in p.texts if not t.negate]
        return texts or None


# --------------------------------------------------------------------------- parsing

def _test(el) -> bool:
    value = (el.get("test") or "anyof").strip()
    if value not in ("anyof", "allof"):
        raise DAVError(400, f"invalid test {value!r}", precondition=VALID_FILTER)
    return value == "allof"


def _text_match(el) -> TextMatch:
    collation = el.get("collation") or DEFAULT_COLLATION
    if collation not in SUPPORTED_COLLATIONS:
        raise DAVError(403, f"unsupported collation {collation!r}", precondition=SUPPORTED_COLLATION)
    match_type = el.get("match-type") or "contains"
    negate = (el.get("negate-condition") or "no").strip().lower()
    if negate not in ("yes", "no"):
        raise DAVError(400, "negate-condition must be yes or no", precondition=VALID_FILTER)
    tm = TextMatch(el.text or "", collation, match_type, negate == "yes")
    try:
        tm.matches("")
    except (UnsupportedCollation, UnsupportedMatchType) as exc:
        raise DAVError(400, str(exc), precondition=VALID_FILTER) from None
    return tm


def _name(el) -> str:
    name = (el.get("name") or "").strip().upper()
    if not _NAME.match(name):
        raise DAVError(400, f"invalid property name {name!r}", precondition=VALID_FILTER)
    return name


def parse_filter(el) -> Filter:
    if el is None:
        raise DAVError(400, "addressbook-query needs a filter", precondition=VALID_FILTER)
    props = []
    for prop_el in el:
        if prop_el.tag != clark(CARDDAV, "prop-filter"):
            raise DAVError(400, f"unexpected {prop_el.tag} in filter", precondition=VALID_FILTER)
        name = _name(prop_el)
        if name not in KNOWN_PROPERTIES and not name.startswith("X-"):
            raise DAVError(400, f"unknown property {name}", precondition=VALID_FILTER)
        pf = PropFilter(name, allof=_test(prop_el))
        for child in prop_el:
            if child.tag == clark(CARDDAV, "is-not-defined"):
                pf.is_not_defined = True
            elif child.tag == clark(CARDDAV, "text-match"):
                pf.texts.append(_text_match(child))
            elif child.tag == clark(CARDDAV, "param-filter"):
                param = ParamFilter(_name(child))
                for sub in child:
                    if sub.tag == clark(CARDDAV, "is-not-defined"):
                        param.is_not_defined = True
                    elif sub.tag == clark(CARDDAV, "text-match"):
                        param.text = _text_match(sub)
                    else:
                        raise DAVError(400, f"unexpected {sub.tag}", precondition=VALID_FILTER)
                pf.params.append(param)
            else:
                raise DAVError(400, f"unexpected {child.tag} in prop-filter", precondition=VALID_FILTER)
        if pf.is_not_defined and (pf.texts or pf.params):
            raise DAVError(400, "is-not-defined stands alone", precondition=VALID_FILTER)
        props.append(pf)
    return Filter(props, allof=_test(el))


def _limit(root) -> int | None:
    limit = root.find(clark(CARDDAV, "limit"))
    if limit is None:
        return None
    text = (limit.findtext(clark(CARDDAV, "nresults")) or "").strip()
    if not text.isdigit() or int(text) < 1:
        raise DAVError(400, "invalid limit", precondition=VALID_FILTER)
    return int(text)


# --------------------------------------------------------------------------- address-data subsets

def subset(content: str, names: list[str]) -> str:
    """The vCard with only the named properties (plus BEGIN, END, VERSION and UID), bytes kept."""
    keep = {n.strip().upper() for n in names} | {"BEGIN", "END", "VERSION", "UID"}
    out, keeping = [], False
    for raw in content.replace("\r\n", "\n").split("\n"):
        if raw[:1] in (" ", "\t"):
            if keeping:
                out.append(raw)
            continue
        if not raw:
            continue
        name = re.split(r"[;:]", raw, 1)[0].rsplit(".", 1)[-1].upper()
        keeping = name in keep
        if keeping:
            out.append(raw)
    return "\r\n".join(out) + "\r\n"


# --------------------------------------------------------------------------- the reports

def _usable(pf: PropFilter) -> TextMatch | None:
    """A text-match of ``pf`` that every match satisfies, checkable on the quick row."""
    if pf.name not in QUICK_COLUMNS or pf.is_not_defined or pf.params or not pf.texts:
        return None
    if not pf.allof and len(pf.texts) > 1:
        return None
    return next((t for t in pf.texts if not t.negate), None)


def _possible(row, column: str, tm: TextMatch) -> bool:
    value = getattr(row, column) or ""
    if column == "c_cn" and len(value) >= 255:
        return True                                  # truncated: cannot tell
    # equals / starts-with / ends-with all imply contains; c_mail joins every address
    return text_match(value, tm.needle, collation=tm.collation, match_type="contains")


def _sql_narrowing(collection, plan) -> list:
    """For one ASCII needle under i;ascii-casemap or i;octet, a LIKE the database can do
    first: every match satisfies it (lower() only ever adds candidates)."""
    if len(plan) != 1 or plan[0][1] is None:
        return []
    column, tm = plan[0]
    if tm.collation not in ("i;ascii-casemap", "i;octet") or not tm.needle.isascii():
        return []
    col = getattr(collection.folder.quick_table.c, column)
    pattern = "%" + tm.needle.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    clause = func.lower(col).like(pattern, escape="\\")
    return [or_(clause, func.length(col) >= 255) if column == "c_cn" else clause]


def candidate_names(collection, query: Filter) -> list[str] | None:
    """Names that may match, read from the quick table with the query's own
    collations (never an SQL approximation of them); None means every object.

    The quick row holds every EMAIL but only the first FN, so cards that may
    carry a second FN are always candidates."""
    plan = [(QUICK_COLUMNS.get(pf.name), _usable(pf)) for pf in query.props]
    usable = [(column, tm) for column, tm in plan if tm is not None]
    if not usable or (not query.allof and len(usable) < len(plan)):
        return None
    names = [r.c_name for r in collection.folder.quick_rows(*_sql_narrowing(collection, plan))
             if (all if query.allof else any)(_possible(r, column, tm) for column, tm in usable)]
    if any(column == "c_cn" for column, _ in usable):
        t = collection.folder.content_table
        several = func.lower(t.c.c_content).like("%fn%fn%")
        query_ = select(t.c.c_name).where(collection.folder.where(t, several))
        with collection.folder.engine.connect() as conn:
            names = sorted(set(names) | {r.c_name for r in conn.execute(query_)})
    return names


class AddressbookQuery:
    name = clark(CARDDAV, "addressbook-query")

    def applies_to(self, resource) -> bool:
        return isinstance(resource, (ContactsCollection, DirectoryBook))

    def run(self, ctx, book, root):
        query = parse_filter(root.find(clark(CARDDAV, "filter")))
        limit = _limit(root)
        mode, requested = _requested(root)
        if isinstance(book, DirectoryBook):
            candidates = book.search(ctx, query.needles())
        else:
            names = candidate_names(book, query)
            candidates = [book.object_class(book, row) for row in book.folder.list_objects(names)] \
                if book.access.read_level() == "full" else []
        status, count, truncated = MultiStatus(), 0, False
        for obj in candidates:
            try:
                card = parse_vcard(obj.content(ctx))
            except (DAVError, InvalidVCard):
                continue
            if not query.matches(card):
                continue
            if limit is not None and count >= limit:
                truncated = True
                break
            found, missing = properties_of(ctx, obj, mode, requested)
            status.add(obj.href, found, missing)
            count += 1
        if truncated:
            status.root.append(element(clark(DAV, "response"), children=[
                href(book.href), element(clark(DAV, "status"), "HTTP/1.1 507 Insufficient Storage")]))
        return Response(status.body(), status=207, content_type='text/xml; charset="utf-8"')


class DirectoryMultiget:
    """addressbook-multiget on a directory book: entries by href."""

    name = clark(CARDDAV, "addressbook-multiget")

    def run(self, ctx, book, root):
        return multiget_respond(ctx, book, root, _directory_entry)


def _directory_entry(ctx, book, name):
    try:
        return book.child(ctx, name)
    except DAVError:
        return None


class AddressbookMultiget:
    """The generic multiget for personal books, a by-name lookup for directories."""

    name = clark(CARDDAV, "addressbook-multiget")

    def __init__(self):
        self.folders = Multiget(self.name, ContactsCollection)
        self.directories = DirectoryMultiget()

    def applies_to(self, resource) -> bool:
        return isinstance(resource, DirectoryBook) or (
            self.folders.applies_to(resource) and isinstance(
                resource if isinstance(resource, ContactsCollection) else getattr(resource, "collection", None),
                ContactsCollection))

    def run(self, ctx, resource, root):
        if isinstance(resource, DirectoryBook):
            return self.directories.run(ctx, resource, root)
        return self.folders.run(ctx, resource, root)


REPORTS[AddressbookQuery.name] = AddressbookQuery()
REPORTS[AddressbookMultiget.name] = AddressbookMultiget()
