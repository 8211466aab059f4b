"""The CardDAV tree: /SOGo/dav/<uid>/Contacts/, its address books, their vCards and exports.

Personal books are folders (sogo_folder_info rows of type Contact); directory
books (user sources with ``isAddressBook = YES``) live in :mod:`.directory`
and appear in the same home under the source's id. A user whose source has
``abOU`` also sees the LDAP books below their entry, and a MKCOL in their home
creates such a book (their folders stay listed, but no new one is made).
"""

from __future__ import annotations

from sqlalchemy import select

from ..dav.errors import DAVError
from ..dav.folder import Collection, FolderObject, Home
from ..dav.resources import PRINCIPAL_CHILDREN, Resource
from ..dav.xml import CARDDAV, DAV, clark
from .quick import contact_quick_row
from .vcard import InvalidVCard, parse_vcard, uid_of

GROUPDAV = "http://groupdav.org/"
ADDRESSBOOK_CLASSES = ("1", "access-control", "addressbook", "extended-mkcol")
VCARD_TYPES = ("text/vcard", "text/x-vcard", "text/directory", "application/octet-stream", "text/plain")
VALID_DATA = clark(CARDDAV, "valid-address-data")


def parse_put_body(ctx, body: bytes):
    """(text, card) of a PUT body, or a 415/400."""
    content_type = (ctx.request.mimetype or "text/vcard").lower()
    if content_type not in VCARD_TYPES:
        raise DAVError(415, "expected text/vcard", precondition=clark(CARDDAV, "supported-address-data"))
    try:
        text = body.decode("utf-8")
        return text, parse_vcard(text)
    except (UnicodeDecodeError, InvalidVCard) as exc:
        raise DAVError(400, f"invalid vCard: {exc}", precondition=VALID_DATA) from None


class ContactObject(FolderObject):
    content_type = "text/x-vcard; charset=utf-8"     # as SOGo 5.8 answers
    dav_classes = ADDRESSBOOK_CLASSES

    def classification(self) -> str:
        return "Public"          # address books have no classes: roles are per book

    def render(self, ctx):
        return self.content(ctx).encode("utf-8"), self.content_type

    def content(self, ctx) -> str:
        if self.collection.access.read_level() != "full":
            raise DAVError(404, "not found")
        return self.row.c_content


class ContactsCollection(Collection):
    object_class = ContactObject
    dav_classes = ADDRESSBOOK_CLASSES
    resource_types = (clark(DAV, "collection"), clark(GROUPDAV, "vcard-collection"),
                      clark(CARDDAV, "addressbook"))

    def children(self, ctx):
        if self.access.read_level() != "full":
            return []
        return super().children(ctx)

    def child(self, ctx, name):
        obj = super().child(ctx, name)      # carries the card's own ACL when it has one
        if isinstance(obj, ContactObject) and obj.collection.access.read_level() != "full":
            raise DAVError(404, "not found")
        return obj

    def prepare(self, ctx, body: bytes, name: str):
        """Validate a PUT body; return (content, quick row, UID) or raise a 4xx."""
        text, card = parse_put_body(ctx, body)
        return text, contact_quick_row(card), uid_of(card)

    def check_uid_unique(self, uid: str, name: str) -> None:
        """UID unique per book. The contact quick table has no UID column: the
        candidates come from a LIKE on the content, then are parsed."""
        if not uid:
            return
        t = self.folder.content_table
        pattern = "%" + uid.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = (select(t.c.c_name, t.c.c_content)
                 .where(self.folder.where(t, self.folder._live(), t.c.c_name != name,
                                          t.c.c_content.like(pattern, escape="\\"))))
        with self.folder.engine.connect() as conn:
            rows = list(conn.execute(query))
        for row in rows:
            try:
                other = uid_of(parse_vcard(row.c_content))
            except InvalidVCard:
                continue
            if other == uid:
                raise DAVError(409, f"UID {uid} is already used by {row.c_name}",
                               precondition=clark(CARDDAV, "no-uid-conflict"))

    def after_write(self, ctx, name, content, previous=None):
        pass

    def after_delete(self, ctx, name):
        pass


class AddressBookExport(Resource):
    """GET /SOGo/dav/<uid>/Contacts/<id>.vcf: every card of the book, one after the other."""

    is_collection = False
    methods = ("OPTIONS", "GET", "HEAD", "PROPFIND")

    def __init__(self, collection: ContactsCollection):
        self.collection = collection
        self.owner = collection.owner
        self.path = collection.path.rstrip("/") + ".vcf"

    def render(self, ctx):
        parts = []
        for obj in self.collection.children(ctx):
            text = obj.content(ctx).replace("\r\n", "\n").rstrip("\n")
            parts.append(text.replace("\n", "\r\n") + "\r\n")
        return "".join(parts).encode("utf-8"), "text/x-vcard; charset=utf-8"


class ContactsHome(Home):
    kind = "Contacts"
    collection_class = ContactsCollection
    dav_classes = ADDRESSBOOK_CLASSES
    methods = ("OPTIONS", "PROPFIND", "PROPPATCH", "REPORT", "MKCOL")

    def children(self, ctx):
        from .directory import directory_books
        return super().children(ctx) + directory_books(ctx, self)

    def create_collection(self, ctx, name, display_name):
        from .directory import create_user_book
        return create_user_book(ctx, self, name, display_name) or super().create_collection(ctx, name, display_name)

    def child_extra(self, ctx, name):
        from .directory import directory_book
        book = directory_book(ctx, self, name)
        if book is not None:
            return book
        if name.endswith(".vcf"):
            folder = ctx.services.storage.folders.get(self.owner.uid, self.kind, name[:-4])
            if folder is not None:
                from ..dav.acl import folder_access
                access = folder_access(ctx, folder)
                if access.can_read_folder:
                    return AddressBookExport(ContactsCollection(self, folder, access))
        return None


def contacts_home(ctx, principal):
    if not ctx.defaults.bool("SOGoAddressBookDAVAccessEnabled"):
        return None
    return ContactsHome(ctx, principal)


PRINCIPAL_CHILDREN["Contacts"] = contacts_home
