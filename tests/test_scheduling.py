"""Implicit scheduling in-process: copies for local attendees, replies, cancellations,
resources with a booking limit, and iMIP mails to external attendees (real SMTP sink)."""

from __future__ import annotations

import sqlite3

import pytest
from icalendar import Calendar
from werkzeug.test import Client

from sogod.config import load_system_defaults
from sogod.http.app import create_app

from .sogod_env import basic, embedded_config

DEMO, BOB, CAROL = basic("demo", "demo"), basic("bob", "bobpw"), basic("carol", "carolpw")
USERS = [("bob", "bobpw", "Bob", "bob@example.com"), ("carol", "carolpw", "Carol", "carol@example.com"),
         ("room", "roompw", "Room 1", "room@example.com"), ("hall", "hallpw", "Hall", "hall@example.com"),
         ("team", "teampw", "Team", "team@example.com")]
CAL = "/SOGo/dav/{}/Calendar/personal/"


def make_client(tmp_path, conf_extra=""):
    config = embedded_config(tmp_path, extra_users=USERS, conf_extra=conf_extra)
    text = config.read_text().replace("prependPasswordScheme = YES;",
                                      "prependPasswordScheme = YES;\n      KindFieldName = kind;\n"
                                      "      MultipleBookingsFieldName = bookings;")
    config.write_text(text)
    with sqlite3.connect(tmp_path / "sogo.db") as db:
        db.execute("ALTER TABLE sogo_users ADD COLUMN kind VARCHAR(20)")
        db.execute("ALTER TABLE sogo_users ADD COLUMN bookings INTEGER")
        db.execute("UPDATE sogo_users SET kind = 'location', bookings = 1 WHERE c_uid = 'room'")
        db.execute("UPDATE sogo_users SET kind = 'thing', bookings = 0 WHERE c_uid = 'hall'")
        db.execute("UPDATE sogo_users SET kind = 'group' WHERE c_uid = 'team'")
    return Client(create_app(load_system_defaults(str(config), {})))


@pytest.fixture
def client(tmp_path):
    return make_client(tmp_path)


def invitation(uid="meet1", attendees=("bob@example.com",), summary="Planning", organizer="demo@example.com",
               start="20260110T100000Z", end="20260110T110000Z", partstats=None):
    partstats = partstats or {}
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN", "BEGIN:VEVENT", f"UID:{uid}",
             "DTSTAMP:20260101T000000Z", f"DTSTART:{start}", f"DTEND:{end}", f"SUMMARY:{summary}",
             f"ORGANIZER;CN=Organizer:mailto:{organizer}"]
    for address in attendees:
        lines.append(f"ATTENDEE;PARTSTAT={partstats.get(address, 'NEEDS-ACTION')};RSVP=TRUE:mailto:{address}")
    lines += ["END:VEVENT", "END:VCALENDAR", ""]
    return "\r\n".join(lines).encode()


def put(client, user, name, body, auth):
    return client.put(CAL.format(user) + name, data=body, headers={**auth, "Content-Type": "text/calendar"})


def get(client, user, name, auth):
    r = client.get(CAL.format(user) + name, headers=auth)
    return Calendar.from_ical(r.data) if r.status_code == 200 else None


def partstat(calendar, address):
    event = next(c for c in calendar.subcomponents if c.name == "VEVENT")
    attendees = event.get("ATTENDEE")
    attendees = attendees if isinstance(attendees, list) else [attendees]
    for attendee in attendees:
        if str(attendee).lower() == f"mailto:{address}":
            return attendee.params.get("PARTSTAT")
    return None


def quick_names(client, uid):
    folder = client.application.app.services.storage.folders.get(uid, "Calendar", "personal")
    return [r.c_name for r in folder.quick_rows()] if folder else None


def test_attendees_get_copies_even_before_their_first_login(client):
    assert put(client, "demo", "meet1.ics", invitation(attendees=("bob@example.com", "carol@example.com")),
               DEMO).status_code == 201
    assert quick_names(client, "carol") == ["meet1.ics"]          # carol never logged in
    assert quick_names(client, "bob") == ["meet1.ics"]
    copy = get(client, "bob", "meet1.ics", BOB)
    assert str(copy.walk("VEVENT")[0]["SUMMARY"]) == "Planning"
    assert get(client, "carol", "meet1.ics", CAROL) is not None
    # an update propagates
    put(client, "demo", "meet1.ics", invitation(attendees=("bob@example.com", "carol@example.com"),
                                                summary="Moved"), DEMO)
    assert str(get(client, "bob", "meet1.ics", BOB).walk("VEVENT")[0]["SUMMARY"]) == "Moved"
    # removing carol cancels (deletes) her copy, bob keeps his
    put(client, "demo", "meet1.ics", invitation(attendees=("bob@example.com",), summary="Moved"), DEMO)
    assert get(client, "carol", "meet1.ics", CAROL) is None and quick_names(client, "carol") == []
    assert get(client, "bob", "meet1.ics", BOB) is not None
    # deleting the event deletes every copy
    assert client.delete(CAL.format("demo") + "meet1.ics", headers=DEMO).status_code == 204
    assert get(client, "bob", "meet1.ics", BOB) is None and quick_names(client, "bob") == []


