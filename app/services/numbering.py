"""Customer numbers [kundnummer] (F1, F25): rules and concurrency-safe generation."""

import re

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select, update

from ..models.customer import Customer, CustomerAlias
from ..models.settings import NumberSequence

CUSTOMER_SEQUENCE = "customer"
_ALLOWED = re.compile(r"^[0-9A-Za-z][0-9A-Za-z\-]*$")


def check_customer_number(number: str, settings) -> str:
    """The cleaned number, or ValueError stating the rule that was broken."""
    number = (number or "").strip()
    if not number:
        raise ValueError(_l("Enter a customer number."))
    if not _ALLOWED.match(number):
        raise ValueError(_l("A customer number may contain only letters, digits and hyphens."))
    low, high = settings.customer_number_min_length, settings.customer_number_max_length
    if not low <= len(number) <= high:
        raise ValueError(_l("A customer number has %(low)s to %(high)s characters.", low=low, high=high))
    return number


def number_taken(session, number: str, except_id: int | None = None) -> bool:
    """In use by a customer, or merged away (a search for a merged number finds the survivor)."""
    query = select(exists().where(Customer.customer_number == number))
    if except_id is not None:
        query = select(exists().where(Customer.customer_number == number, Customer.id != except_id))
    return session.execute(query).scalar() or session.execute(
        select(exists().where(CustomerAlias.number == number))).scalar()


def _first_value(session, settings) -> int:
    """Where a new sequence starts: after the highest numeric number already in use."""
    candidates = session.execute(
        select(Customer.customer_number)
        .order_by(func.length(Customer.customer_number).desc(), Customer.customer_number.desc())
        .limit(200)
    ).scalars()
    highest = next((int(n) for n in candidates if n.isdigit()), 0)
    return max(highest + 1, 10 ** (settings.customer_number_min_length - 1))


def _ensure_sequence(session, settings) -> None:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    session.execute(
        insert(NumberSequence)
        .values(name=CUSTOMER_SEQUENCE, next_value=_first_value(session, settings))
        .on_conflict_do_nothing(index_elements=["name"])
    )


def next_customer_number(session, settings) -> str:
    """Take the next free customer number inside the caller's transaction.

    The UPDATE … RETURNING locks the sequence row (PostgreSQL) or the database
    (SQLite) until the caller commits, so two simultaneous creations never get the
    same number. Numbers typed in by hand are skipped.
    """
    for _ in range(10_000):
        taken = session.execute(
            update(NumberSequence)
            .where(NumberSequence.name == CUSTOMER_SEQUENCE)
            .values(next_value=NumberSequence.next_value + 1)
            .returning(NumberSequence.next_value)
        ).scalar()
        if taken is None:
            _ensure_sequence(session, settings)
            continue
        candidate = str(taken - 1)
        if len(candidate) > settings.customer_number_max_length:
            raise ValueError(_l("No free customer number within the maximum length; raise it in the settings."))
        if len(candidate) < settings.customer_number_min_length:
            # The minimum length was raised: jump to the first number long enough.
            session.execute(
                update(NumberSequence)
                .where(NumberSequence.name == CUSTOMER_SEQUENCE)
                .values(next_value=10 ** (settings.customer_number_min_length - 1))
            )
            continue
        if not number_taken(session, candidate):
            return candidate
    raise ValueError(_l("No free customer number could be found."))


def next_customer_numbers(session, settings, count: int, at_least: int = 0, avoid=()) -> list[str]:
    """`count` free customer numbers at once (batched writers: import), in the caller's transaction.

    Same rules and the same locked sequence row as `next_customer_number`; a block is
    taken with one UPDATE and checked against the numbers in use with one query. The
    sequence is first moved up to `at_least` (an import continues after the highest
    number in its file), and numbers in `avoid` (not yet written) are skipped.
    """
    avoid = set(avoid)
    numbers: list[str] = []
    for _ in range(10_000):
        wanted = count - len(numbers)
        if wanted <= 0:
            return numbers
        after = session.execute(
            update(NumberSequence)
            .where(NumberSequence.name == CUSTOMER_SEQUENCE)
            .values(next_value=NumberSequence.next_value + wanted)
            .returning(NumberSequence.next_value)
        ).scalar()
        if after is None:
            _ensure_sequence(session, settings)
            continue
        if after - wanted < at_least:
            session.execute(
                update(NumberSequence)
                .where(NumberSequence.name == CUSTOMER_SEQUENCE, NumberSequence.next_value < at_least)
                .values(next_value=at_least)
            )
            continue
        block = [str(value) for value in range(after - wanted, after)]
        if len(block[-1]) > settings.customer_number_max_length:
            raise ValueError(_l("No free customer number within the maximum length; raise it in the settings."))
        if len(block[0]) < settings.customer_number_min_length:
            session.execute(
                update(NumberSequence)
                .where(NumberSequence.name == CUSTOMER_SEQUENCE)
                .values(next_value=10 ** (settings.customer_number_min_length - 1))
            )
            continue
        taken = set(session.execute(select(Customer.customer_number).where(Customer.customer_number.in_(block))).scalars())
        numbers += [n for n in block if n not in taken and n not in avoid]
    raise ValueError(_l("No free customer number could be found."))


# -- order numbers (issue 12): one series per kind ------------------------------------------


def order_sequence(kind: str) -> str:
    return f"order_{kind}"


def next_order_number(session, kind: str) -> str:
    """The next number of `kind`'s series, taken inside the caller's transaction.

    Same locking as customer numbers: the UPDATE … RETURNING holds the sequence row
    (PostgreSQL) or the database (SQLite) until the commit, so simultaneous creations never
    share a number; the unique (kind, number) constraint backs it up.
    """
    from ..models.order import Order

    name = order_sequence(kind)
    for _ in range(3):
        taken = session.execute(
            update(NumberSequence).where(NumberSequence.name == name)
            .values(next_value=NumberSequence.next_value + 1).returning(NumberSequence.next_value)
        ).scalar()
        if taken is not None:
            return str(taken - 1)
        numbers = session.execute(
            select(Order.number).where(Order.kind == kind)
            .order_by(func.length(Order.number).desc(), Order.number.desc()).limit(50)
        ).scalars()
        highest = next((int(n) for n in numbers if n.isdigit()), 0)
        dialect = session.get_bind().dialect.name
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        session.execute(insert(NumberSequence).values(name=name, next_value=highest + 1)
                        .on_conflict_do_nothing(index_elements=["name"]))
    raise ValueError(_l("No free order number could be found."))
