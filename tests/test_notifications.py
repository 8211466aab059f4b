"""Mail advisories and receipts, received by a real SMTP sink: SOGoFoldersSendEMailNotifications,
SOGoACLsSendEMailNotifications, SOGoNotifyOnPersonalModifications / ExternalModifications and the
per-calendar Inverse properties that override them."""

from __future__ import annotations

import time

from werkzeug.test import Client

from sogod.config import load_system_defaults
from sogod.http.app import create_app

from .dav_helpers import multistatus
from .services import free_port
from .sogod_env import basic, embedded_config

DEMO, BOB = basic("demo", "demo"), basic("bob", "bobpw")
USERS = [("bob", "bobpw", "Bob", "bob@example.com"), ("carol", "carolpw", "Carol", "carol@example.com")]
I = "urn:inverse:params:xml:ns:inverse-dav"
HOME = "/SOGo/dav/demo/Calendar/"
CAL = HOME + "personal/"
CALENDAR = "text/calendar"


def make(tmp_path, server: str, **flags) -> Client:
    extra = f'  SOGoMailingMechanism = smtp;\n  SOGoSMTPServer = "{server}";\n'
    extra += "".join(f"  SOGo{key} = YES;\n" for key, on in flags.items() if on)
    config = embedded_config(tmp_path, extra_users=USERS, conf_extra=extra)
    return Client(create_app(load_system_defaults(str(config), {})))


def ics(uid="e1", summary="Planning", component="VEVENT", stamp="20260101T000000Z"):
    when = "DUE:20260111T090000Z" if component == "VTODO" else "DTEND:20260110T110000Z"
    return (f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:{component}\r\nUID:{uid}\r\n"
            f"DTSTAMP:{stamp}\r\nDTSTART:20260110T100000Z\r\n{when}\r\nSUMMARY:{summary}\r\n"
            f"LOCATION:Room 1\r\nEND:{component}\r\nEND:VCALENDAR\r\n").encode()


def put(client, name, body, auth=DEMO, path=CAL):
    return client.put(path + name, data=body, headers={**auth, "Content-Type": CALENDAR}).status_code


def acl_query(client, inner, path=CAL):
    body = f'<?xml version="1.0" encoding="utf-8"?><acl-query xmlns="{I}">{inner}</acl-query>'
    return client.post(path, data=body.encode(), headers={**DEMO, "Content-Type": "application/xml"}).status_code


def mails(sink, count):
    """The ``count`` messages expected, and no more (a short wait for stragglers)."""
    sink.wait(count)
    time.sleep(0.1)
    assert len(sink.messages) == count, [m.message["Subject"] for m in sink.messages]
    return sink.messages


def proppatch(client, props: str, path=CAL, auth=DEMO):
    body = (f'<?xml version="1.0" encoding="utf-8"?><D:propertyupdate xmlns:D="DAV:" xmlns:I="{I}">'
            f"<D:set><D:prop>{props}</D:prop></D:set></D:propertyupdate>")
    return client.open(path, method="PROPPATCH", data=body.encode(), headers={**auth, "Content-Type": "application/xml"})


def notify_props(client, path=CAL) -> dict:
    names = ("notify-on-personal-modifications", "notify-on-external-modifications",
             "notify-user-on-personal-modifications", "notified-user-on-personal-modifications")
    body = (f'<?xml version="1.0"?><D:propfind xmlns:D="DAV:" xmlns:I="{I}"><D:prop>'
            + "".join(f"<I:{n}/>" for n in names) + "</D:prop></D:propfind>")
    r = client.open(path, method="PROPFIND", data=body.encode(), headers={**DEMO, "Depth": "0"})
    found = multistatus(r.data)[path].get("200", {})
    return {n: found[f"{{{I}}}{n}"].text for n in names if f"{{{I}}}{n}" in found}


# --- SOGoFoldersSendEMailNotifications -----------------------------------------------

