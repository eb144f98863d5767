"""The mail outbox: messages are queued in the caller's transaction and delivered
later over SMTP with retries, so an outage delays mail but never drops it."""

import datetime
import smtplib
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models.outbox import FAILED, PENDING, SENT, OutboxMessage

MAX_ATTEMPTS = 20
MAX_BACKOFF = datetime.timedelta(hours=6)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def queue_email(recipient: str, subject: str, body: str, session=None) -> OutboxMessage:
    """Add an e-mail to the outbox; it is sent only if the caller's transaction commits."""
    session = session or db.session
    message = OutboxMessage(kind="email", recipient=recipient, subject=str(subject)[:300], body=str(body),
                            status=PENDING, attempts=0, next_attempt_at=_now())
    session.add(message)
    return message


def _send(message: OutboxMessage, config) -> None:
    email = EmailMessage()
    email["From"] = config["MAIL_FROM"]
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email.set_content(message.body)
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
        smtp.send_message(email)


def deliver(limit: int = 100, session=None) -> tuple[int, int]:
    """Send due messages; returns (sent, failed attempts). Without MAIL_SERVER nothing is sent."""
    session = session or db.session
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        return 0, 0
    due = session.execute(
        select(OutboxMessage)
        .where(OutboxMessage.status == PENDING, OutboxMessage.next_attempt_at <= _now())
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)  # several workers never send the same message
    ).scalars().all()
    sent = failed = 0
    for message in due:
        message.attempts += 1
        try:
            _send(message, config)
        except (OSError, smtplib.SMTPException) as exc:
            failed += 1
            message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            backoff = min(datetime.timedelta(minutes=2 ** min(message.attempts, 12)), MAX_BACKOFF)
            message.next_attempt_at = _now() + backoff
            if message.attempts >= MAX_ATTEMPTS:
                message.status = FAILED  # kept, visible, and can be re-queued; never deleted
        else:
            sent += 1
            message.status = SENT
            message.sent_at = _now()
            message.last_error = None
        session.commit()  # one message at a time: a crash never re-sends what was sent
    return sent, failed
