"""The customer's orders: facilities [anläggningar], orders of four kinds and their rows
(F4, F5, F9, F13, F15, F16, F19, F20, F25)."""

from datetime import date, datetime
from decimal import Decimal

from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .article import Article
from .customer import Contact, Customer

SERVICE_ORDER = "service_order"
WORK_ORDER = "work_order"
FAULT_REPORT = "fault_report"
QUOTE = "quote"
ORDER_KINDS = (SERVICE_ORDER, WORK_ORDER, FAULT_REPORT, QUOTE)

NEW = "new"
STARTED = "started"
READY_FOR_INVOICING = "ready_for_invoicing"
INVOICED = "invoiced"
CANCELLED = "cancelled"
ORDER_STATUSES = (NEW, STARTED, READY_FOR_INVOICING, INVOICED, CANCELLED)


class Facility(Model):
    """A place where the customer's work is done [anläggning]."""

    __tablename__ = "facility"
    __table_args__ = (Index("ix_facility_customer_name", "customer_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    street: Mapped[str | None] = mapped_column(String(200))
    postcode: Mapped[str | None] = mapped_column(String(5))
    city: Mapped[str | None] = mapped_column(String(100))
    customer_order_number: Mapped[str | None] = mapped_column(String(100))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id", ondelete="SET NULL"), index=True)

    customer: Mapped[Customer] = relationship(Customer)
    contact: Mapped[Contact | None] = relationship(Contact)

    def __repr__(self) -> str:
        return self.name


class Order(Model):
    """A service order, work order, fault report or quote; `number` is unique within its kind."""

    __tablename__ = "customer_order"
    __table_args__ = (
        UniqueConstraint("kind", "number", name="uq_customer_order_kind_number"),
        # the card's three lists (newest first) and the order list's "only assigned" scope
        Index("ix_customer_order_customer_kind_id", "customer_id", "kind", "id"),
        Index("ix_customer_order_assigned_id", "assigned_to_id", "id"),
        Index("ix_customer_order_status_id", "status", "id"),
        # the order list's search by the customer's own order number (F25)
        Index("ix_customer_order_customer_order_number", "customer_order_number"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(20), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), nullable=False)
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facility.id", ondelete="SET NULL"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default=NEW)
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id", ondelete="SET NULL"))
    work_date: Mapped[date | None] = mapped_column(Date)
    description: Mapped[str | None] = mapped_column(Text)
    customer_order_number: Mapped[str | None] = mapped_column(String(100))
    cost_centre: Mapped[str | None] = mapped_column(String(100))
    # F13: copied from the customer when the order is created, for the accounting transfer.
    always_invoice: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime, nullable=False, server_default=func.now(), onupdate=func.now()
    )
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}

    customer: Mapped[Customer] = relationship(Customer)
    facility: Mapped[Facility | None] = relationship(Facility)
    contact: Mapped[Contact | None] = relationship(Contact)
    assigned_to: Mapped[User | None] = relationship(User, foreign_keys=[assigned_to_id])
    rows: Mapped[list["OrderRow"]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderRow.position, OrderRow.id"
    )

    def __repr__(self) -> str:
        return f"{self.number}"


class OrderRow(Model):
    __tablename__ = "order_row"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id", ondelete="CASCADE"), nullable=False,
                                          index=True)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    article_id: Mapped[int | None] = mapped_column(ForeignKey("article.id", ondelete="SET NULL"), index=True)
    text: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    quantity: Mapped[Decimal] = mapped_column(Numeric(10, 2), nullable=False, default=Decimal("1"))
    unit: Mapped[str] = mapped_column(String(20), nullable=False, default="st")
    # the price without VAT, before discount
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 2), nullable=False, default=Decimal("0"))
    vat_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2), nullable=False, default=Decimal("25"))
    discount_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2), nullable=False, default=Decimal("0"))
    is_time_row: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    order: Mapped[Order] = relationship(back_populates="rows")
    article: Mapped[Article | None] = relationship(Article)
