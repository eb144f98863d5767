"""Work that talks to the outside (e-mail, accounting) is queued here in the same
transaction as the change that caused it, and delivered by `flask outbox deliver`."""

from datetime import datetime

from flask_appbuilder import Model
from sqlalchemy import DateTime, Index, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

PENDING, SENT, FAILED = "pending", "sent", "failed"
# A failed message made needless by a later one with the same ordering key (it carried the
# newer state and was delivered): kept for the record, no longer listed as failed.
SUPERSEDED = "superseded"


class OutboxMessage(Model):
    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_message_due", "status", "next_attempt_at"),
                      Index("ix_outbox_message_ordering_key", "ordering_key", "status"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False, default="email")
    recipient: Mapped[str] = mapped_column(String(254), nullable=False)
    subject: Mapped[str] = mapped_column(String(300), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, server_default=func.now())
    last_error: Mapped[str | None] = mapped_column(Text)
    # A lease: the process sending it, until when. Set in its own short transaction before
    # sending, so any number of workers send each message once.
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, server_default=func.now())
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Messages with the same key are delivered one at a time, oldest first (an accounting sync
    # of one customer: "fortnox:42"); None: no order to keep (e-mail).
    ordering_key: Mapped[str | None] = mapped_column(String(100))