def test_attendee_reply_updates_organizer_and_other_attendees(client):
    put(client, "demo", "meet2.ics", invitation("meet2", ("bob@example.com", "carol@example.com")), DEMO)
    reply = invitation("meet2", ("bob@example.com", "carol@example.com"), partstats={"bob@example.com": "ACCEPTED"})
    assert put(client, "bob", "meet2.ics", reply, BOB).status_code == 204
    assert partstat(get(client, "demo", "meet2.ics", DEMO), "bob@example.com") == "ACCEPTED"
    assert partstat(get(client, "carol", "meet2.ics", CAROL), "bob@example.com") == "ACCEPTED"
    folder = client.application.app.services.storage.folders.get("demo", "Calendar", "personal")
    assert folder.quick_rows()[0].c_partstates.split("\n")[0] == "1"       # quick row follows
    # The organizer's client sends a stale NEEDS-ACTION with a minor change: bob's answer is kept.
    minor = invitation("meet2", ("bob@example.com", "carol@example.com")).replace(
        b"SUMMARY:Planning", b"SUMMARY:Planning\r\nPRIORITY:1")
    put(client, "demo", "meet2.ics", minor, DEMO)
    assert partstat(get(client, "demo", "meet2.ics", DEMO), "bob@example.com") == "ACCEPTED"
    # An attendee deleting the copy declines.
    assert client.delete(CAL.format("carol") + "meet2.ics", headers=CAROL).status_code == 204
    assert partstat(get(client, "demo", "meet2.ics", DEMO), "carol@example.com") == "DECLINED"


def test_a_major_change_asks_everybody_again(client):
    """As SOGo: moving a meeting (or renaming it…) resets the answers and raises SEQUENCE."""
    put(client, "demo", "meet4.ics", invitation("meet4", ("bob@example.com",)), DEMO)
    accepted = invitation("meet4", ("bob@example.com",), partstats={"bob@example.com": "ACCEPTED"})
    put(client, "bob", "meet4.ics", accepted, BOB)
    assert partstat(get(client, "demo", "meet4.ics", DEMO), "bob@example.com") == "ACCEPTED"
    moved = invitation("meet4", ("bob@example.com",), partstats={"bob@example.com": "ACCEPTED"},
                       start="20260112T100000Z", end="20260112T110000Z")
    put(client, "demo", "meet4.ics", moved, DEMO)
    for user, auth in (("demo", DEMO), ("bob", BOB)):
        calendar = get(client, user, "meet4.ics", auth)
        assert partstat(calendar, "bob@example.com") == "NEEDS-ACTION", user
        assert int(calendar.walk("VEVENT")[0]["SEQUENCE"]) == 1
        assert calendar.walk("VEVENT")[0]["DTSTART"].dt.day == 12


def test_writing_a_copy_does_not_loop_or_touch_non_attendees(client):
    put(client, "demo", "solo.ics", invitation("solo", ()), DEMO)
    put(client, "demo", "x.ics", invitation("x", ("nobody@elsewhere.org",)), DEMO)
    assert quick_names(client, "bob") in (None, [])
    # bob's own event naming demo as organizer but bob not invited: nothing happens
    put(client, "bob", "fake.ics", invitation("fake", ("carol@example.com",)), BOB)
    assert quick_names(client, "carol") in (None, [])


def test_resource_accepts_until_its_booking_limit(client):
    first = invitation("r1", ("bob@example.com", "room@example.com"))
    put(client, "demo", "r1.ics", first, DEMO)
    assert partstat(get(client, "demo", "r1.ics", DEMO), "room@example.com") == "ACCEPTED"
    assert partstat(get(client, "bob", "r1.ics", BOB), "room@example.com") == "ACCEPTED"   # copies agree
    overlapping = invitation("r2", ("room@example.com",), start="20260110T103000Z", end="20260110T113000Z")
    put(client, "bob", "r2.ics", overlapping.replace(b"demo@example.com", b"bob@example.com"), BOB)
    assert partstat(get(client, "bob", "r2.ics", BOB), "room@example.com") == "DECLINED"
    later = invitation("r3", ("room@example.com",), start="20260110T120000Z", end="20260110T130000Z")
    put(client, "demo", "r3.ics", later, DEMO)
    assert partstat(get(client, "demo", "r3.ics", DEMO), "room@example.com") == "ACCEPTED"
    # updating the accepted booking itself is no conflict; bob, removed, loses his copy
    put(client, "demo", "r1.ics", invitation("r1", ("room@example.com",), summary="again"), DEMO)
    assert partstat(get(client, "demo", "r1.ics", DEMO), "room@example.com") == "ACCEPTED"
    assert get(client, "bob", "r1.ics", BOB) is None
    # bookings = 0: unlimited
    for n in range(3):
        put(client, "demo", f"h{n}.ics", invitation(f"h{n}", ("hall@example.com",)), DEMO)
        assert partstat(get(client, "demo", f"h{n}.ics", DEMO), "hall@example.com") == "ACCEPTED"


