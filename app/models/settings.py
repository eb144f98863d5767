"""Module and view settings (F25, F26) and number sequences."""

from flask_appbuilder import Model
from sqlalchemy import BigInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column


class Setting(Model):
    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str | None] = mapped_column(Text)


class NumberSequence(Model):
    """Next value of a generated number; one row per sequence, updated atomically."""

    __tablename__ = "number_sequence"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    next_value: Mapped[int] = mapped_column(BigInteger, nullable=False)
