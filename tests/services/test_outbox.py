import datetime

from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMessage
from app.services.outbox import deliver, queue_email
from tests.conftest import ctx, mail_config


def test_queued_mail_is_sent_over_smtp(app, smtp_server):
    app.config.update(mail_config(smtp_server))
    with ctx(app):
        queue_email("anna@exempel.se", "Hej Åsa", "Brödtext med åäö")
        db.session.commit()
        assert deliver() == (1, 0)
        assert deliver() == (0, 0)  # sent once, never again
        assert db.session.execute(select(OutboxMessage.status)).scalar() == "sent"
    [received] = smtp_server.messages
    assert received["To"] == "anna@exempel.se" and received["Subject"] == "Hej Åsa"
    assert "Brödtext med åäö" in received.get_content()


def test_an_outage_delays_mail_but_never_drops_it(app, smtp_server):
    app.config.update(mail_config(smtp_server))
    smtp_server.stop()
    with ctx(app):
        queue_email("bo@exempel.se", "Ämne", "Text")
        db.session.commit()
        assert deliver() == (0, 1)
        message = db.session.execute(select(OutboxMessage)).scalar()
        assert (message.status, message.attempts) == ("pending", 1) and message.last_error
        assert deliver() == (0, 0)  # not due yet: backing off
        message.next_attempt_at = datetime.datetime(2000, 1, 1)
        db.session.commit()
    smtp_server.start()
    with ctx(app):
        assert deliver() == (1, 0)
    assert [m["To"] for m in smtp_server.messages] == ["bo@exempel.se"]


def test_a_rolled_back_change_sends_nothing(app, smtp_server):
    app.config.update(mail_config(smtp_server))
    with ctx(app):
        queue_email("c@exempel.se", "S", "B")
        db.session.rollback()
        assert deliver() == (0, 0)
    assert smtp_server.messages == []