def test_groups_of_sql_sources_stay_as_they_are(client):
    put(client, "demo", "g.ics", invitation("g", ("team@example.com",)), DEMO)
    assert partstat(get(client, "demo", "g.ics", DEMO), "team@example.com") == "NEEDS-ACTION"
    assert quick_names(client, "team") is None


def test_groups_stay_attendees_when_no_source_lists_members(client):
    # SQL sources have no groups (guide §5.10): the address is left as invited.
    put(client, "demo", "g2.ics", invitation("g2", ("team@example.com",)), DEMO)
    assert partstat(get(client, "demo", "g2.ics", DEMO), "team@example.com") == "NEEDS-ACTION"


# --------------------------------------------------------------------------- iMIP

@pytest.fixture
def mailing(tmp_path, smtp_sink):
    extra = (f'  SOGoAppointmentSendEMailNotifications = YES;\n  SOGoMailingMechanism = smtp;\n'
             f'  SOGoSMTPServer = "{smtp_sink.address}";')
    return make_client(tmp_path, extra), smtp_sink


def imip_parts(received):
    message = received.message
    parts = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    calendar = Calendar.from_ical(parts[0].get_content())
    return parts[0].get_param("method"), calendar


def test_imip_request_and_cancel_to_external_attendees(mailing):
    client, sink = mailing
    body = invitation("ext", ("bob@example.com", "alice@external.org", "zed@external.org"))
    put(client, "demo", "ext.ics", body, DEMO)
    [request] = sink.wait(1)
    assert sorted(request.rcpt_tos) == ["alice@external.org", "zed@external.org"]
    assert request.mail_from == "demo@example.com"
    method, calendar = imip_parts(request)
    assert method == "REQUEST" and str(calendar["METHOD"]) == "REQUEST"
    assert 'method="REQUEST"' in request.message.get_body(("calendar",))["Content-Type"] or \
        "method=REQUEST" in request.message.get_body(("calendar",))["Content-Type"]
    assert "VALARM" not in calendar.to_ical().decode()
    attendees = [str(a).lower() for a in calendar.walk("VEVENT")[0].get("ATTENDEE")]
    assert "mailto:alice@external.org" in attendees
    # removing zed: a CANCEL to zed alone; alice hears nothing (nothing changed for her)
    put(client, "demo", "ext.ics", invitation("ext", ("bob@example.com", "alice@external.org")), DEMO)
    [_, cancel] = sink.wait(2)
    assert imip_parts(cancel)[0] == "CANCEL" and cancel.rcpt_tos == ["zed@external.org"]
    assert str(imip_parts(cancel)[1].walk("VEVENT")[0]["STATUS"]) == "CANCELLED"
    # deleting: CANCEL to alice
    client.delete(CAL.format("demo") + "ext.ics", headers=DEMO)
    last = sink.wait(3)[-1]
    assert len(sink.messages) == 3
    assert imip_parts(last)[0] == "CANCEL" and last.rcpt_tos == ["alice@external.org"]


def test_external_attendees_hear_only_of_changes_that_matter(mailing):
    """As SOGo: a new attendee is invited; the others get an update only when the
    time, recurrence, title, place or description change (not for an alarm or a priority)."""
    client, sink = mailing
    put(client, "demo", "upd.ics", invitation("upd", ("alice@external.org",)), DEMO)
    sink.wait(1)
    minor = invitation("upd", ("alice@external.org",)).replace(b"SUMMARY:Planning", b"SUMMARY:Planning\r\nPRIORITY:1")
    put(client, "demo", "upd.ics", minor, DEMO)
    added = invitation("upd", ("alice@external.org", "zed@external.org"))
    put(client, "demo", "upd.ics", added, DEMO)
    [_, invite] = sink.wait(2)
    assert invite.rcpt_tos == ["zed@external.org"] and imip_parts(invite)[0] == "REQUEST"
    moved = invitation("upd", ("alice@external.org", "zed@external.org"), start="20260111T100000Z",
                       end="20260111T110000Z")
    put(client, "demo", "upd.ics", moved, DEMO)
    [*_, update] = sink.wait(3)
    assert sorted(update.rcpt_tos) == ["alice@external.org", "zed@external.org"]
    assert len(sink.messages) == 3


