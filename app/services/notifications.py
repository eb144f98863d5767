"""In-app notifications (the bell) and their e-mails, in the reader's language."""

import datetime
import json
import logging

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from ..errors import Invalid
from ..extensions import db
from ..models.notifications import Notification
from . import links
from .outbox import queue_email

log = logging.getLogger(__name__)

ASSIGNED = "assigned"
UNASSIGNED = "unassigned"
ORDER_ASSIGNED = "order_assigned"

MESSAGES = {
    ASSIGNED: _l("You were made responsible for %(count)s customer(s): %(names)s"),
    UNASSIGNED: _l("You are no longer responsible for %(count)s customer(s): %(names)s"),
    ORDER_ASSIGNED: _l("%(order)s for %(customer)s was assigned to you."),
}
SUBJECTS = {
    ASSIGNED: _l("Customers assigned to you"),
    UNASSIGNED: _l("Customers no longer assigned to you"),
    ORDER_ASSIGNED: _l("New order assigned to you"),
}


def notify(user, kind: str, params: dict, link: str | None = None, session=None) -> Notification:
    """A notification in the bell and an e-mail through the outbox, in the same transaction."""
    session = session or db.session
    notification = Notification(user_id=user.id, kind=kind, params=json.dumps(params), link=link)
    session.add(notification)
    if user.email:
        language = current_app.config.get("BABEL_DEFAULT_LOCALE", "sv")
        with force_locale(language):
            subject = str(SUBJECTS[kind])
            body = str(MESSAGES[kind]) % params
            if link:
                try:
                    body += "\n\n" + links.absolute(link)
                except Invalid:  # no trusted address for links: the notice goes without one
                    log.warning("PUBLIC_URL is not set: a notification e-mail is sent without its link")
        queue_email(user.email, subject, body, session=session)
    return notification


def message_of(notification: Notification) -> str:
    return str(MESSAGES[notification.kind]) % json.loads(notification.params)


def unread_count(user_id: int, session=None) -> int:
    session = session or db.session
    return session.execute(
        select(func.count()).select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
    ).scalar()


def notifications_of(user_id: int, limit: int = 50, session=None) -> list[Notification]:
    session = session or db.session
    return list(session.execute(
        select(Notification).where(Notification.user_id == user_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)
    ).scalars())


def mark_read(user_id: int, notification_ids: list[int] | None = None, session=None) -> int:
    """Mark the user's own notifications read (all of them without ids)."""
    session = session or db.session
    statement = update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if notification_ids is not None:
        statement = statement.where(Notification.id.in_(notification_ids))
    result = session.execute(statement.values(read_at=datetime.datetime.now(datetime.UTC).replace(tzinfo=None)))
    session.commit()
    return result.rowcount

