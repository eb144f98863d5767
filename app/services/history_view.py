"""Reading the history (F18): newest first, paged, with labels in the reader's language."""

import re
from dataclasses import dataclass
from datetime import datetime

from flask_appbuilder.security.sqla.models import User
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..extensions import db
from ..models.article import Article
from ..models.custom_fields import CustomFieldDefinition
from ..models.history import CustomerHistory
from . import customer_fields as registry
from .identity import mask_personnummer
from .orders import KIND_LABELS, STATUS_LABELS

PAGE_SIZE = 25
RECORD_LABELS = {
    "customer": _l("Customer"),
    "contact": _l("Contact"),
    "address": _l("Address"),
    "custom_field": _l("Custom field"),
    "article": _l("Customer article"),
    "customer_user": _l("Customer user"),
    "order": _l("Customer order"),
    "facility": _l("Facility"),
}
ACTION_LABELS = {"insert": _l("Added"), "update": _l("Changed"), "delete": _l("Deleted"),
                 "duplicate": _l("Saved although a possible duplicate"), "merge": _l("Merged"),
                 "erase": _l("Personal data erased")}
CHILD_FIELD_LABELS = {
    "phone": _l("Phone"),
    "email": _l("E-mail"),
    "send_service_protocol": _l("Send service protocol"),
    "send_work_order": _l("Send work order"),
    "is_main_contact": _l("Main contact"),
    "kind": _l("Type"),
    "street": _l("Street address"),
    "street2": _l("Address line 2"),
    "postcode": _l("Postcode"),
    "city": _l("City"),
    "article_id": _l("Article"),
    "quantity": _l("Quantity"),
    "user_id": _l("Login"),
    "can_edit_details": _l("May change the details"),
    "can_see_documents": _l("May see documents"),
    "number": _l("No."),
    "status": _l("Status"),
    "customer_order_number": _l("Customer's order number"),
}
BOOLEAN_FIELDS = {
    "facilities_disabled", "facility_required", "cost_centre_required", "always_invoice", "active",
    "send_service_protocol", "send_work_order", "is_main_contact", "can_edit_details", "can_see_documents",
}


@dataclass
class HistoryEntry:
    changed_at: datetime
    changed_by: str
    record: str
    action: str
    field: str
    old_value: str
    new_value: str


def mask_personal_numbers(text: str | None) -> str:
    """Every personnummer in a value is shown as YYYYMMDD-XXXX."""
    return re.sub(r"\b(\d{8})-\d{4}\b", lambda m: mask_personnummer(m.group(0)), text or "")


def history_page(customer_id: int, page: int = 1, session=None,
                 full_identity: bool = False) -> tuple[list[HistoryEntry], int]:
    """A page of the history; personnummer masked unless `full_identity` (the one rule:
    `list_columns.sees_full_identity`, as on the card, the list and the export)."""
    session = session or db.session
    total = session.execute(
        select(func.count()).select_from(CustomerHistory).where(CustomerHistory.customer_id == customer_id)
    ).scalar()
    rows = session.execute(
        select(CustomerHistory).where(CustomerHistory.customer_id == customer_id)
        .order_by(CustomerHistory.changed_at.desc(), CustomerHistory.id.desc())
        .offset((max(page, 1) - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    ).scalars().all()
    custom_labels = dict(session.execute(select(CustomFieldDefinition.id, CustomFieldDefinition.label)).all())
    user_ids = {int(v) for r in rows if r.field == "assigned_to_id" for v in (r.old_value, r.new_value) if v}
    users = {u.id: f"{u.first_name} {u.last_name}" for u in session.execute(
        select(User).where(User.id.in_(user_ids))).scalars()} if user_ids else {}
    article_ids = {int(v) for r in rows if r.field == "article_id" for v in (r.old_value, r.new_value) if v}
    articles = dict(session.execute(
        select(Article.id, Article.name).where(Article.id.in_(article_ids))).all()) if article_ids else {}

    labels = registry.history_labels()
    choice_labels = {e.key: {k: str(v) for k, v in e.choices()} for e in registry.FIELDS
                     if e.kind == "choice" and e.choices is not None}

    def value(field: str | None, raw: str | None) -> str:
        if raw is None:
            return ""
        if field in choice_labels:
            return choice_labels[field].get(raw, raw)
        if field == "status" and raw in STATUS_LABELS:
            return str(STATUS_LABELS[raw])
        if field == "kind" and raw in KIND_LABELS:
            return str(KIND_LABELS[raw])
        if field in BOOLEAN_FIELDS:
            return str(_l("Yes")) if raw == "1" else str(_l("No"))
        if field == "assigned_to_id":
            return users.get(int(raw), raw)
        if field == "article_id":
            return articles.get(int(raw), raw)
        return raw if full_identity else mask_personal_numbers(raw)

    def label(field: str | None) -> str:
        if field is None:
            return ""
        if field.startswith("cf:"):
            return custom_labels.get(int(field[3:]), field)
        return str(labels.get(field) or CHILD_FIELD_LABELS.get(field) or _l("Name"))

    entries = [
        HistoryEntry(
            changed_at=r.changed_at,
            changed_by=r.changed_by if r.changed_by != "system" else str(_l("System")),
            record=str(RECORD_LABELS.get(r.record_type, r.record_type)),
            action=str(ACTION_LABELS.get(r.action, r.action)),
            field=label(r.field),
            old_value=value(r.field, r.old_value),
            new_value=value(r.field, r.new_value),
        )
        for r in rows
    ]
    return entries, total

