"""The outbox: outside work (e-mail now; accounting syncs and PDFs later) is queued in the
caller's transaction and delivered later with retries, so an outage delays it but never
drops it.

Delivery claims one message at a time with a lease (`claimed_by`, `claimed_until`) in its
own short transaction, sends it, and marks it sent only while it still holds the lease.
Any number of workers (Celery tasks, `flask outbox deliver`) can therefore run at once and
each message is sent once. A worker that dies between sending and marking leaves the
lease to expire and the message is sent again: at least once, never lost.

A new kind of outside work is one line: `register_kind("fortnox", send_to_fortnox, ...)`.
A sender raises one of its `retry_on` exceptions (or `Retry`) for "try again later, with
back-off", and `Rejected` for "the other side refused this message": it is marked failed at
once, kept with its reason, and waits for a person's *retry* (`requeue`).

Messages with the same `ordering_key` (one customer's accounting syncs) are delivered one at a
time, oldest first: a message is not claimed while an older one with its key is pending. A
failed message does not hold the later ones back; each carries the whole state, so when a later
one is delivered the earlier failed ones are marked superseded.
"""

import datetime
import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import exists, or_, select, update
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models.outbox import FAILED, PENDING, SENT, SUPERSEDED, OutboxMessage
from .background import process_name

MAX_ATTEMPTS = 20
MAX_BACKOFF = datetime.timedelta(hours=6)


@dataclass(frozen=True)
class Kind:
    send: Callable  # send(message, config); raises one of `retry_on` when the outside system fails
    retry_on: tuple
    enabled: Callable  # enabled(config): False leaves the messages queued (not configured)


KINDS: dict[str, Kind] = {}


class Retry(Exception):
    """Raised by a sender: the outside system cannot take it now; try again later."""


class Rejected(Exception):
    """Raised by a sender: the outside system refused this message; a person must act."""


def register_kind(name: str, send: Callable, retry_on: tuple = (OSError,),
                  enabled: Callable = lambda config: True) -> None:
    KINDS[name] = Kind(send, (*retry_on, Retry), enabled)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def queue_email(recipient: str, subject: str, body: str, session=None) -> OutboxMessage:
    """Add an e-mail to the outbox; it is sent only if the caller's transaction commits."""
    session = session or db.session
    message = OutboxMessage(kind="email", recipient=recipient, subject=str(subject)[:300], body=str(body),
                            status=PENDING, attempts=0, next_attempt_at=_now())
    session.add(message)
    return message


def send_email(message: OutboxMessage, config) -> None:
    email = EmailMessage()
    email["From"] = config["MAIL_FROM"]
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email.set_content(message.body)
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
        smtp.send_message(email)


register_kind("email", send_email, retry_on=(OSError, smtplib.SMTPException),
              enabled=lambda config: bool(config.get("MAIL_SERVER")))


def enabled_kinds(config) -> list[str]:
    return [name for name, kind in KINDS.items() if kind.enabled(config)]


def _first_in_order():
    """No older message with the same ordering key is still pending (or being sent)."""
    earlier = aliased(OutboxMessage)
    return or_(OutboxMessage.ordering_key.is_(None), ~exists().where(
        earlier.ordering_key == OutboxMessage.ordering_key, earlier.status == PENDING,
        earlier.id < OutboxMessage.id))


def _claim_next(session, kinds: list[str], skip: set[int]) -> OutboxMessage | None:
    """Lease the next due message for this process, in its own transaction."""
    config = current_app.config
    while True:
        moment = _now()
        free = or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < moment)
        conditions = [OutboxMessage.status == PENDING, OutboxMessage.next_attempt_at <= moment,
                      OutboxMessage.kind.in_(kinds), free]
        if skip:
            conditions.append(OutboxMessage.id.notin_(skip))
        conditions.append(_first_in_order())
        candidates = session.execute(
            select(OutboxMessage.id).where(*conditions).order_by(OutboxMessage.id).limit(20)
        ).scalars().all()
        session.rollback()
        if not candidates:
            return None
        lease_until = moment + datetime.timedelta(seconds=config.get("OUTBOX_LEASE_SECONDS", 300))
        for message_id in candidates:
            # Re-checked by the UPDATE itself: of two workers choosing the same message one gets it.
            claimed = session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id, OutboxMessage.status == PENDING, free, _first_in_order())
                .values(claimed_by=process_name(), claimed_until=lease_until)
            ).rowcount
            session.commit()
            if claimed == 1:
                return session.get(OutboxMessage, message_id, populate_existing=True)
            skip.add(message_id)


