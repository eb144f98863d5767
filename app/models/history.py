"""Field-level history of a customer and what hangs on it (F18)."""

from datetime import datetime

from flask_appbuilder import Model
from sqlalchemy import DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column


class CustomerHistory(Model):
    __tablename__ = "customer_history"
    __table_args__ = (Index("ix_customer_history_customer_changed", "customer_id", "changed_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # No foreign key: the history of a deleted customer stays readable.
    customer_id: Mapped[int] = mapped_column(Integer, nullable=False)
    record_type: Mapped[str] = mapped_column(String(20), nullable=False)
    record_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(10), nullable=False)  # insert, update, delete
    field: Mapped[str | None] = mapped_column(String(64))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    changed_by_id: Mapped[int | None] = mapped_column(Integer)
    changed_by: Mapped[str] = mapped_column(String(100), nullable=False)
    changed_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
