"""Contacts, addresses and customer articles: the children of a customer (F9, F10, F11).

Whoever may change the customer may change its children (the scope rule's edit scope:
staff with Edit rights, a customer user with "may change the details").
"""

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.exc import StaleDataError

from ..errors import ROW_CONFLICT, EditConflict, Invalid, NotFound
from ..models.article import CustomerArticle
from ..models.customer import INVOICE, Address, Contact, Customer
from ..services import customers as rules
from .customers import customer_for
from .transaction import transaction


def _check_version(row, expected_version) -> None:
    if row is not None and row.id is not None and expected_version is not None \
            and expected_version != row.version:
        raise EditConflict(ROW_CONFLICT)


def save_contact(customer: Customer, values: dict, *, by, contact: Contact | None = None,
                 expected_version: int | None = None) -> Contact:
    """Add (`contact` None or new) or change a contact. A new main contact unmarks the others (F11).
    `expected_version`: the version the edit began from (EditConflict if saved since)."""
    with transaction(by) as session:
        customer_for(customer.id, by, for_edit=True, session=session)
        if contact is not None and contact.id is not None and contact.customer_id != customer.id:
            raise NotFound()
        _check_version(contact, expected_version)
        clean, errors = rules.clean_contact(values)
        if errors:
            raise Invalid(errors)
        if clean["is_main_contact"]:
            others = [c for c in customer.contacts if c is not contact and c.is_main_contact]
            for other in others:
                other.is_main_contact = False
            session.flush()  # before the new main contact, or the unique index would refuse it
        if contact is None:
            contact = Contact()
        if contact not in customer.contacts:
            customer.contacts.append(contact)
        for key, value in clean.items():
            setattr(contact, key, value)
        try:
            session.flush()
        except StaleDataError:
            raise EditConflict(ROW_CONFLICT) from None
    return contact


def delete_contact(contact: Contact, *, by) -> None:
    with transaction(by) as session:
        customer_for(contact.customer_id, by, for_edit=True, session=session)
        session.delete(contact)


def save_address(customer: Customer, kind: str, values: dict, *, by,
                 expected_version: int | None = None) -> Address:
    """Add or change the invoice, visiting or postal address (F10). `expected_version`: the
    version of the existing address the edit began from (EditConflict if saved since)."""
    with transaction(by) as session:
        customer_for(customer.id, by, for_edit=True, session=session)
        rules.check_address_kind(kind)
        _check_version(customer.address(kind), expected_version)
        clean, errors = rules.clean_address(values)
        if errors:
            raise Invalid(errors)
        address = rules.set_address(customer, kind, clean)
        try:
            session.flush()
        except StaleDataError:
            raise EditConflict(ROW_CONFLICT) from None
    return address


def delete_address(customer: Customer, kind: str, *, by) -> None:
    """Remove the visiting or postal address; the invoice address is changed, not removed."""
    with transaction(by) as session:
        customer_for(customer.id, by, for_edit=True, session=session)
        rules.check_address_kind(kind)
        if kind == INVOICE:
            raise Invalid({"kind": _l("The invoice address can be changed but not removed.")})
        rules.set_address(customer, kind, None)


def add_customer_article(customer: Customer, values: dict, *, by) -> CustomerArticle:
    """F9: an article offered for automatic addition to the customer's new orders."""
    with transaction(by) as session:
        customer_for(customer.id, by, for_edit=True, session=session)
        clean, errors = rules.clean_customer_article(values, session)
        if errors:
            raise Invalid(errors)
        row = CustomerArticle(article=clean["article"], kind=clean["kind"], quantity=clean["quantity"])
        customer.articles.append(row)
        session.flush()
    return row


def remove_customer_article(row: CustomerArticle, *, by) -> None:
    with transaction(by) as session:
        customer_for(row.customer_id, by, for_edit=True, session=session)
        session.delete(row)
