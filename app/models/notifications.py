"""In-app notifications for users (F20): the bell in the navbar."""

from datetime import datetime

from flask_appbuilder import Model
from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column


class Notification(Model):
    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user_unread", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False)
    # What happened, rendered in the reader's language: a kind and its parameters (JSON).
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    params: Mapped[str] = mapped_column(Text, nullable=False, default="{}")
    link: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, server_default=func.now())
    read_at: Mapped[datetime | None] = mapped_column(DateTime)
