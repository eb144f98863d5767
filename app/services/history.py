"""Automatic field-level history (F18): one session hook, whoever writes.

Forms, bulk actions, imports, the CLI and direct service calls all change customers
through SQLAlchemy sessions; `after_flush` sees every insert, update and delete of a
customer and of what hangs on it, and writes the history rows in one bulk insert per
flush. Writers outside a request are attributed to `actor()` ("system" unless the
CLI or a job says otherwise).
"""

import contextlib
import contextvars
import datetime
from decimal import Decimal

from flask import current_app, has_request_context
from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session

from ..models.article import CustomerArticle
from ..models.custom_fields import CustomFieldValue
from ..models.customer import Address, Contact, Customer
from ..models.history import CustomerHistory
from ..models.order import Facility, Order
from ..models.portal import CustomerUser

SYSTEM = "system"
_PENDING = "history_rows"  # rows of this transaction, written just before it commits
_actor: contextvars.ContextVar = contextvars.ContextVar("history_actor", default=None)

# The customer fields whose changes are recorded: every attribute field of the registry,
# plus the technician and the discount letters (labels: customer_fields.history_labels).
def customer_history_fields() -> tuple[str, ...]:
    from .customer_fields import FIELDS

    names = [f.history_name for f in FIELDS if f.storage in ("attr", "technician", "letters")]
    return tuple(n for n in names if n != "created_at")


CHILD_FIELDS = {
    Contact: ("contact", ("name", "phone", "email", "send_service_protocol", "send_work_order", "is_main_contact")),
    Address: ("address", ("kind", "street", "street2", "postcode", "city")),
    CustomFieldValue: ("custom_field", ("value",)),
    CustomerArticle: ("article", ("article_id", "quantity", "kind")),
    CustomerUser: ("customer_user", ("user_id", "can_edit_details", "can_see_documents")),
    # the customer's orders: created (number and kind), status changes and assignment
    Order: ("order", ("number", "kind", "status", "assigned_to_id")),
    Facility: ("facility", ("name", "street", "postcode", "city", "customer_order_number")),
}


@contextlib.contextmanager
def acting_as(name: str, user_id: int | None = None):
    """Attribute changes made inside the block to `name` (CLI user, import job…)."""
    token = _actor.set((user_id, name))
    try:
        yield
    finally:
        _actor.reset(token)


def attributed() -> bool:
    """Whether an explicit author is set for this block (a CLI user, an import job…)."""
    return _actor.get() is not None


def actor() -> tuple[int | None, str]:
    explicit = _actor.get()
    if explicit is not None:
        return explicit
    if has_request_context():
        user = current_app.appbuilder.sm.current_user
        if user is not None and not getattr(user, "is_anonymous", False):
            return user.id, user.username
    return None, SYSTEM


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, list):
        return ", ".join(sorted(str(v) for v in value))
    return str(value)


def _changed(state, name):
    history = state.attrs[name].history
    if not history.has_changes():
        return None
    old = history.deleted[0] if history.deleted else None
    new = history.added[0] if history.added else None
    if name == "discount_letters":
        current = list(state.attrs[name].value or [])
        old = [x for x in current if x not in history.added] + list(history.deleted)
        new = current
    old, new = _text(old), _text(new)
    return None if old == new else (old, new)


def _summary(obj, fields) -> str:
    return "; ".join(f"{f}={_text(getattr(obj, f))}" for f in fields if getattr(obj, f) not in (None, "", False))


def _customer_id(obj):
    if isinstance(obj, Customer):
        return obj.id
    if obj.customer_id is not None:
        return obj.customer_id
    # a child taken out of its customer's collection (delete-orphan) has lost its link in Python
    earlier = [v for v in inspect(obj).attrs.customer_id.history.deleted or () if v is not None]
    if earlier:
        return earlier[0]
    return obj.customer.id if obj.customer else None


