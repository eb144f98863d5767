"""The customer aggregate: customer, contacts and addresses (F1, F2, F4, F6, F8, F10–F13)."""

from datetime import datetime

from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import (
    DDL,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

COMPANY = "company"
PRIVATE = "private"
CUSTOMER_TYPES = (COMPANY, PRIVATE)

NO_VAT = "NoVAT"
NORMAL_VAT = "NormalVAT"
VAT_TYPES = (NO_VAT, NORMAL_VAT)

INVOICE = "invoice"
VISITING = "visiting"
POSTAL = "postal"
ADDRESS_KINDS = (INVOICE, VISITING, POSTAL)

customer_discount_letter = Table(
    "customer_discount_letter",
    Model.metadata,
    Column("customer_id", ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True),
    Column("discount_letter_id", ForeignKey("discount_letter.id", ondelete="CASCADE"), primary_key=True),
)


def trigram_index(name: str, column: str) -> Index:
    """A pg_trgm GIN index for substring search (ILIKE '%x%'); PostgreSQL only.

    On SQLite search scans (with a Unicode fold function), so the index is not created
    there; `app.database.include_object` keeps Alembic from asking for it on SQLite.
    """
    return Index(name, column, postgresql_using="gin", postgresql_ops={column: "gin_trgm_ops"}).ddl_if(
        dialect="postgresql"
    )


# create_all (tests) needs the extension before the trigram indexes; migrations create it too.
event.listen(
    Model.metadata, "before_create", DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql")
)


class Customer(Model):
    __tablename__ = "customer"
    __table_args__ = (
        # The list's sorts, and the technician filter (and "only assigned" rights) by name. The
        # id breaks ties; on PostgreSQL `active` is included so that a page far down the list
        # is found from the index alone (search.search_page looks up the page's ids first).
        Index("ix_customer_name_id", "name", "id", postgresql_include=["active"]),
        Index("ix_customer_assigned_name", "assigned_to_id", "name", "id", postgresql_include=["active"]),
        Index("ix_customer_created_at_id", "created_at", "id", postgresql_include=["active"]),
        Index("ix_customer_type_id", "customer_type", "id", postgresql_include=["active"]),
        trigram_index("ix_customer_name_trgm", "name"),
        Index("ix_customer_possible_duplicate_name", "name", "id", sqlite_where=text("possible_duplicate"),
              postgresql_where=text("possible_duplicate")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_number: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False, index=True)
    customer_type: Mapped[str] = mapped_column(String(10), nullable=False, default=COMPANY)
    # Organisation number (company) or personnummer (private), canonical form.
    identity_number: Mapped[str | None] = mapped_column(String(13), index=True)
    # Duplicate detection (app/services/duplicates.py keeps these in step with the values):
    # the identity number's last ten digits (so 556036-0793, 5560360793 and a personnummer with
    # or without its century meet), and the name without case, punctuation and legal form.
    identity_key: Mapped[str | None] = mapped_column(String(10), index=True)
    name_key: Mapped[str | None] = mapped_column(String(200), index=True)
    # name_key and the invoice postcode ("bygg måleri|90326"): a close name at the same postcode
    # is a possible duplicate, and the list filter groups over this one index.
    duplicate_key: Mapped[str | None] = mapped_column(String(210), index=True)
    # Shares its identity_key or duplicate_key with another customer: the list filter "possible
    # duplicates" reads this flag (a partial index), kept by app/services/duplicates.py on write.
    possible_duplicate: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False,
                                                     server_default=text("false"))
    vat_type: Mapped[str | None] = mapped_column(String(10))
    language: Mapped[str | None] = mapped_column(String(8))
    comment: Mapped[str | None] = mapped_column(Text)  # internal (F8)
    cost_centre: Mapped[str | None] = mapped_column(String(100))
    # F25: the customer's own order number, inherited by its new orders
    customer_order_number: Mapped[str | None] = mapped_column(String(100))

    # Tax reduction, ROT/RUT/green (F12)
    tax_reduction_personnummer: Mapped[str | None] = mapped_column(String(13))
    property_designation: Mapped[str | None] = mapped_column(String(200))
    housing_coop_org_number: Mapped[str | None] = mapped_column(String(11))
    apartment_number: Mapped[str | None] = mapped_column(String(4))

    # Per-customer rules (F13)
    facilities_disabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    facility_required: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    cost_centre_required: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    always_invoice: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True, index=True)
    assigned_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("ab_user.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime, nullable=False, server_default=func.now(), onupdate=func.now()
    )

    # Optimistic locking: a save based on an older version is refused (edit conflicts).
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}

    assigned_to: Mapped[User | None] = relationship(User, foreign_keys=[assigned_to_id])
    contacts: Mapped[list["Contact"]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by="Contact.id"
    )
    addresses: Mapped[list["Address"]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by="Address.id"
    )
    discount_letters: Mapped[list["DiscountLetter"]] = relationship(  # noqa: F821
        secondary=customer_discount_letter, order_by="DiscountLetter.name"
    )
    articles: Mapped[list["CustomerArticle"]] = relationship(  # noqa: F821
        back_populates="customer", cascade="all, delete-orphan", order_by="CustomerArticle.id"
    )
    custom_values: Mapped[list["CustomFieldValue"]] = relationship(  # noqa: F821
        back_populates="customer", cascade="all, delete-orphan"
    )

    def address(self, kind: str) -> "Address | None":
        return next((a for a in self.addresses if a.kind == kind), None)

    def custom_value(self, field_id: int) -> str | None:
        return next((v.value for v in self.custom_values if v.field_id == field_id), None)

    @property
    def main_contact(self) -> "Contact | None":
        return next((c for c in self.contacts if c.is_main_contact), None)

    def __repr__(self) -> str:
        return f"{self.customer_number} {self.name}"