def test_imip_reply_to_an_external_organizer(mailing):
    client, sink = mailing
    body = invitation("from-out", ("bob@example.com",), organizer="boss@external.org")
    put(client, "bob", "from-out.ics", body, BOB)
    assert sink.messages == []                              # NEEDS-ACTION: nothing to say
    accepted = invitation("from-out", ("bob@example.com",), organizer="boss@external.org",
                          partstats={"bob@example.com": "ACCEPTED"})
    put(client, "bob", "from-out.ics", accepted, BOB)
    [reply] = sink.wait(1)
    method, calendar = imip_parts(reply)
    assert method == "REPLY" and reply.rcpt_tos == ["boss@external.org"]
    event = calendar.walk("VEVENT")[0]
    assert str(event["ATTENDEE"]).lower() == "mailto:bob@example.com"
    assert event["ATTENDEE"].params["PARTSTAT"] == "ACCEPTED"


def test_no_mail_without_the_setting(client, smtp_sink):
    put(client, "demo", "quiet.ics", invitation("quiet", ("alice@external.org",)), DEMO)
    assert smtp_sink.messages == []


def test_unreachable_smtp_server_does_not_fail_the_put(tmp_path):
    from .services import free_port
    extra = (f'  SOGoAppointmentSendEMailNotifications = YES;\n  SOGoMailingMechanism = smtp;\n'
             f'  SOGoSMTPServer = "127.0.0.1:{free_port()}";')
    client = make_client(tmp_path, extra)
    assert put(client, "demo", "e.ics", invitation("e", ("alice@external.org",)), DEMO).status_code == 201


def test_removing_the_only_local_attendee_cancels_the_copy(client):
    put(client, "demo", "one.ics", invitation("one", ("bob@example.com",)), DEMO)
    put(client, "demo", "one.ics", invitation("one", ("alice@external.org",)), DEMO)
    assert get(client, "bob", "one.ics", BOB) is None


def test_a_failing_store_does_not_fail_the_put(client, monkeypatch):
    from sogod.caldav import scheduling
    from sogod.store.database import StoreError

    def broken(*args, **kwargs):
        raise StoreError("database gone")
    monkeypatch.setattr(scheduling, "store", broken)
    assert put(client, "demo", "b.ics", invitation("b", ("bob@example.com",)), DEMO).status_code == 201


def test_imip_authenticates_with_the_request_credentials(tmp_path, smtp_sink):
    smtp_sink.accounts["demo"] = "demo"
    extra = (f'  SOGoAppointmentSendEMailNotifications = YES;\n  SOGoMailingMechanism = smtp;\n'
             f'  SOGoSMTPServer = "smtp://{smtp_sink.address}/";\n  SOGoSMTPAuthenticationType = PLAIN;')
    client = make_client(tmp_path, extra)
    put(client, "demo", "auth.ics", invitation("auth", ("alice@external.org",)), DEMO)
    [message] = smtp_sink.wait(1)
    assert message.login == "demo" and message.rcpt_tos == ["alice@external.org"]


def test_cancelling_one_instance_of_a_series(mailing):
    """An EXDATE added by the organizer cancels that instance for external attendees
    (METHOD:CANCEL with its RECURRENCE-ID); nobody's answer is reset."""
    client, sink = mailing
    series = invitation("weekly", ("bob@example.com", "alice@external.org"),
                        partstats={"bob@example.com": "ACCEPTED"}).replace(
        b"SUMMARY:Planning", b"SUMMARY:Planning\r\nRRULE:FREQ=WEEKLY;COUNT=4")
    put(client, "demo", "weekly.ics", series, DEMO)
    put(client, "bob", "weekly.ics", series, BOB)
    sink.wait(1)
    without_second = series.replace(b"RRULE:FREQ=WEEKLY;COUNT=4", b"RRULE:FREQ=WEEKLY;COUNT=4\r\nEXDATE:20260117T100000Z")
    put(client, "demo", "weekly.ics", without_second, DEMO)
    [_, cancel] = sink.wait(2)
    assert cancel.rcpt_tos == ["alice@external.org"]
    method, calendar = imip_parts(cancel)
    [instance] = calendar.walk("VEVENT")
    assert method == "CANCEL" and str(instance["STATUS"]) == "CANCELLED"
    assert instance["RECURRENCE-ID"].dt.isoformat() == "2026-01-17T10:00:00+00:00"
    assert "RRULE" not in instance and str(instance["UID"]) == "weekly"
    assert partstat(get(client, "bob", "weekly.ics", BOB), "bob@example.com") == "ACCEPTED"
    assert "EXDATE" in get(client, "bob", "weekly.ics", BOB).walk("VEVENT")[0]      # the copy follows
    assert len(sink.wait(3, timeout=0.5)) == 2
