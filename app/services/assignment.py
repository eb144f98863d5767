"""Assigning a responsible technician to customers (F20)."""

from flask_appbuilder.security.sqla.models import User
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select

from ..extensions import db
from ..models.customer import Customer
from ..models.portal import CustomerUser
from . import links, notifications
from .customers import CustomerInvalid, _chunks

NAMES_IN_MESSAGE = 5


def assignable_users_query():
    """Active staff users; portal logins (customer users) are never technicians."""
    return (
        select(User)
        .where(User.active.is_(True), ~exists().where(CustomerUser.user_id == User.id))
        .order_by(User.first_name, User.last_name)
    )


def assignable_users(session=None) -> list[User]:
    session = session or db.session
    return list(session.execute(assignable_users_query()).scalars())


def _technician(technician_id, session) -> User | None:
    if technician_id in (None, "", "none"):
        return None
    try:
        technician_id = int(technician_id)
    except (TypeError, ValueError):
        technician_id = 0
    user = session.execute(assignable_users_query().where(User.id == technician_id)).scalar()
    if user is None:
        raise CustomerInvalid({"technician": _l("Choose an active user from the list.")})
    return user


def _names(customers: list[Customer]) -> str:
    names = ", ".join(c.name for c in customers[:NAMES_IN_MESSAGE])
    return names + (" …" if len(customers) > NAMES_IN_MESSAGE else "")


def assign_technician(customer_ids, technician_id, session=None) -> int:
    """Make `technician_id` (None: nobody) responsible for the customers; returns how many changed.

    Each technician who gains or loses customers gets ONE notification and ONE e-mail
    saying how many, with a link to their filtered list, however many customers moved.
    The customer is not notified. One transaction.
    """
    session = session or db.session
    technician = _technician(technician_id, session)
    new_id = technician.id if technician else None
    gained: list[Customer] = []
    lost: dict[int, list[Customer]] = {}
    try:
        for chunk in _chunks(sorted(set(customer_ids)), 1000):
            for customer in session.execute(select(Customer).where(Customer.id.in_(chunk))).scalars():
                if customer.assigned_to_id == new_id:
                    continue
                if customer.assigned_to_id is not None:
                    lost.setdefault(customer.assigned_to_id, []).append(customer)
                customer.assigned_to_id = new_id
                gained.append(customer)
            session.flush()
        if technician is not None and gained:
            notifications.notify(
                technician, notifications.ASSIGNED, {"count": len(gained), "names": _names(gained)},
                link=links.customers_of(technician.id), session=session,
            )
        for user_id, customers in lost.items():
            previous = session.get(User, user_id)
            if previous is not None:
                notifications.notify(
                    previous, notifications.UNASSIGNED, {"count": len(customers), "names": _names(customers)},
                    link=links.customers_of(previous.id), session=session,
                )
        session.commit()
    except Exception:
        session.rollback()
        raise
    return len(gained)


def assign_new_order(customer: Customer, order_label: str, session=None) -> int | None:
    """For order code: a new order or fault report of `customer` goes to its technician.

    Returns the user id the order is to be assigned to (None without a technician) and
    queues the technician's notification in the caller's transaction.
    """
    session = session or db.session
    if customer.assigned_to_id is None:
        return None
    technician = session.get(User, customer.assigned_to_id)
    if technician is None or not technician.active:
        return None
    notifications.notify(
        technician, notifications.ORDER_ASSIGNED, {"order": order_label, "customer": customer.name},
        link=links.customer(customer.id), session=session,
    )
    return technician.id
