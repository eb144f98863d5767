"""The customer's orders and facilities (issue 12): the only writers of orders.

Each command takes the acting user (`by=`), checks the order right (view menu "Order") and
the order's scope (`order_scope_condition`), looks the customer up through `CustomerScope`,
validates with `app/services/orders.py` and runs in one `transaction()`. Facilities belong
to the customer and follow the customer's edit rights and scope.
"""

import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.exc import StaleDataError

from ..errors import EditConflict, Invalid, NotFound
from ..models.customer import Customer
from ..models.order import ORDER_STATUSES, Facility, Order, OrderRow
from ..security.access import holds, is_system, require
from ..security.rights import CREATE, DELETE, EDIT, EDIT_ASSIGNED, ORDER, VIEW, VIEW_ASSIGNED
from ..services import assignment, notifications
from ..services import orders as rules
from ..services.links import order as order_link
from ..services.numbering import next_order_number
from ..services.scope import get_order
from ..services.settings import get_settings
from .customers import customer_for
from .transaction import transaction


def order_for(order_id, by, *, for_edit: bool = False, session=None) -> Order:
    """The order `by` may see (or change), else NotFound."""
    order = get_order(order_id, by, for_edit=for_edit, session=session)
    if order is None:
        raise NotFound()
    return order


def _customer_of(values: dict, by, session) -> Customer:
    """The chosen customer, if `by` may see it; a customer outside the scope is "not in the list"."""
    try:
        return customer_for(values.get("customer_id"), by, session=session)
    except NotFound:
        raise Invalid({"customer_id": _l("Choose a customer from the list.")}) from None


def _notify_assignee(order: Order, user_id: int | None, by, session) -> None:
    """The newly assigned user hears of it once (bell and e-mail); not when assigning oneself."""
    if user_id is None or (not is_system(by) and user_id == by.id):
        return
    user = assignment.technician(user_id, session)
    notifications.notify(user, notifications.ORDER_ASSIGNED,
                         {"order": rules.order_label(order), "customer": order.customer.name},
                         link=order_link(order.id), session=session)


def create_order(values: dict, *, by, order: Order | None = None, load_articles: bool = False,
                 today: datetime.date | None = None) -> Order:
    """A new order, fault report or quote for an active customer `by` may see (F16, F19).

    Customer order number, cost centre and contact are inherited from the customer (or its
    facility) when left empty (F13, F25); `always_invoice` is copied from the customer. A
    customer with a technician gets the order assigned to that technician, who is notified
    once (F20). `load_articles`: add the customer's service/work-order articles as rows (F9).
    """
    require(by, CREATE, view_menu=ORDER)
    with transaction(by) as session:
        customer = _customer_of(values, by, session)
        settings = get_settings(session)
        values = rules.with_inherited(values, customer, session)
        clean, errors = rules.clean_order(values, customer, settings, session, is_new=True)
        explicit = values.get("assigned_to_id")
        assignee = None
        if explicit not in (None, ""):
            try:
                user = assignment.technician(explicit, session)
            except Invalid:
                errors["assigned_to_id"] = _l("Choose an active user from the list.")
            else:
                assignee = user.id if user is not None else None
        if errors:
            raise Invalid(errors)
        order = order if order is not None else Order()
        for key, value in clean.items():
            setattr(order, key, value)
        order.customer_id = customer.id
        order.customer = customer
        order.always_invoice = customer.always_invoice
        try:
            order.number = next_order_number(session, clean["kind"])
        except ValueError as exc:
            raise Invalid({"kind": exc.args[0]}) from None
        session.add(order)
        if explicit in (None, "") and clean["kind"] in rules.AUTO_ASSIGNED_KINDS:
            order.assigned_to_id = assignment.assign_new_order(customer, rules.order_label(order), session)  # F20
        else:
            order.assigned_to_id = assignee
        if order.assigned_to_id is None and not is_system(by) and not holds(by, VIEW, view_menu=ORDER) \
                and holds(by, VIEW_ASSIGNED, view_menu=ORDER):
            order.assigned_to_id = by.id  # otherwise the creator could never see it again
        session.flush()
        if assignee is not None:
            _notify_assignee(order, assignee, by, session)
        if load_articles:
            _load_articles(order, customer, settings, session)
        session.flush()
    return order


def update_order(order: Order, values: dict, *, by, expected_version: int | None = None) -> Order:
    """Change an order's fields (kind, number and customer stay). Values not given are kept."""
    require(by, EDIT, EDIT_ASSIGNED, view_menu=ORDER)
    with transaction(by) as session:
        order_for(order.id, by, for_edit=True, session=session)
        if expected_version is not None and expected_version != order.version:
            raise EditConflict()
        settings = get_settings(session)
        merged = {key: getattr(order, key) for key in rules.ORDER_FIELDS}
        merged.update({k: v for k, v in values.items() if k in rules.ORDER_FIELDS})
        clean, errors = rules.clean_order(merged, order.customer, settings, session, is_new=False)
        new_assignee = order.assigned_to_id
        if "assigned_to_id" in values:
            try:
                user = assignment.technician(values.get("assigned_to_id"), session)
            except Invalid:
                errors["assigned_to_id"] = _l("Choose an active user from the list.")
            else:
                new_assignee = user.id if user is not None else None
        if errors:
            raise Invalid(errors)
        for key, value in clean.items():
            setattr(order, key, value)
        if new_assignee != order.assigned_to_id:
            order.assigned_to_id = new_assignee
            _notify_assignee(order, new_assignee, by, session)
        try:
            session.flush()
        except StaleDataError:
            raise EditConflict() from None
    return order