def _settle(session, message: OutboxMessage, **values) -> bool:
    """Record the outcome while the lease is ours (it may have expired during a slow send)."""
    done = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message.id, OutboxMessage.claimed_by == process_name(),
               OutboxMessage.claimed_until == message.claimed_until)
        .values(claimed_by=None, claimed_until=None, **values)
    ).rowcount
    session.commit()
    return done == 1


def backoff(attempts: int) -> datetime.timedelta:
    base = current_app.config.get("OUTBOX_RETRY_BASE_SECONDS", 60)
    return min(datetime.timedelta(seconds=base * 2 ** min(attempts, 12)), MAX_BACKOFF)


def deliver(limit: int = 100, session=None, kinds: list[str] | None = None) -> tuple[int, int]:
    """Deliver due messages (of `kinds`, default all); returns (sent, failed attempts). Kinds
    that are not configured (e-mail without MAIL_SERVER) stay queued."""
    session = session or db.session
    config = current_app.config
    kinds = [k for k in enabled_kinds(config) if kinds is None or k in kinds]
    if not kinds:
        return 0, 0
    sent = failed = 0
    skip: set[int] = set()
    while sent + failed < limit:
        message = _claim_next(session, kinds, skip)
        if message is None:
            break
        skip.add(message.id)
        kind = KINDS[message.kind]
        attempts = message.attempts + 1
        try:
            kind.send(message, config)
        except Rejected as exc:
            failed += 1
            _settle(session, message, attempts=attempts, last_error=str(exc)[:2000], status=FAILED)
        except kind.retry_on as exc:
            failed += 1
            _settle(session, message, attempts=attempts, last_error=f"{type(exc).__name__}: {exc}"[:2000],
                    next_attempt_at=_now() + backoff(attempts),
                    # kept, visible, and can be re-queued; never deleted
                    status=FAILED if attempts >= MAX_ATTEMPTS else PENDING)
        else:
            sent += 1
            if _settle(session, message, attempts=attempts, status=SENT, sent_at=_now(), last_error=None) \
                    and message.ordering_key:
                session.execute(update(OutboxMessage).where(
                    OutboxMessage.ordering_key == message.ordering_key, OutboxMessage.status == FAILED,
                    OutboxMessage.id < message.id).values(status=SUPERSEDED))
                session.commit()
    return sent, failed


def requeue(message_ids, session=None) -> int:
    """A person's *retry*: failed or delayed messages are due now, with a fresh count of attempts."""
    session = session or db.session
    ids = [int(i) for i in message_ids]
    if not ids:
        return 0
    done = session.execute(update(OutboxMessage).where(
        OutboxMessage.id.in_(ids), OutboxMessage.status.in_((PENDING, FAILED)))
        .values(status=PENDING, attempts=0, next_attempt_at=_now())).rowcount
    session.commit()
    return done


def next_due_in(session=None) -> float | None:
    """Seconds until the next pending message is due (None: nothing pending)."""
    session = session or db.session
    due = session.execute(select(OutboxMessage.next_attempt_at).where(
        OutboxMessage.status == PENDING, OutboxMessage.kind.in_(enabled_kinds(current_app.config)))
        .order_by(OutboxMessage.next_attempt_at).limit(1)).scalar()
    session.rollback()
    if due is None:
        return None
    return max(0.0, (due - _now()).total_seconds())