def test_folder_advisories_on_creation_and_deletion(tmp_path, smtp_sink):
    client = make(tmp_path, smtp_sink.address, FoldersSendEMailNotifications=True)
    body = (b'<?xml version="1.0"?><C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
            b"<D:set><D:prop><D:displayname>Work \xc3\xa9t\xc3\xa9</D:displayname></D:prop></D:set></C:mkcalendar>")
    assert client.open(HOME + "work/", method="MKCALENDAR", data=body, headers=DEMO).status_code == 201
    created = mails(smtp_sink, 1)[0]
    assert created.rcpt_tos == ["demo@example.com"] and created.mail_from == "demo@example.com"
    message = created.message
    assert message["Subject"] == '"Work été" has been created'
    assert message["To"] == "Demo User <demo@example.com>" and message["Message-ID"] and message["Date"]
    text, notification = message.get_payload()
    assert text.get_content().strip() == 'The "Work été" folder has been created.'
    assert notification.get_content_type() == "application/x-sogo-notification"
    assert notification.get_param("method") == "add" and notification.get_param("type") == "Appointment"
    assert notification.get_payload().strip().endswith("/SOGo/so/demo/Calendar/work/")

    assert client.delete(HOME + "work/", headers=DEMO).status_code == 204
    deleted = mails(smtp_sink, 2)[1].message
    assert deleted["Subject"] == '"Work été" has been deleted'
    assert deleted.get_payload()[1].get_param("method") == "remove"

    mkcol = (b'<?xml version="1.0"?><D:mkcol xmlns:D="DAV:" xmlns:R="urn:ietf:params:xml:ns:carddav">'
             b"<D:set><D:prop><D:resourcetype><D:collection/><R:addressbook/></D:resourcetype>"
             b"<D:displayname>Friends</D:displayname></D:prop></D:set></D:mkcol>")
    assert client.open("/SOGo/dav/demo/Contacts/friends/", method="MKCOL", data=mkcol,
                       headers=DEMO).status_code == 201
    book = mails(smtp_sink, 3)[2].message
    assert book["Subject"] == '"Friends" has been created'
    assert book.get_payload()[1].get_param("type") == "Contact"


def test_nothing_is_mailed_by_default(tmp_path, smtp_sink):
    client = make(tmp_path, smtp_sink.address)
    assert client.open(HOME + "work/", method="MKCALENDAR", headers=DEMO).status_code == 201
    assert acl_query(client, '<add-user user="bob"/>') == 204
    assert put(client, "e1.ics", ics()) == 201
    assert client.delete(CAL + "e1.ics", headers=DEMO).status_code == 204
    assert client.delete(HOME + "work/", headers=DEMO).status_code == 204
    mails(smtp_sink, 0)


# --- SOGoACLsSendEMailNotifications --------------------------------------------------

def test_acl_advisories(tmp_path, smtp_sink):
    client = make(tmp_path, smtp_sink.address, ACLsSendEMailNotifications=True)
    assert acl_query(client, '<add-user user="bob"/>') == 204
    added = mails(smtp_sink, 1)[0]
    assert added.rcpt_tos == ["bob@example.com"] and added.message["To"] == "Bob <bob@example.com>"
    assert added.message["From"] == "Demo User <demo@example.com>"
    assert added.message["Subject"] == "Demo User has added you"
    text, notification = added.message.get_payload()
    assert text.get_content().strip() == ('Demo User has added you to the access list for their '
                                          '"Personal Calendar" folder.')
    assert notification.get_payload().strip().endswith("/SOGo/dav/demo/Calendar/personal/")

    assert acl_query(client, '<add-user user="bob"/>') == 204                    # already there
    assert acl_query(client, '<set-roles user="bob"><PublicViewer/></set-roles>') == 204
    assert mails(smtp_sink, 2)[1].message["Subject"] == "Demo User has modified the access rights"
    assert acl_query(client, '<set-roles user="bob"><PublicViewer/></set-roles>') == 204   # no change
    # groups, anonymous and <default> are never mailed; carol is new
    assert acl_query(client, '<set-roles users="&lt;default&gt;,anonymous,carol"><PublicViewer/></set-roles>') == 204
    assert mails(smtp_sink, 3)[2].rcpt_tos == ["carol@example.com"]
    assert acl_query(client, '<remove-users users="bob,anonymous"/>') == 204
    removed = mails(smtp_sink, 4)[3]
    assert removed.rcpt_tos == ["bob@example.com"] and removed.message["Subject"] == "Demo User has removed you"
    assert removed.message.get_payload()[1].get_param("method") == "remove"
    assert acl_query(client, '<remove-user user="bob"/>') == 204                 # not there any more
    mails(smtp_sink, 4)


