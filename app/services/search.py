"""Finding customers (F21): one search box, filters, sorting and paging.

Arguments come from the URL and are untrusted: anything unknown falls back to the
default instead of failing, so a hostile list URL gives a normal page.
"""

from dataclasses import dataclass, field

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import exists, false, func, or_, select
from sqlalchemy.orm import selectinload

from ..database import contains_ci
from ..models.custom_fields import CustomFieldValue
from ..models.customer import CUSTOMER_TYPES, Contact, Customer
from . import custom_fields as cf
from .scope import scoped

PAGE_SIZES = (25, 50, 100)
STATUSES = ("active", "inactive", "all")
SORT_COLUMNS = {
    "customer_number": Customer.customer_number,
    "name": Customer.name,
    "customer_type": Customer.customer_type,
    "created_at": Customer.created_at,
}


@dataclass
class CustomerSearch:
    q: str = ""
    status: str = "active"
    customer_type: str = ""
    assigned: str = ""  # "" any, "none", or a user id
    custom: dict = field(default_factory=dict)  # field id -> value
    sort: str = "name"
    direction: str = "asc"
    page: int = 1
    page_size: int = PAGE_SIZES[0]

    def args(self, **changes) -> dict:
        """URL arguments reproducing this search, with `changes` applied."""
        values = {
            "q": self.q,
            "status": self.status,
            "type": self.customer_type,
            "assigned": self.assigned,
            "sort": self.sort,
            "dir": self.direction,
            "page": self.page,
            "size": self.page_size,
        }
        values.update({f"cf_{k}": v for k, v in self.custom.items()})
        values.update(changes)
        defaults = CustomerSearch()
        skip = {"status": defaults.status, "sort": defaults.sort, "dir": defaults.direction,
                "page": 1, "size": defaults.page_size}
        return {k: v for k, v in values.items() if v not in ("", None) and skip.get(k) != v}


def _int(value, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def parse_search(args, fields) -> CustomerSearch:
    search = CustomerSearch()
    search.q = (args.get("q") or "").strip()[:200]
    if args.get("status") in STATUSES:
        search.status = args["status"]
    if args.get("type") in CUSTOMER_TYPES:
        search.customer_type = args["type"]
    assigned = (args.get("assigned") or "").strip()
    if assigned == "none" or assigned.isdigit():
        search.assigned = assigned
    for definition in fields:
        value = (args.get(f"cf_{definition.id}") or "").strip()[:200]
        if value:
            search.custom[definition.id] = value
    if args.get("sort") in SORT_COLUMNS:
        search.sort = args["sort"]
    if args.get("dir") in ("asc", "desc"):
        search.direction = args["dir"]
    search.page = max(1, min(_int(args.get("page"), 1), 1_000_000))
    size = _int(args.get("size"), PAGE_SIZES[0])
    search.page_size = size if size in PAGE_SIZES else PAGE_SIZES[0]
    return search


def _custom_condition(definition, value: str, dialect: str):
    condition = CustomFieldValue.field_id == definition.id
    if definition.field_type == "text":
        match = contains_ci(CustomFieldValue.value, value, dialect)
    else:
        try:
            match = CustomFieldValue.value == cf.parse_value(definition, value)
        except ValueError:
            return None
    return exists().where(CustomFieldValue.customer_id == Customer.id, condition, match)


def filtered_query(search: CustomerSearch, user, fields, dialect: str):
    query = scoped(select(Customer), user)
    if search.status != "all":
        query = query.where(Customer.active.is_(search.status == "active"))
    if search.customer_type:
        query = query.where(Customer.customer_type == search.customer_type)
    if search.assigned == "none":
        query = query.where(Customer.assigned_to_id.is_(None))
    elif search.assigned:
        query = query.where(Customer.assigned_to_id == int(search.assigned))
    if search.q:
        contact_match = exists().where(
            Contact.customer_id == Customer.id,
            or_(contains_ci(Contact.name, search.q, dialect), contains_ci(Contact.email, search.q, dialect)),
        )
        query = query.where(
            or_(
                contains_ci(Customer.name, search.q, dialect),
                Customer.customer_number == search.q,
                contact_match,
            )
        )
    by_id = {f.id: f for f in fields}
    for field_id, value in search.custom.items():
        condition = _custom_condition(by_id[field_id], value, dialect)
        query = query.where(condition if condition is not None else false())
    return query


def search_customers(session, search: CustomerSearch, user, fields) -> tuple[list[Customer], int]:
    dialect = session.get_bind().dialect.name
    query = filtered_query(search, user, fields, dialect)
    total = session.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar()
    column = SORT_COLUMNS[search.sort]
    order = column.desc() if search.direction == "desc" else column.asc()
    page_query = (
        query.order_by(order, Customer.id)
        .offset((search.page - 1) * search.page_size)
        .limit(search.page_size)
        .options(selectinload(Customer.assigned_to), selectinload(Customer.addresses))
    )
    if any(f.show_in_list for f in fields):
        page_query = page_query.options(selectinload(Customer.custom_values))
    return list(session.execute(page_query).scalars()), total


def assignable_users(session):
    """Users a customer can be assigned to (active accounts)."""
    return list(session.execute(select(User).where(User.active.is_(True)).order_by(User.first_name, User.last_name)).scalars())
