"""Make a technician responsible for customers (F20), from the card, the list, the import or the API."""

from sqlalchemy import select

from ..models.customer import Customer
from ..security.access import require
from ..security.rights import ASSIGN
from ..services import assignment as rules
from ..services.customers import chunks
from ..services.scope import scoped
from .transaction import transaction


def assign_technician(customer_ids, technician_id, *, by) -> int:
    """Make `technician_id` (None/"none": nobody) responsible for the customers `by` can see.

    Each technician who gains or loses customers is notified once (bell and e-mail). One
    transaction; returns how many customers changed.
    """
    require(by, ASSIGN)
    with transaction(by) as session:
        new = rules.technician(technician_id, session)
        new_id = new.id if new is not None else None
        gained: list[Customer] = []
        lost: dict[int, list[Customer]] = {}
        for chunk in chunks(sorted({int(i) for i in customer_ids}), 1000):
            query = scoped(select(Customer).where(Customer.id.in_(chunk)), by)
            for customer in session.execute(query).scalars():
                if customer.assigned_to_id == new_id:
                    continue
                if customer.assigned_to_id is not None:
                    lost.setdefault(customer.assigned_to_id, []).append(customer)
                customer.assigned_to_id = new_id
                gained.append(customer)
            session.flush()
        rules.notify_assignment(session, new, gained, lost)
    return len(gained)