# --- SOGoNotifyOnPersonalModifications / ExternalModifications -------------------------

def test_personal_receipts(tmp_path, smtp_sink):
    client = make(tmp_path, smtp_sink.address, NotifyOnPersonalModifications=True)
    assert put(client, "e1.ics", ics()) == 201
    created = mails(smtp_sink, 1)[0]
    assert created.rcpt_tos == ["demo@example.com"]
    assert created.message["Subject"] == 'The event "Planning" was created'
    body = created.message.get_content()
    assert "Calendar: Personal Calendar" in body and "Location: Room 1" in body
    assert "Start: 2026-01-10 10:00" in body and "End: 2026-01-10 11:00" in body
    assert put(client, "e1.ics", ics()) == 204                 # the same event again: no change
    mails(smtp_sink, 1)
    assert put(client, "e1.ics", ics(summary="Moved")) == 204
    assert mails(smtp_sink, 2)[1].message["Subject"] == 'The event "Moved" was updated'
    assert client.delete(CAL + "e1.ics", headers=DEMO).status_code == 204
    assert mails(smtp_sink, 3)[2].message["Subject"] == 'The event "Moved" was deleted'
    assert put(client, "t1.ics", ics("t1", "Report", "VTODO")) == 201
    task = mails(smtp_sink, 4)[3].message
    assert task["Subject"] == 'The task "Report" was created' and "Due Date: 2026-01-11 09:00" in task.get_content()
    # someone else's change is no personal modification
    assert acl_query(client, '<set-roles user="bob"><ObjectCreator/><PublicModifier/></set-roles>') == 204
    assert put(client, "e2.ics", ics("e2"), auth=BOB) == 201
    mails(smtp_sink, 4)


def test_external_receipts(tmp_path, smtp_sink):
    client = make(tmp_path, smtp_sink.address, NotifyOnExternalModifications=True)
    assert acl_query(client, '<set-roles user="bob"><ObjectCreator/><ObjectEraser/><PublicModifier/></set-roles>') == 204
    assert put(client, "e1.ics", ics()) == 201                 # the owner's own change: none
    mails(smtp_sink, 0)
    assert put(client, "e2.ics", ics("e2", "Bob's"), auth=BOB) == 201
    receipt = mails(smtp_sink, 1)[0]
    assert receipt.rcpt_tos == ["demo@example.com"] and receipt.mail_from == "bob@example.com"
    assert receipt.message["From"] == "Bob <bob@example.com>"
    assert receipt.message["Subject"] == 'The event "Bob\'s" was created'
    assert client.delete(CAL + "e2.ics", headers=BOB).status_code == 204
    assert mails(smtp_sink, 2)[1].message["Subject"] == 'The event "Bob\'s" was deleted'