class Contact(Model):
    __tablename__ = "contact"
    __table_args__ = (
        # At most one main contact per customer (F11).
        Index(
            "uq_contact_one_main",
            "customer_id",
            unique=True,
            sqlite_where=text("is_main_contact"),
            postgresql_where=text("is_main_contact"),
        ),
        trigram_index("ix_contact_name_trgm", "name"),
        trigram_index("ix_contact_email_trgm", "email"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    phone: Mapped[str | None] = mapped_column(String(50))
    email: Mapped[str | None] = mapped_column(String(254))
    send_service_protocol: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    send_work_order: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    is_main_contact: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    customer: Mapped[Customer] = relationship(back_populates="contacts")
    # Optimistic locking, as on the customer: a save based on an older version is refused.
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return self.name


class Address(Model):
    __tablename__ = "address"
    __table_args__ = (
        UniqueConstraint("customer_id", "kind", name="uq_address_customer_kind"),
        # A new customer is compared with the customers at its postcode (possible duplicates).
        Index("ix_address_postcode_kind", "postcode", "kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), nullable=False, index=True
    )
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    street: Mapped[str | None] = mapped_column(String(200))
    street2: Mapped[str | None] = mapped_column(String(200))
    postcode: Mapped[str | None] = mapped_column(String(5))  # five digits, shown as NNN NN
    city: Mapped[str | None] = mapped_column(String(100))

    customer: Mapped[Customer] = relationship(back_populates="addresses")
    # Optimistic locking, as on the customer: a save based on an older version is refused.
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}

    @property
    def postcode_display(self) -> str:
        p = self.postcode or ""
        return f"{p[:3]} {p[3:]}" if len(p) == 5 else p

    def __repr__(self) -> str:
        return ", ".join(x for x in (self.street, self.street2, f"{self.postcode_display} {self.city or ''}".strip()) if x)


class CustomerSearchText(Model):
    """One search document per customer (F21): its name, number, organisation number and its
    contacts' names, e-mails and phones, case-folded, so that one search answers from one index.

    Written by the write path (`services.search_text`, a session hook installed from
    `create_app`), never by hand. A separate table, so that changes to other customer columns
    (assignment, status) neither rewrite nor bloat the search index.
    """

    __tablename__ = "customer_search_text"
    __table_args__ = (trigram_index("ix_customer_search_text_trgm", "document"),)

    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True)
    document: Mapped[str] = mapped_column(Text, nullable=False)


# Terms too short for trigrams (one or two characters) match the start of the name or the customer
# number (services.search); these make that an index range scan in any collation.
Index("ix_customer_name_prefix", func.lower(Customer.name).label("name_lower"),
      postgresql_ops={"name_lower": "text_pattern_ops"}).ddl_if(dialect="postgresql")
Index("ix_customer_number_prefix", Customer.customer_number,
      postgresql_ops={"customer_number": "text_pattern_ops"}).ddl_if(dialect="postgresql")


class CustomerAlias(Model):
    """A customer number that was merged away: a search for it finds the surviving customer."""

    __tablename__ = "customer_alias"

    number: Mapped[str] = mapped_column(String(32), primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), nullable=False, index=True
    )
    merged_name: Mapped[str | None] = mapped_column(String(200))
    merged_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, server_default=func.now())
