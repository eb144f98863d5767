"""Discount letters [rabattbrev] (F5)."""

from decimal import Decimal

from flask_appbuilder import Model
from sqlalchemy import ForeignKey, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship


class DiscountLetter(Model):
    __tablename__ = "discount_letter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    rows: Mapped[list["DiscountLetterRow"]] = relationship(
        back_populates="letter", cascade="all, delete-orphan", order_by="DiscountLetterRow.id"
    )

    def __repr__(self) -> str:
        return self.name


class DiscountLetterRow(Model):
    __tablename__ = "discount_letter_row"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    letter_id: Mapped[int] = mapped_column(
        ForeignKey("discount_letter.id", ondelete="CASCADE"), nullable=False, index=True
    )
    # Empty article group means the discount applies to all articles.
    article_group: Mapped[str | None] = mapped_column(String(100))
    percent: Mapped[Decimal] = mapped_column(Numeric(5, 2), nullable=False)

    letter: Mapped[DiscountLetter] = relationship(back_populates="rows")

    def __repr__(self) -> str:
        return f"{self.article_group or '*'}: {self.percent} %"
