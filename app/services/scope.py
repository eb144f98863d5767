"""Who sees which customers, and who may change which: the one row rule (F14, F27).

- Staff with View see every customer; with only "View only assigned", the customers
  assigned to them; otherwise none. Changing needs Edit (every customer) or "Edit only
  assigned" (their own), and is always limited to what the user can also see: a role
  with Edit but no View sees and changes nothing.
- A customer user (portal login) sees only its own customer, and changes its details
  only with the "may change the details" right.
- A system actor (CLI without a user, scheduled jobs, accounting sync) sees everything.

`CustomerScope` is that rule as a FAB filter: every ModelView and ModelRestApi on customers
and their children has it in `base_filters`, and the commands use it through
`get_customer`/`scoped`. A row outside the scope is simply not found (404), never
"forbidden".
"""

from flask import g, has_app_context
from flask_appbuilder.models.filters import BaseFilter
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, false, select

from ..extensions import db
from ..models.customer import Customer
from ..models.order import Order
from ..models.portal import CustomerUser
from ..security.access import current_actor, holds, is_system
from ..security.rights import CUSTOMER, EDIT, EDIT_ASSIGNED, ORDER, PORTAL, PORTAL_USE, VIEW, VIEW_ASSIGNED


def portal_link(user) -> CustomerUser | None:
    """The customer-user record of `user` (read once per app context), or None for staff."""
    if user is None or is_system(user) or getattr(user, "is_anonymous", False) or user.id is None:
        return None
    cache = g.setdefault("_portal_links", {}) if has_app_context() else {}
    if user.id not in cache:
        cache[user.id] = db.session.execute(select(CustomerUser).where(CustomerUser.user_id == user.id)).scalar()
    return cache[user.id]


def _staff_condition(user, everything: str, assigned: str, view_menu: str = CUSTOMER, column=None):
    if holds(user, everything, view_menu=view_menu):
        return None
    if holds(user, assigned, view_menu=view_menu):
        return (Customer.assigned_to_id if column is None else column) == user.id
    return false()


def scope_condition(user, for_edit: bool = False):
    """A WHERE clause on Customer for the customers `user` may see (or change); None: all."""
    if is_system(user):
        return None
    if user is None or getattr(user, "is_anonymous", False) or not getattr(user, "is_active", True):
        return false()
    view = _staff_condition(user, VIEW, VIEW_ASSIGNED)
    if holds(user, PORTAL_USE, view_menu=PORTAL) and view is not None:
        link = portal_link(user)  # a customer user: its own customer only
        if link is None or (for_edit and not link.can_edit_details):
            return false()
        return Customer.id == link.customer_id
    if not for_edit:
        return view
    edit = _staff_condition(user, EDIT, EDIT_ASSIGNED)
    if view is None:
        return edit
    return view if edit is None else and_(view, edit)


def scoped(query, user, for_edit: bool = False):
    """`query` (over Customer) cut down to what `user` may see, or change with `for_edit`."""
    condition = scope_condition(user, for_edit)
    return query if condition is None else query.where(condition)


class CustomerScope(BaseFilter):
    """The row rule as a FAB filter, on Customer ("id") or on a child's customer relationship.

    FAB applies `base_filters` with value None: the current user's view scope. Commands pass
    `(user, for_edit)` explicitly.
    """

    name = _l("Visible customers")
    arg_name = None  # a base filter only; never offered in FAB's search form

    def apply(self, query, value):
        user, for_edit = value if value else (current_actor(), False)
        condition = scope_condition(user, for_edit)
        if condition is None:
            return query
        if self.column_name == "id":
            return query.where(condition)
        model = self.datamodel.obj
        name = self.column_name if self.column_name.endswith("_id") else f"{self.column_name}_id"
        customer_id = getattr(model, name)  # a relationship `customer` or a plain `customer_id` (history)
        return query.where(customer_id.in_(select(Customer.id).where(condition)))


def get_customer(customer_id, user, for_edit: bool = False, session=None) -> Customer | None:
    """The customer if `user` may see it (or change it, with `for_edit`), else None."""
    try:
        customer_id = int(customer_id)
    except (TypeError, ValueError):
        return None
    if not -2**63 <= customer_id < 2**63:
        return None
    session = session or db.session
    return session.execute(scoped(select(Customer).where(Customer.id == customer_id), user, for_edit)).scalar()


def selectable_customers(user):
    """Customers that may be chosen for new orders: visible and active (F16, F19)."""
    return scoped(select(Customer).where(Customer.active.is_(True)), user)


def customer_ids_in_scope(ids, user, for_edit: bool, session=None) -> list[int]:
    """Of `ids` (untrusted), those `user` may see (or change); at most 10,000."""
    session = session or db.session
    wanted = [int(i) for i in (ids or []) if str(i).isdigit() and len(str(i)) < 19][:10_000]
    return list(session.execute(scoped(select(Customer.id).where(Customer.id.in_(wanted)), user, for_edit)).scalars())


# -- orders ----------------------------------------------------------------------------


def order_scope_condition(user, for_edit: bool = False):
    """A WHERE clause on Order for the orders `user` may see (or change); None: all.

    The order rights (view menu "Order") decide: View sees every order, "View only assigned"
    the orders assigned to the user; changing needs Edit or "Edit only assigned" on top of
    seeing. Customer users (portal) see no orders here.
    """
    if is_system(user):
        return None
    if user is None or getattr(user, "is_anonymous", False) or not getattr(user, "is_active", True):
        return false()
    if portal_link(user) is not None:
        return false()
    view = _staff_condition(user, VIEW, VIEW_ASSIGNED, ORDER, Order.assigned_to_id)
    if not for_edit:
        return view
    edit = _staff_condition(user, EDIT, EDIT_ASSIGNED, ORDER, Order.assigned_to_id)
    if view is None:
        return edit
    return view if edit is None else and_(view, edit)


def orders_scoped(query, user, for_edit: bool = False):
    condition = order_scope_condition(user, for_edit)
    return query if condition is None else query.where(condition)


class OrderScope(BaseFilter):
    """The order row rule as a FAB filter (on Order's "id")."""

    name = _l("Visible orders")
    arg_name = None

    def apply(self, query, value):
        user, for_edit = value if value else (current_actor(), False)
        condition = order_scope_condition(user, for_edit)
        return query if condition is None else query.where(condition)


def get_order(order_id, user, for_edit: bool = False, session=None):
    """The order if `user` may see it (or change it), else None."""
    try:
        order_id = int(order_id)
    except (TypeError, ValueError):
        return None
    if not -2**31 <= order_id < 2**31:
        return None
    session = session or db.session
    return session.execute(orders_scoped(select(Order).where(Order.id == order_id), user, for_edit)).scalar()
