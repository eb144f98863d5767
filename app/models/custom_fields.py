"""Administrator-defined customer fields [egendefinierade fält] (F7)."""

from flask_appbuilder import Model
from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

FIELD_TYPES = ("text", "number", "date", "boolean", "choice")


class CustomFieldDefinition(Model):
    __tablename__ = "custom_field_definition"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    label: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    field_type: Mapped[str] = mapped_column(String(10), nullable=False, default="text")
    choices: Mapped[str | None] = mapped_column(Text)  # one suggestion per line (type "choice")
    required: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    show_in_list: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    hidden_for_customer_users: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # A field that holds values is never deleted, only marked removed.
    removed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    @property
    def choice_list(self) -> list[str]:
        return [c.strip() for c in (self.choices or "").splitlines() if c.strip()]

    def __repr__(self) -> str:
        return self.label


class CustomFieldValue(Model):
    __tablename__ = "custom_field_value"
    __table_args__ = (UniqueConstraint("customer_id", "field_id", name="uq_custom_value_customer_field"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), nullable=False, index=True
    )
    field_id: Mapped[int] = mapped_column(
        ForeignKey("custom_field_definition.id"), nullable=False, index=True
    )
    # Canonical text: ISO date, plain decimal, "1"/"0" for yes/no.
    value: Mapped[str | None] = mapped_column(Text)

    customer = relationship("Customer", back_populates="custom_values")
    field: Mapped[CustomFieldDefinition] = relationship()
