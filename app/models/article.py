"""A small article register and the customer's own articles (F9)."""

from decimal import Decimal

from flask_appbuilder import Model
from sqlalchemy import Boolean, ForeignKey, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

SERVICE_ARTICLE = "service"
WORK_ORDER_ARTICLE = "work_order"
CUSTOMER_ARTICLE_KINDS = (SERVICE_ARTICLE, WORK_ORDER_ARTICLE)

ROT_RUT_TYPES = ("none", "rot", "rut", "green")


class Article(Model):
    __tablename__ = "article"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_number: Mapped[str] = mapped_column(String(50), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    article_group: Mapped[str | None] = mapped_column(String(100))
    unit: Mapped[str] = mapped_column(String(20), nullable=False, default="st")
    price: Mapped[Decimal] = mapped_column(Numeric(12, 2), nullable=False, default=Decimal("0"))
    vat_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2), nullable=False, default=Decimal("25"))
    is_time_article: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    rot_rut_type: Mapped[str] = mapped_column(String(10), nullable=False, default="none")

    def __repr__(self) -> str:
        return f"{self.article_number} {self.name}"


class CustomerArticle(Model):
    __tablename__ = "customer_article"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), nullable=False, index=True
    )
    article_id: Mapped[int] = mapped_column(ForeignKey("article.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    quantity: Mapped[Decimal] = mapped_column(Numeric(10, 2), nullable=False, default=Decimal("1"))

    customer = relationship("Customer", back_populates="articles")
    article: Mapped[Article] = relationship()