def set_status(order: Order, status: str, *, by) -> Order:
    """Move an order to New, Started, Ready for invoicing, Invoiced or Cancelled (history records it)."""
    if status not in ORDER_STATUSES:
        raise Invalid({"status": _l("Choose a status from the list.")})
    return update_order(order, {"status": status}, by=by)


def delete_order(order: Order, *, by) -> None:
    require(by, DELETE, view_menu=ORDER)
    with transaction(by) as session:
        order_for(order.id, by, session=session)
        session.delete(order)


# -- rows ------------------------------------------------------------------------------------


def _apply_row(order: Order, row: OrderRow, clean: dict, today: datetime.date) -> None:
    old_quantity = row.quantity
    for key, value in clean.items():
        setattr(row, key, value)
    moved = rules.moved_work_date(row, old_quantity, row.quantity, today)  # F15
    if moved is not None:
        order.work_date = moved


def add_row(order: Order, values: dict, *, by, today: datetime.date | None = None) -> OrderRow:
    """A row from an article (its name, unit, price, VAT; the customer's discount, F5) or typed."""
    require(by, EDIT, EDIT_ASSIGNED, view_menu=ORDER)
    with transaction(by) as session:
        order_for(order.id, by, for_edit=True, session=session)
        clean, errors = rules.clean_row(values, order.customer, session)
        if errors:
            raise Invalid(errors)
        row = OrderRow(position=len(order.rows) + 1, quantity=None)
        order.rows.append(row)
        _apply_row(order, row, clean, today or datetime.date.today())
        session.flush()
    return row


def update_row(row: OrderRow, values: dict, *, by, today: datetime.date | None = None) -> OrderRow:
    """Change a row; entering or changing the hours of a time row moves the work date (F15)."""
    require(by, EDIT, EDIT_ASSIGNED, view_menu=ORDER)
    with transaction(by) as session:
        order = order_for(row.order_id, by, for_edit=True, session=session)
        clean, errors = rules.clean_row(values, order.customer, session, row=row)
        if errors:
            raise Invalid(errors)
        _apply_row(order, row, clean, today or datetime.date.today())
        session.flush()
    return row


def delete_row(row: OrderRow, *, by) -> None:
    require(by, EDIT, EDIT_ASSIGNED, view_menu=ORDER)
    with transaction(by) as session:
        order = order_for(row.order_id, by, for_edit=True, session=session)
        order.rows.remove(row)
        session.flush()


def _load_articles(order: Order, customer: Customer, settings, session) -> int:
    added = 0
    for customer_article in rules.articles_to_load(customer, order.kind, settings):
        article = customer_article.article
        quantity = "0" if article.is_time_article else customer_article.quantity  # F15: 0 hours
        clean, errors = rules.clean_row({"article_id": article.id, "quantity": quantity}, customer, session)
        if errors:
            raise Invalid(errors)
        row = OrderRow(position=len(order.rows) + 1)
        for key, value in clean.items():
            setattr(row, key, value)
        order.rows.append(row)
        added += 1
    session.flush()
    return added


def load_customer_articles(order: Order, *, by) -> int:
    """F9: add the customer's service (service order) or work-order (work order) articles as rows."""
    require(by, EDIT, EDIT_ASSIGNED, view_menu=ORDER)
    with transaction(by) as session:
        order_for(order.id, by, for_edit=True, session=session)
        return _load_articles(order, order.customer, get_settings(session), session)


# -- facilities (F13) ------------------------------------------------------------------------


def save_facility(customer: Customer, values: dict, *, by, facility: Facility | None = None) -> Facility:
    """Add (`facility` None or new) or change a facility; refused when the customer has
    facilities disabled (F13)."""
    require(by, EDIT, EDIT_ASSIGNED)
    with transaction(by) as session:
        customer_for(customer.id, by, for_edit=True, session=session)
        is_new = facility is None or facility.id is None
        if not is_new and facility.customer_id != customer.id:
            raise NotFound()
        if is_new and customer.facilities_disabled:
            raise Invalid({"name": _l("Facilities are disabled for %(name)s.", name=customer.name)})
        clean, errors = rules.clean_facility(values, customer, session)
        if errors:
            raise Invalid(errors)
        facility = facility if facility is not None else Facility()
        facility.customer_id = customer.id
        for key, value in clean.items():
            setattr(facility, key, value)
        session.add(facility)
        session.flush()
    return facility


def delete_facility(facility: Facility, *, by) -> None:
    """Remove a facility; its orders keep their data and lose the link."""
    require(by, EDIT, EDIT_ASSIGNED)
    with transaction(by) as session:
        customer_for(facility.customer_id, by, for_edit=True, session=session)
        session.delete(facility)