def _rows_for(session, obj, action) -> list[dict]:
    if isinstance(obj, Customer):
        record_type, fields, record_id = "customer", customer_history_fields(), obj.id
    else:
        record_type, fields = CHILD_FIELDS[type(obj)]
        record_id = obj.id
    customer_id = _customer_id(obj)
    if customer_id is None:
        return []
    base = {"customer_id": customer_id, "record_type": record_type, "record_id": record_id, "action": action}
    if isinstance(obj, CustomFieldValue):
        base["field"] = f"cf:{obj.field_id}"
    if action == "insert":
        summary = _summary(obj, [f for f in fields if f != "discount_letters"])
        return [{**base, "field": base.get("field"), "old_value": None, "new_value": summary}]
    if action == "delete":
        summary = _summary(obj, [f for f in fields if f != "discount_letters"])
        return [{**base, "field": base.get("field"), "old_value": summary, "new_value": None}]
    state = inspect(obj)
    rows = []
    for name in fields:
        change = _changed(state, name)
        if change:
            field = base.get("field") or name
            rows.append({**base, "field": field, "old_value": change[0], "new_value": change[1]})
    return rows


TRACKED = (Customer, *CHILD_FIELDS)


def _after_flush(session: Session, _context) -> None:
    rows = []
    for obj in session.new:
        if isinstance(obj, TRACKED):
            rows += _rows_for(session, obj, "insert")
    for obj in session.dirty:
        if isinstance(obj, TRACKED) and session.is_modified(obj, include_collections=True):
            rows += _rows_for(session, obj, "update")
    deleted_customers = {obj.id for obj in session.deleted if isinstance(obj, Customer)}
    for obj in session.deleted:
        if isinstance(obj, TRACKED) and not isinstance(obj, Customer):
            if _customer_id(obj) not in deleted_customers:  # a deleted customer is one row, not one per child
                rows += _rows_for(session, obj, "delete")
        elif isinstance(obj, Customer):
            rows.append({"customer_id": obj.id, "record_type": "customer", "record_id": obj.id, "action": "delete",
                         "field": None, "old_value": f"{obj.customer_number} {obj.name}", "new_value": None})
    _stamp_and_queue(session, rows)


def record_customer_updates(session: Session, changes) -> None:
    """History for changes written set-based (bulk UPDATE statements the flush hook cannot see):
    `changes` are (customer id, field, old value, new value). The rows are exactly those the hook
    writes for the same change made through the ORM (tests/services/test_history.py compares
    both paths), and are written with the hook's rows just before the commit."""
    rows = []
    for customer_id, field, old, new in changes:
        old, new = _text(old), _text(new)
        if old != new:
            rows.append({"customer_id": customer_id, "record_type": "customer", "record_id": customer_id,
                         "action": "update", "field": field, "old_value": old, "new_value": new})
    _stamp_and_queue(session, rows)


def _stamp_and_queue(session: Session, rows: list[dict]) -> None:
    if not rows:
        return
    user_id, name = actor()
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    for row in rows:
        row.update(changed_by_id=user_id, changed_by=name, changed_at=now)
    session.info.setdefault(_PENDING, []).extend(rows)


def note(session: Session, customer_id: int, record_type: str, action: str, field: str | None = None,
         new_value: str | None = None, old_value: str | None = None) -> None:
    """A history entry that is not a field change (a confirmed duplicate, a merge, an erasure),
    written with the transaction's other rows."""
    user_id, name = actor()
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    session.info.setdefault(_PENDING, []).append({
        "customer_id": customer_id, "record_type": record_type, "record_id": customer_id, "action": action,
        "field": field, "old_value": old_value, "new_value": new_value, "changed_by_id": user_id,
        "changed_by": name, "changed_at": now})


def _write_pending(session: Session) -> None:
    """Before the commit: the last changes flushed, then every history row of the
    transaction in one bulk insert (a batch of 500 imported customers is one statement)."""
    session.flush()
    rows = session.info.pop(_PENDING, None)
    if rows:
        session.connection().execute(insert(CustomerHistory), rows)


def _forget_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


def _load_old_value(target, value, oldvalue, initiator):
    return value


def install_history_hook() -> None:
    if event.contains(Session, "after_flush", _after_flush):
        return
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "before_commit", _write_pending)
    event.listen(Session, "after_rollback", _forget_pending)
    # A service may change an expired object (after a commit); active history makes
    # SQLAlchemy load the old value first, so "old value" is never lost.
    tracked = [(Customer, [f for f in customer_history_fields() if f != "discount_letters"])]
    tracked += [(cls, fields) for cls, (_kind, fields) in CHILD_FIELDS.items()]
    for cls, fields in tracked:
        for name in fields:
            event.listen(getattr(cls, name), "set", _load_old_value, active_history=True, retval=True)
