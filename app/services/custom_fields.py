"""Custom customer fields (F7): definitions, value parsing and display."""

import datetime
from decimal import Decimal, InvalidOperation

from flask_babel import format_date, format_decimal
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select

from ..models.custom_fields import FIELD_TYPES, CustomFieldDefinition, CustomFieldValue

TRUE_WORDS = {"1", "y", "yes", "ja", "true", "on", "x"}
FALSE_WORDS = {"0", "n", "no", "nej", "false", "off", ""}

FIELD_TYPE_LABELS = {
    "text": _l("Text"),
    "number": _l("Number"),
    "date": _l("Date"),
    "boolean": _l("Yes/no"),
    "choice": _l("Choice"),
}


def active_fields(session) -> list[CustomFieldDefinition]:
    return list(
        session.execute(
            select(CustomFieldDefinition)
            .where(CustomFieldDefinition.removed.is_(False))
            .order_by(CustomFieldDefinition.position, CustomFieldDefinition.label)
        ).scalars()
    )


def parse_value(field: CustomFieldDefinition, raw) -> str | None:
    """Canonical text for `raw`, None when empty; ValueError with a user message."""
    text = "" if raw is None else str(raw).strip()
    if field.field_type == "boolean":
        if text.lower() in TRUE_WORDS:
            return "1"
        if text.lower() in FALSE_WORDS:
            return "0"
        raise ValueError(_l("Answer yes or no."))
    if not text:
        if field.required:
            raise ValueError(_l("This field is required."))
        return None
    if field.field_type == "number":
        try:
            number = Decimal(text.replace("\u00a0", "").replace(" ", "").replace(",", "."))
        except InvalidOperation:
            raise ValueError(_l("Enter a number, e.g. 12,5.")) from None
        if not number.is_finite() or abs(number) >= Decimal("1e15"):
            raise ValueError(_l("Enter a number, e.g. 12,5."))
        return format(number.normalize(), "f")
    if field.field_type == "date":
        try:
            return datetime.date.fromisoformat(text).isoformat()
        except ValueError:
            raise ValueError(_l("Enter a date as YYYY-MM-DD.")) from None
    if field.field_type == "choice":
        if text not in field.choice_list:
            raise ValueError(_l("Choose one of the listed values."))
        return text
    if len(text) > 2000:
        raise ValueError(_l("At most %(n)s characters.", n=2000))
    return text


def display_value(field: CustomFieldDefinition, value: str | None) -> str:
    if value is None or value == "":
        return ""
    if field.field_type == "boolean":
        return str(_l("Yes")) if value == "1" else str(_l("No"))
    if field.field_type == "number":
        return format_decimal(Decimal(value))
    if field.field_type == "date":
        return format_date(datetime.date.fromisoformat(value), "short")
    return value


class FieldDefinitionInvalid(ValueError):
    def __init__(self, errors: dict):
        super().__init__(errors)
        self.errors = errors

    def __str__(self) -> str:
        return " ".join(str(message) for message in self.errors.values())


def check_definition(label: str, field_type: str, choices: str | None) -> dict:
    errors = {}
    if not (label or "").strip():
        errors["label"] = _l("This field is required.")
    if field_type not in FIELD_TYPES:
        errors["field_type"] = _l("Choose a field type.")
    if field_type == "choice" and not [c for c in (choices or "").splitlines() if c.strip()]:
        errors["choices"] = _l("List at least one value, one per line.")
    return errors


def field_in_use(session, field_id: int) -> bool:
    return session.execute(select(exists().where(CustomFieldValue.field_id == field_id))).scalar()


def check_type_change(session, field: CustomFieldDefinition) -> None:
    """A field that holds values keeps its type: the stored values would no longer parse."""
    with session.no_autoflush:  # compare with the stored row, not the edited object
        stored_type = session.execute(
            select(CustomFieldDefinition.__table__.c.field_type).where(CustomFieldDefinition.id == field.id)
        ).scalar()
        if stored_type != field.field_type and field_in_use(session, field.id):
            raise FieldDefinitionInvalid({"field_type": _l("The field holds values; its type cannot be changed.")})


def check_deletable(session, field: CustomFieldDefinition) -> None:
    if field_in_use(session, field.id):
        raise FieldDefinitionInvalid(
            {"removed": _l("The field is in use and cannot be deleted; mark it as removed instead.")}
        )
