"""Create, change, renumber, (in)activate and delete customers (F1, F2, F4–F13, F19)."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from ..errors import EditConflict, Invalid, NotFound, PossibleDuplicate
from ..extensions import db
from ..models.customer import Customer
from ..security.access import require
from ..security.rights import CHANGE_CUSTOMER_NUMBER, CREATE, DELETE, EDIT, EDIT_ASSIGNED
from ..services import customers as rules
from ..services import portal
from ..services.duplicates import duplicates_of_values
from ..services.history import note
from ..services.numbering import check_customer_number, next_customer_number, number_taken
from ..services.scope import get_customer, scoped
from .transaction import SCOPE_CHECKED, in_transaction, transaction


def customer_for(customer_id, by, for_edit: bool = False, session=None) -> Customer:
    """The customer `by` may see (or change, `for_edit`), else NotFound: the scope rule, as a lookup.

    Within one transaction a customer found in scope is remembered, so a batch (an import
    writing a customer and its contacts) asks the database once per customer.
    """
    session = session or db.session
    checked = session.info.setdefault(SCOPE_CHECKED, {}) if in_transaction(session) else {}
    key = (getattr(by, "id", None), getattr(by, "name", None), customer_id, for_edit)
    if key in checked:
        return checked[key]
    customer = get_customer(customer_id, by, for_edit=for_edit, session=session)
    if customer is None:
        raise NotFound()
    checked[key] = customer
    return customer


# What a save does about possible duplicates (issue 15): not look (programmatic writers that
# checked already, the demo), refuse with `PossibleDuplicate` (the form, the API), or save
# anyway because the user confirmed, which history records.
IGNORE, REFUSE, CONFIRMED = "ignore", "refuse", "confirmed"


def _check_duplicates(session, clean: dict, customer: Customer | None, duplicates: str) -> list:
    if duplicates == IGNORE:
        return []
    matches = duplicates_of_values(session, clean, customer)
    if matches and duplicates == REFUSE:
        raise PossibleDuplicate(matches, "identity_number" if any(m.reason == "identity" for m in matches)
                                else "name")
    return matches


def _record_confirmed(session, customer: Customer, matches: list) -> None:
    if matches:
        note(session, customer.id, "customer", "duplicate",
             new_value=", ".join(f"{m.customer_number} {m.name}" for m in matches))


def create_customer(values: dict, *, by, customer: Customer | None = None, prepared=None,
                    clean: dict | None = None, duplicates: str = IGNORE) -> Customer:
    """A new customer from submitted `values` (the registry's form fields, and a customer number).

    `customer`: a new, unsaved object to fill (FAB's ModelView hands one over). `prepared`
    and `clean`: a batched writer (the import) that loaded the settings once and validated
    the values with the same rule passes them along. `duplicates`: IGNORE, REFUSE or CONFIRMED.
    """
    require(by, CREATE)
    with transaction(by) as session:
        prepared = prepared or rules.Prepared(session)
        if clean is None:
            clean, errors = rules.clean_customer(values, session, prepared)
            if errors:
                raise Invalid(errors)
        matches = _check_duplicates(session, clean, None, duplicates)
        if "customer_number" not in clean:
            try:
                clean["customer_number"] = next_customer_number(session, prepared.settings)
            except ValueError as exc:
                raise Invalid({"customer_number": exc.args[0]}) from None
        customer = customer if customer is not None else Customer()
        customer.active = True
        session.add(customer)
        rules.apply_customer(customer, clean, prepared)
        session.flush()
        _record_confirmed(session, customer, matches)
    return customer


def update_customer(customer: Customer, values: dict, *, by, expected_version: int | None = None,
                    prepared=None, clean: dict | None = None, duplicates: str = IGNORE) -> Customer:
    """Change a customer's fields; the number is changed only by renumbering.

    `expected_version`: the version the edit began from; if the customer was saved since,
    EditConflict and nothing is written. Values of fields not in `values` are kept.
    """
    require(by, EDIT, EDIT_ASSIGNED)
    with transaction(by) as session:
        customer_for(customer.id, by, for_edit=True, session=session)
        if expected_version is not None and expected_version != customer.version:
            raise EditConflict()
        prepared = prepared or rules.Prepared(session)
        if clean is None:
            merged = {**rules.customer_values(customer, prepared), **values}
            clean, errors = rules.clean_customer(merged, session, prepared, customer)
            if errors:
                raise Invalid(errors)
        matches = _check_duplicates(session, clean, customer, duplicates)
        rules.apply_customer(customer, clean, prepared)
        try:
            session.flush()
        except StaleDataError:
            raise EditConflict() from None
        _record_confirmed(session, customer, matches)
    return customer


def change_customer_number(customer: Customer, new_number: str, *, by) -> Customer:
    """F1 [Ändra kundnummer]: the number rules and collisions apply; history records old and new."""
    require(by, CHANGE_CUSTOMER_NUMBER)
    with transaction(by) as session:
        customer_for(customer.id, by, for_edit=True, session=session)
        prepared = rules.Prepared(session)
        try:
            number = check_customer_number(new_number, prepared.settings)
        except ValueError as exc:
            raise Invalid({"customer_number": exc.args[0]}) from None
        if number == customer.customer_number:
            raise Invalid({"customer_number": _l("That is already the customer's number.")})
        if number_taken(session, number, except_id=customer.id):
            raise Invalid({"customer_number": _l("The customer number is already in use.")})
        customer.customer_number = number
        try:
            session.flush()
        except IntegrityError:  # taken by someone else at the same moment
            raise Invalid({"customer_number": _l("The customer number is already in use.")}) from None
    return customer


def set_active(customer_ids, active: bool, *, by) -> int:
    """Activate or inactivate customers (F19); their data and orders stay. Returns how many changed.

    Customers outside `by`'s edit scope are left alone.
    """
    require(by, EDIT, EDIT_ASSIGNED)
    changed = 0
    with transaction(by) as session:
        for chunk in rules.chunks(sorted({int(i) for i in customer_ids}), 1000):
            query = scoped(select(Customer).where(Customer.id.in_(chunk)), by, for_edit=True)
            for customer in session.execute(query).scalars():
                if customer.active != active:
                    customer.active = active
                    changed += 1
            session.flush()
    return changed


def delete_customer(customer: Customer, *, by) -> None:
    """Delete a customer and everything on it (its documents' files are removed after the commit).

    Its portal logins go with it (user and tie, in the same transaction): a login of a customer
    that no longer exists must not work, and its e-mail address may be invited again."""
    require(by, DELETE)
    with transaction(by) as session:
        customer_for(customer.id, by, session=session)
        for link in portal.customer_users(customer, session=session):
            portal.remove_login(link, session)
        session.flush()
        session.delete(customer)


def customers_by_ids(ids, by, for_edit: bool = False) -> list[Customer]:
    """Of `ids`, the customers `by` may see (or change)."""
    wanted = [int(i) for i in ids]
    return list(db.session.execute(scoped(select(Customer).where(Customer.id.in_(wanted)), by, for_edit)).scalars())
