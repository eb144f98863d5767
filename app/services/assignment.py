"""Who can be made responsible for customers, and what an assignment tells whom (F20)."""

from flask_appbuilder.security.sqla.models import User
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select

from ..errors import Invalid
from ..extensions import db
from ..models.customer import Customer
from ..models.portal import CustomerUser
from . import links, notifications

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


def technician(technician_id, session) -> User | None:
    """The user `technician_id` names ("", "none" or None: nobody); Invalid if not assignable."""
    if technician_id in (None, "", "none"):
        return None
    try:
        technician_id = int(technician_id)
    except (TypeError, ValueError):
        technician_id = 0
    if not 0 < technician_id < 2**31:
        technician_id = 0
    user = session.execute(assignable_users_query().where(User.id == technician_id)).scalar()
    if user is None:
        raise Invalid({"technician": _l("Choose an active user from the list.")})
    return user


def _names(customers: list[Customer]) -> str:
    names = ", ".join(c.name for c in customers[:NAMES_IN_MESSAGE])
    return names + (" …" if len(customers) > NAMES_IN_MESSAGE else "")


def notify_assignment(session, new_technician: User | None, gained: list[Customer],
                      lost: dict[int, list[Customer]]) -> None:
    """ONE notification (and e-mail) per technician who gained or lost customers, however many.

    The customer is not notified (F20).
    """
    if new_technician is not None and gained:
        notifications.notify(
            new_technician, notifications.ASSIGNED, {"count": len(gained), "names": _names(gained)},
            link=links.customers_of(new_technician.id), session=session,
        )
    for user_id, customers in lost.items():
        previous = session.get(User, user_id)
        if previous is not None:
            notifications.notify(
                previous, notifications.UNASSIGNED, {"count": len(customers), "names": _names(customers)},
                link=links.customers_of(previous.id), session=session,
            )


def assign_new_order(customer: Customer, order_label: str, session=None) -> int | None:
    """A new order or fault report of `customer` goes to its technician (F20).

    Returns the user id the order is to be assigned to (None without a technician) and
    queues the technician's notification in the caller's transaction.
    """
    session = session or db.session
    if customer.assigned_to_id is None:
        return None
    user = session.get(User, customer.assigned_to_id)
    if user is None or not user.active:
        return None
    notifications.notify(
        user, notifications.ORDER_ASSIGNED, {"order": order_label, "customer": customer.name},
        link=links.customer(customer.id), session=session,
    )
    return user.id
