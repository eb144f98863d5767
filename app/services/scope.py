"""Who sees which customers: the one row rule every path goes through (F27).

A user with View sees every customer; with only "View only assigned", the customers
assigned to them; otherwise none. Lookups by id go through `get_customer`, so a row
outside the user's scope is simply not found (404), never "forbidden".
"""

from flask import current_app
from sqlalchemy import false, select

from ..extensions import db
from ..models.customer import Customer
from ..security.rights import CUSTOMER, EDIT, EDIT_ASSIGNED, VIEW, VIEW_ASSIGNED


def _user_has(sm, user, permission: str) -> bool:
    """Whether any of `user`'s roles (groups included) holds `permission` on Customer; the
    security manager answers from its per-request cache of the roles' permissions."""
    if getattr(user, "is_anonymous", False):
        return False
    role_ids = [role.id for role in sm.get_user_roles(user)]
    return bool(role_ids) and sm.exist_permission_on_roles(CUSTOMER, permission, role_ids)


def scope_condition(user, read_permission=VIEW, assigned_permission=VIEW_ASSIGNED):
    """A WHERE clause for the customers `user` may see (or change, with EDIT rights)."""
    if user is None or getattr(user, "is_anonymous", False):
        return false()
    if _user_has(current_app.appbuilder.sm, user, read_permission):
        return None
    if _user_has(current_app.appbuilder.sm, user, assigned_permission):
        return Customer.assigned_to_id == user.id
    return false()


def scoped(query, user, for_edit: bool = False):
    condition = scope_condition(user, *((EDIT, EDIT_ASSIGNED) if for_edit else (VIEW, VIEW_ASSIGNED)))
    return query if condition is None else query.where(condition)


def get_customer(customer_id, user, for_edit: bool = False, session=None) -> Customer | None:
    """The customer if `user` may see it (or change it, with `for_edit`), else None."""
    try:
        customer_id = int(customer_id)
    except (TypeError, ValueError):
        return None
    session = session or db.session
    return session.execute(scoped(select(Customer).where(Customer.id == customer_id), user, for_edit)).scalar()


def selectable_customers(user, session=None):
    """Customers that may be chosen for new orders: visible and active (F16, F19)."""
    return scoped(select(Customer).where(Customer.active.is_(True)), user)


def bulk_selection(user, for_edit: bool, ids=None, search=None, fields=(), session=None) -> list[int]:
    """The ids a bulk action may touch: the chosen `ids`, or every customer matching `search`,
    always cut down to the user's scope (view scope, or edit scope with `for_edit`)."""
    from .search import filtered_query

    session = session or db.session
    if search is not None:
        query = filtered_query(search, user, fields, session.get_bind().dialect.name)
        if for_edit:
            query = scoped(query, user, for_edit=True)
        query = query.with_only_columns(Customer.id)
    else:
        wanted = [int(i) for i in (ids or []) if str(i).isdigit()][:10_000]
        query = scoped(select(Customer.id).where(Customer.id.in_(wanted)), user, for_edit=for_edit)
    return list(session.execute(query).scalars())
