"""E-mail advisories about folders and their sharing, as SOGo sends them.

* ``SOGoFoldersSendEMailNotifications`` (the owner's domain): a calendar or
  address book was created (MKCOL, MKCALENDAR) or deleted → its owner,
  ``"Name" has been created`` / ``"Name" has been deleted``.
* ``SOGoACLsSendEMailNotifications`` (the acting user's domain): a user was
  added to, changed in or removed from a folder's ACL (acl-query) → that user,
  ``<cn> has added you`` / ``has modified the access rights`` / ``has removed you``.

The texts are SOGo's English templates. As SOGo's, an advisory is a
``multipart/alternative`` whose second part, ``application/x-sogo-notification;
method=add|modify|remove; type=Appointment|Contact``, holds the folder's URL
(SOGo Connector subscribes from it). :func:`send` is shared with the calendar
receipts (caldav/receipts.py). A mail that cannot be sent is logged: the
request that caused it has succeeded.
"""

from __future__ import annotations

import email.policy
import functools
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from urllib.parse import quote

from ..server.logs import get_logger
from .acl import ANONYMOUS, DEFAULT_UID
from .visibility import lookup

log = get_logger("notifications")

FOLDER_TEXTS = {  # template: (subject, body, x-sogo-notification method)
    "Addition": ('"{name}" has been created', 'The "{name}" folder has been created.', "add"),
    "Removal": ('"{name}" has been deleted', 'The "{name}" folder has been deleted.', "remove"),
}
ACL_TEXTS = {
    "Addition": ("{cn} has added you",
                 '{cn} has added you to the access list for their "{name}" folder.', "add"),
    "Modification": ("{cn} has modified the access rights",
                     '{cn} has modified your access rights for their "{name}" folder.', "modify"),
    "Removal": ("{cn} has removed you",
                '{cn} has removed you from the access list for their "{name}" folder.', "remove"),
}


def user_address(ctx, user) -> str:
    return user.primary_email or f"{user.uid}@{ctx.defaults.get('SOGoMailDomain') or 'localhost'}"


def mailbox(ctx, user) -> str:
    """``CN <address>`` of a user, as SOGo's ``getFullEmailForUID:``."""
    return formataddr((user.display_name, user_address(ctx, user)))


def message(ctx, to: str, subject: str, text: str, *, subtype: str = "plain") -> EmailMessage:
    """A message from the acting user to ``to`` (UTF-8 text, Date, Message-ID)."""
    sender = user_address(ctx, ctx.user)
    result = EmailMessage()
    result["From"] = mailbox(ctx, ctx.user)
    result["To"] = to
    result["Subject"] = subject
    result["Date"] = formatdate(localtime=False, usegmt=True)
    result["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    result["X-Mailer"] = "sogod"
    result.set_content(text, subtype=subtype)
    return result


def send(ctx, recipient: str, mail: EmailMessage, defaults=None) -> None:
    """Hand ``mail`` over for ``recipient`` (an address); log, never raise, a failure."""
    from ..mail.smtp import MailError, send_mail
    user = ctx.user
    defaults = defaults or ctx.defaults.domain(user.domain)
    try:
        send_mail(defaults, user_address(ctx, user), [recipient], mail.as_bytes(policy=email.policy.SMTP),
                  credentials=ctx.credentials, user=user)
    except MailError as exc:
        log.error("notification %r for %s not sent: %s", str(mail["Subject"]), recipient, exc)


def _advisory(ctx, folder, to: str, subject: str, text: str, method: str, path: str) -> EmailMessage:
    mail = message(ctx, to, subject, text + "\n")
    url = ctx.absolute_url(quote(path))
    mail.add_alternative(url.encode("ascii"), maintype="application", subtype="x-sogo-notification",
                         cte="7bit", params={"method": method, "type": folder.folder_type, "charset": "utf-8"})
    return mail


def _quiet(function):
    """The request succeeded already: whatever goes wrong while advising is logged only."""
    @functools.wraps(function)
    def wrapper(ctx, *args):
        try:
            return function(ctx, *args)
        except Exception:
            log.exception("%s%r failed", function.__name__, args)
            return None
    return wrapper


@_quiet
def folder_advisory(ctx, folder, template: str) -> None:
    """``template`` = Addition | Removal of ``folder``, mailed to its owner."""
    owner = ctx.services.directory.lookup(folder.owner)
    if ctx.user is None or owner is None or not owner.primary_email:
        return
    defaults = ctx.defaults.domain(owner.domain)
    if not defaults.bool("SOGoFoldersSendEMailNotifications"):
        return
    subject, text, method = (t.format(name=folder.display_name) for t in FOLDER_TEXTS[template])
    path = f"/SOGo/so/{folder.owner}/{folder.kind}/{folder.folder_id}/"
    send(ctx, owner.primary_email, _advisory(ctx, folder, mailbox(ctx, owner), subject, text, method, path))


@_quiet
def acl_snapshot(ctx, folder) -> dict[str, set[str]] | None:
    """{uid: roles} of the folder's own ACL rows, to compare after a change; None when
    ``SOGoACLsSendEMailNotifications`` is off for the acting user's domain."""
    if ctx.user is None or not ctx.defaults.domain(ctx.user.domain).bool("SOGoACLsSendEMailNotifications"):
        return None
    snapshot: dict[str, set[str]] = {}
    for row in folder.acl_rows(folder.acl_object):
        snapshot.setdefault(row.c_uid, set()).add(row.c_role)
    return snapshot


@_quiet
def acl_advisories(ctx, folder, before: dict[str, set[str]]) -> None:
    """Mail the users added to, changed in or removed from the ACL since ``before``."""
    after = acl_snapshot(ctx, folder) or {}
    for uid in sorted(set(before) | set(after)):
        if uid not in before:
            _acl_advisory(ctx, folder, uid, "Addition")
        elif uid not in after:
            _acl_advisory(ctx, folder, uid, "Removal")
        elif before[uid] != after[uid]:
            _acl_advisory(ctx, folder, uid, "Modification")


def _acl_advisory(ctx, folder, uid: str, template: str) -> None:
    """Mail ``uid``; never the owner, groups, ``anonymous`` or ``<default>``."""
    if uid in (DEFAULT_UID, ANONYMOUS, folder.owner) or uid.startswith("@"):
        return
    user = lookup(ctx, uid)
    if user is None or user.kind == "group" or not user.primary_email:
        return
    subject, text, method = (t.format(cn=ctx.user.display_name, name=folder.display_name)
                             for t in ACL_TEXTS[template])
    path = f"/SOGo/dav/{folder.owner}/{folder.kind}/{folder.folder_id}/"
    send(ctx, user.primary_email, _advisory(ctx, folder, mailbox(ctx, user), subject, text, method, path))
