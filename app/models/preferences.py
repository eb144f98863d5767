"""Per-user list preferences (F23): which columns a list shows and its default sort."""

from datetime import datetime

from flask_appbuilder import Model
from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column


class ListPreference(Model):
    __tablename__ = "list_preference"
    __table_args__ = (UniqueConstraint("user_id", "list_name", name="uq_list_preference_user_list"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False)
    list_name: Mapped[str] = mapped_column(String(50), nullable=False)
    # JSON list of column keys from app/services/list_columns.py, in display order.
    columns: Mapped[str | None] = mapped_column(Text)
    sort: Mapped[str | None] = mapped_column(String(32))
    direction: Mapped[str | None] = mapped_column(String(4))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime, nullable=False, server_default=func.now(), onupdate=func.now()
    )