def test_calendar_properties_override_the_domain_default(tmp_path, smtp_sink):
    client = make(tmp_path, smtp_sink.address, NotifyOnExternalModifications=True)
    assert notify_props(client) == {"notify-on-personal-modifications": "false",
                                    "notify-on-external-modifications": "true",
                                    "notify-user-on-personal-modifications": "false"}
    r = proppatch(client, "<I:notify-on-personal-modifications>true</I:notify-on-personal-modifications>"
                          "<I:notify-on-external-modifications>false</I:notify-on-external-modifications>"
                          "<I:notify-user-on-personal-modifications>1</I:notify-user-on-personal-modifications>"
                          "<I:notified-user-on-personal-modifications>boss@elsewhere.org"
                          "</I:notified-user-on-personal-modifications>")
    assert r.status_code == 207 and list(multistatus(r.data)[CAL]) == ["200"]
    assert notify_props(client) == {"notify-on-personal-modifications": "true",
                                    "notify-on-external-modifications": "false",
                                    "notify-user-on-personal-modifications": "true",
                                    "notified-user-on-personal-modifications": "boss@elsewhere.org"}
    # stored as SOGo stores them: the owner's c_settings, by folder reference
    _, settings = client.application.app.services.storage.profiles.get("demo")
    assert settings["Calendar"]["NotifyOnPersonalModifications"] == {"demo:Calendar/personal": True}
    assert settings["Calendar"]["NotifiedUserOnPersonalModifications"] == {
        "demo:Calendar/personal": "boss@elsewhere.org"}

    assert put(client, "e1.ics", ics()) == 201
    sent = mails(smtp_sink, 2)
    assert sorted(m.rcpt_tos[0] for m in sent) == ["boss@elsewhere.org", "demo@example.com"]
    assert acl_query(client, '<set-roles user="bob"><ObjectCreator/><PublicModifier/></set-roles>') == 204
    assert put(client, "e2.ics", ics("e2"), auth=BOB) == 201      # external switched off here
    mails(smtp_sink, 2)
    # only the owner may change them; bad booleans are refused
    r = proppatch(client, "<I:notify-on-external-modifications>true</I:notify-on-external-modifications>", auth=BOB)
    assert r.status_code in (207, 403) and notify_props(client)["notify-on-external-modifications"] == "false"
    r = proppatch(client, "<I:notify-on-external-modifications>maybe</I:notify-on-external-modifications>")
    assert "200" not in multistatus(r.data)[CAL]
    r = proppatch(client, "<I:notified-user-on-personal-modifications>a@b.org, c@d.org"
                          "</I:notified-user-on-personal-modifications>")
    assert "200" not in multistatus(r.data)[CAL]


# --- a broken mail server never fails the request ----------------------------------------

def test_a_dead_smtp_server_does_not_fail_requests(tmp_path):
    flags = dict(FoldersSendEMailNotifications=True, ACLsSendEMailNotifications=True,
                 NotifyOnPersonalModifications=True, NotifyOnExternalModifications=True)
    client = make(tmp_path, f"127.0.0.1:{free_port()}", **flags)   # nothing listens there
    assert client.open(HOME + "work/", method="MKCALENDAR", headers=DEMO).status_code == 201
    assert acl_query(client, '<set-roles user="bob"><ObjectCreator/><PublicModifier/></set-roles>',
                     path=HOME + "work/") == 204
    assert put(client, "e1.ics", ics(), path=HOME + "work/") == 201
    assert put(client, "e2.ics", ics("e2"), auth=BOB, path=HOME + "work/") == 201
    assert client.delete(HOME + "work/e1.ics", headers=DEMO).status_code == 204
    assert client.delete(HOME + "work/", headers=DEMO).status_code == 204


def test_sendmail_mechanism_is_respected(tmp_path):
    script = tmp_path / "sendmail"
    out = tmp_path / "out.eml"
    script.write_text(f'#!/bin/sh\necho "$@" > {tmp_path}/args\ncat > {out}\n')
    script.chmod(0o755)
    extra = (f'  SOGoMailingMechanism = sendmail;\n  WOSendMail = "{script}";\n'
             "  SOGoFoldersSendEMailNotifications = YES;\n")
    config = embedded_config(tmp_path, extra_users=USERS, conf_extra=extra)
    client = Client(create_app(load_system_defaults(str(config), {})))
    assert client.open(HOME + "work/", method="MKCALENDAR", headers=DEMO).status_code == 201
    assert b'Subject: "work" has been created' in out.read_bytes()
    assert (tmp_path / "args").read_text().split() == ["-i", "-f", "demo@example.com", "--", "demo@example.com"]
