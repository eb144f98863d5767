"""The search document of a customer (F21): what one search box finds it by.

One text per customer in `customer_search_text`, case-folded: the name first (short terms
match its start), the customer number, the organisation number (as written and as digits),
and each contact's name, e-mail and phone (as written, as digits, and in national form, so
"+46 70-123 45 67", "070 123 45 67" and "0701234567" find each other). A personnummer is
never in it: who may search by one is a right (`search.identity_match`), not a text match.

Kept current by a session hook (`install_search_text_hook`, from `create_app`): every flush
that changes a customer's name, number or identity, or adds, changes or removes a contact,
marks the customer; before the commit its document is rewritten. Writers that bypass the ORM
call `refresh_search_text` for the customers they touched.
"""

import re

from sqlalchemy import delete, event, insert, inspect, select
from sqlalchemy.orm import Session

from ..database import fold
from ..models.customer import COMPANY, Contact, Customer, CustomerSearchText

SEPARATOR = "\n"  # between parts, so that a term never matches across two of them
_PENDING = "search_text_customers"
CUSTOMER_FIELDS = ("name", "customer_number", "identity_number", "customer_type")
CONTACT_FIELDS = ("name", "email", "phone", "customer_id")
NON_DIGITS = re.compile(r"\D")


def digits(text: str | None) -> str:
    return NON_DIGITS.sub("", text or "")


def phone_forms(phone: str | None) -> list[str]:
    """The digits of a phone number, plus its national form ("46701234567" -> "0701234567")."""
    number = digits(phone)
    if number.startswith("0046"):
        number = number[2:]
    forms = [number] if number else []
    if number.startswith("46") and len(number) > 8:
        forms.append("0" + number[2:])
    return forms


def document_for(name, customer_number, customer_type, identity_number, contacts) -> str:
    """The search document; `contacts` are (name, e-mail, phone) triples."""
    parts = [name or "", customer_number or ""]
    if customer_type == COMPANY and identity_number:
        parts += [identity_number, digits(identity_number)]
    for contact_name, email, phone in contacts:
        parts += [contact_name or "", email or "", phone or "", *phone_forms(phone)]
    return SEPARATOR.join(fold(part) for part in parts if part)


def refresh_search_text(session, customer_ids) -> None:
    """Rewrite the search documents of `customer_ids` from what the database holds now."""
    ids = sorted({i for i in customer_ids if i is not None})
    for start in range(0, len(ids), 1000):
        batch = ids[start:start + 1000]
        customers = session.execute(
            select(Customer.id, Customer.name, Customer.customer_number, Customer.customer_type,
                   Customer.identity_number).where(Customer.id.in_(batch))
        ).all()
        contacts: dict[int, list] = {}
        for row in session.execute(
            select(Contact.customer_id, Contact.name, Contact.email, Contact.phone)
            .where(Contact.customer_id.in_(batch)).order_by(Contact.customer_id, Contact.id)
        ):
            contacts.setdefault(row.customer_id, []).append((row.name, row.email, row.phone))
        connection = session.connection()
        connection.execute(delete(CustomerSearchText).where(CustomerSearchText.customer_id.in_(batch)))
        if customers:
            connection.execute(insert(CustomerSearchText), [
                {"customer_id": c.id,
                 "document": document_for(c.name, c.customer_number, c.customer_type, c.identity_number,
                                          contacts.get(c.id, ()))}
                for c in customers
            ])


def _changed(obj, fields) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in fields)


def _after_flush(session: Session, _context) -> None:
    marked = session.info.setdefault(_PENDING, set())
    for obj in session.new:
        if isinstance(obj, Customer):
            marked.add(obj.id)
        elif isinstance(obj, Contact):
            marked.add(obj.customer_id)
    for obj in session.dirty:
        if isinstance(obj, Customer) and _changed(obj, CUSTOMER_FIELDS):
            marked.add(obj.id)
        elif isinstance(obj, Contact) and _changed(obj, CONTACT_FIELDS):
            marked.add(obj.customer_id)
            old = inspect(obj).attrs.customer_id.history.deleted
            marked.update(i for i in old or () if i is not None)
    for obj in session.deleted:
        if isinstance(obj, Contact):
            marked.add(obj.customer_id)
        elif isinstance(obj, Customer):
            marked.discard(obj.id)  # its document goes with it (ON DELETE CASCADE)
    if not marked:
        session.info.pop(_PENDING, None)


def _write_pending(session: Session) -> None:
    session.flush()
    marked = session.info.pop(_PENDING, None)
    if marked:
        refresh_search_text(session, marked)


def _forget_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


def install_search_text_hook() -> None:
    if event.contains(Session, "after_flush", _after_flush):
        return
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "before_commit", _write_pending)
    event.listen(Session, "after_rollback", _forget_pending)
