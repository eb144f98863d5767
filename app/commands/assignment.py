"""Make a technician responsible for customers (F20), from the card, the list, the import or the API."""

from sqlalchemy import select, update

from ..models.customer import Customer
from ..security.access import require
from ..security.rights import ASSIGN
from ..services import assignment as rules
from ..services import history
from ..services.customers import chunks
from ..services.scope import scoped
from .transaction import transaction


def assign_technician(customer_ids, technician_id, *, by) -> int:
    """Make `technician_id` (None/"none": nobody) responsible for the customers `by` can see.

    Each technician who gains or loses customers is notified once (bell and e-mail). One
    transaction; returns how many customers changed.

    Set-based: one UPDATE per 1 000 customers, with the history rows the session hook would
    have written for each (`history.record_customer_updates`), so 10 000 customers take one
    transaction of a few statements instead of 10 000 ORM updates.
    """
    require(by, ASSIGN)
    with transaction(by) as session:
        new = rules.technician(technician_id, session)
        new_id = new.id if new is not None else None
        gained: list = []
        lost: dict[int, list] = {}
        session.flush()  # pending ORM changes first: the statements below read and write the rows
        for chunk in chunks(sorted({int(i) for i in customer_ids}), 1000):
            rows = session.execute(scoped(
                select(Customer.id, Customer.name, Customer.assigned_to_id)
                .where(Customer.id.in_(chunk), Customer.assigned_to_id.is_distinct_from(new_id)), by)).all()
            if not rows:
                continue
            ids = [row.id for row in rows]
            session.execute(update(Customer).where(Customer.id.in_(ids))
                            .values(assigned_to_id=new_id, version=Customer.version + 1)
                            .execution_options(synchronize_session=False))
            history.record_customer_updates(session, [(row.id, "assigned_to_id", row.assigned_to_id, new_id)
                                                      for row in rows])
            for row in rows:
                if row.assigned_to_id is not None:
                    lost.setdefault(row.assigned_to_id, []).append(row)
            gained += rows
            _expire_loaded(session, ids)
        rules.notify_assignment(session, new, gained, lost)
    return len(gained)


def _expire_loaded(session, ids) -> None:
    """Customers already loaded in this session show the new technician and version next time."""
    wanted = set(ids)
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Customer) and obj.id in wanted:
            session.expire(obj)
