"""Per-user LDAP address books (``abOU``, guide §5.4): create, rename, remove.

As SOGo's LDAPSource (``add``/``rename``/``removeAddressBookSource:``): a book
of user U is the organizationalUnit ``ou=<id>,ou=<abOU>,<U's DN>``, its
``description`` the book's name, its cards the entries below it. Writes go
through the source's connection, bound as it binds (bindDN, or the user under
``bindAsCurrentUser``: the directory must let users write below their entry);
a write the directory refuses raises :class:`WriteRefused`, a server that is
down :class:`SourceError`.
"""

from __future__ import annotations

import ldap
import ldap.dn
from ldap.dn import escape_dn_chars

from .ldap import LDAPSource, WriteRefused
from .sources import SourceError


def _record(ou: str, description: str | None = None) -> list[tuple[str, list[bytes]]]:
    record = [("objectClass", [b"organizationalUnit"]), ("ou", [ou.encode("utf-8")])]
    if description:
        record.append(("description", [description.encode("utf-8")]))
    return record


def _exists(source: LDAPSource, dn: str) -> bool:
    return bool(source._search("(objectClass=*)", base=dn, scope=ldap.SCOPE_BASE, limit=1, attrlist=["1.1"]))


def create_book(source: LDAPSource, uid: str, book_id: str, display_name: str | None) -> str:
    """Add the book ``book_id`` of ``uid``, and first its ``ou=<abOU>`` container
    when missing (removed again when the book cannot be added); the book's DN."""
    user_dn = source.lookup_dn(uid)
    if user_dn is None:
        raise WriteRefused(f"LDAP source {source.id!r}: no entry for {uid!r}")
    container = f"ou={escape_dn_chars(str(source.ab_ou))},{user_dn}"
    dn = f"ou={escape_dn_chars(book_id)},{container}"
    new_container = not _exists(source, container)
    if new_container:
        source._write(lambda conn: conn.add_s(container, _record(str(source.ab_ou))))
    try:
        source._write(lambda conn: conn.add_s(dn, _record(book_id, display_name or book_id)))
    except SourceError:
        if new_container:
            try:
                source._write(lambda conn: conn.delete_s(container))
            except SourceError:
                pass        # the refusal is what the caller must hear about
        raise
    return dn


def rename_book(source: LDAPSource, dn: str, display_name: str) -> None:
    """Set the ``description`` of the book entry ``dn``."""
    value = [display_name.encode("utf-8")]
    source._write(lambda conn: conn.modify_s(dn, [(ldap.MOD_REPLACE, "description", value)]))


def _depth(dn: str) -> int:
    return len(ldap.dn.str2dn(dn))


def remove_book(source: LDAPSource, dn: str) -> None:
    """Delete the book entry ``dn`` and every entry below it, deepest first
    (searched again until none is left: a server size limit may cut a search)."""
    depth = _depth(dn)
    while True:
        found = [d for d, _ in source._search("(objectClass=*)", base=dn, scope=ldap.SCOPE_SUBTREE,
                                                attrlist=["1.1"])]
        below = sorted((d for d in found if _depth(d) > depth), key=_depth, reverse=True)
        if not below:
            break
        for child in below:
            source._write(lambda conn, child=child: conn.delete_s(child))
    source._write(lambda conn: conn.delete_s(dn))


__all__ = ["create_book", "remove_book", "rename_book"]
