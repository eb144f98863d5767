"""Finding customers (F21): one search box, filters, sorting and paging.

Arguments come from the URL and are untrusted: anything unknown falls back to the
default instead of failing, so a hostile list URL gives a normal page.
"""

from dataclasses import dataclass, field

from sqlalchemy import exists, false, func, or_, select, union, union_all
from sqlalchemy.orm import selectinload

from ..database import contains_ci
from ..models.custom_fields import CustomFieldValue
from ..models.customer import CUSTOMER_TYPES, Contact, Customer, CustomerAlias
from . import custom_fields as cf
from . import customer_fields as registry
from .duplicates import possible_duplicates_condition
from .scope import scoped
from .settings import get_settings

PAGE_SIZES = (25, 50, 100)
STATUSES = ("active", "inactive", "all")
SORT_COLUMNS = {
    "customer_number": Customer.customer_number,
    "name": Customer.name,
    "customer_type": Customer.customer_type,
    "identity_number": Customer.identity_number,
    "active": Customer.active,
    "created_at": Customer.created_at,
}
# Counting every match of a million rows costs more than the page itself: the list counts
# at most this many (or up to the current page) and shows "more than N" beyond it.
COUNT_CAP = 10_000


@dataclass
class CustomerSearch:
    q: str = ""
    status: str = "active"
    customer_type: str = ""
    assigned: str = ""  # "" any, "none", or a user id
    custom: dict = field(default_factory=dict)  # field id -> value
    fields: dict = field(default_factory=dict)  # registry key -> value (`f_<key>` filters)
    duplicates: bool = False  # only possible duplicates (issue 15)
    sort: str = "name"
    direction: str = "asc"
    page: int = 1
    page_size: int = PAGE_SIZES[0]
    # The user's default sort (F23): a URL without sort arguments means this one.
    default_sort: str = "name"
    default_direction: str = "asc"

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
            "dup": "1" if self.duplicates else "",
        }
        values.update({f"cf_{k}": v for k, v in self.custom.items()})
        values.update({f"f_{k}": v for k, v in self.fields.items()})
        values.update(changes)
        defaults = CustomerSearch()
        skip = {"status": defaults.status, "sort": self.default_sort, "dir": self.default_direction,
                "page": 1, "size": defaults.page_size}
        return {k: v for k, v in values.items() if v not in ("", None) and skip.get(k) != v}


def _int(value, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def parse_search(args, fields, default_sort: str | None = None, default_direction: str | None = None) -> CustomerSearch:
    search = CustomerSearch()
    if default_sort in SORT_COLUMNS:
        search.sort = search.default_sort = default_sort
    if default_direction in ("asc", "desc"):
        search.direction = search.default_direction = default_direction
    search.q = (args.get("q") or "").strip()[:200]
    if args.get("status") in STATUSES:
        search.status = args["status"]
    if args.get("type") in CUSTOMER_TYPES:
        search.customer_type = args["type"]
    search.duplicates = args.get("dup") == "1"
    assigned = (args.get("assigned") or "").strip()
    if assigned == "none" or assigned.isdigit():
        search.assigned = assigned
    for definition in fields:
        value = (args.get(f"cf_{definition.id}") or "").strip()[:200]
        if value:
            search.custom[definition.id] = value
    for entry in registry.filter_fields(get_settings()):
        value = (args.get(f"f_{entry.key}") or "").strip()[:200]
        if value:
            search.fields[entry.key] = value
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


def _field_condition(key: str, value: str, dialect: str):
    """A registry field's filter: equal for choices and yes/no, "contains" for text."""
    entry = next(e for e in registry.FIELDS if e.key == key)
    column = getattr(Customer, key)
    if entry.kind == "bool":
        return column.is_(value == "1")
    if entry.kind == "choice":
        return column == value
    return contains_ci(column, value, dialect)


def _text_matches(q: str, dialect: str, combine=union):
    """Ids of customers whose name, number, or a contact's name or e-mail matches `q`: one set,
    so that PostgreSQL answers each part from its own index (pg_trgm for the substrings, the
    unique index for the number) instead of scanning."""
    return combine(
        select(Customer.id).where(contains_ci(Customer.name, q, dialect)),
        select(Customer.id).where(Customer.customer_number == q),
        select(CustomerAlias.customer_id).where(CustomerAlias.number == q),  # a number merged away
        select(Contact.customer_id).where(or_(contains_ci(Contact.name, q, dialect), contains_ci(Contact.email, q, dialect))),
    )


# A search matching at most this many customers is looked up once and then used by id.
FEW_MATCHES = 2_000


def matching_ids(session, q: str, dialect: str) -> set | None:
    """The ids matching `q` when they are few (a search for one customer), else None.

    The list counts its matches and then reads its page; with the ids at hand both are cheap,
    instead of evaluating the text search twice.
    """
    rows = list(session.execute(_text_matches(q, dialect, union_all).limit(FEW_MATCHES + 1)).scalars())
    return set(rows) if len(rows) <= FEW_MATCHES else None


def filtered_query(search: CustomerSearch, user, fields, dialect: str, *, unscoped: bool = False,
                   match_ids: set | None = None):
    """The customers matching `search` that `user` may see (`unscoped`: all of them, for the CLI).

    `match_ids`: the result of `matching_ids` for `search.q`, when already known.
    """
    query = select(Customer) if unscoped else scoped(select(Customer), user)
    if search.status != "all":
        query = query.where(Customer.active.is_(search.status == "active"))
    if search.customer_type:
        query = query.where(Customer.customer_type == search.customer_type)
    if search.assigned == "none":
        query = query.where(Customer.assigned_to_id.is_(None))
    elif search.assigned:
        query = query.where(Customer.assigned_to_id == int(search.assigned))
    if search.q and match_ids is not None:
        query = query.where(Customer.id.in_(sorted(match_ids)) if match_ids else false())
    elif search.q:
        query = query.where(Customer.id.in_(_text_matches(search.q, dialect)))
    for key, value in search.fields.items():
        query = query.where(_field_condition(key, value, dialect))
    if search.duplicates:
        query = query.where(possible_duplicates_condition())
    by_id = {f.id: f for f in fields}
    for field_id, value in search.custom.items():
        condition = _custom_condition(by_id[field_id], value, dialect)
        query = query.where(condition if condition is not None else false())
    return query


def ordered(query, search: CustomerSearch):
    """`query` in the search's order; the id breaks ties so pages never overlap."""
    column = SORT_COLUMNS[search.sort]
    if search.direction == "desc":
        return query.order_by(column.desc(), Customer.id.desc())
    return query.order_by(column.asc(), Customer.id.asc())


@dataclass
class SearchPage:
    customers: list
    total: int  # exact when `exact`, else a lower bound ("more than total")
    exact: bool
    page_size: int = PAGE_SIZES[0]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def count_matches(session, query, cap: int) -> tuple[int, bool]:
    """How many rows `query` returns, counting at most `cap`: (count, exact)."""
    counted = session.execute(
        select(func.count()).select_from(query.order_by(None).limit(cap + 1).subquery())
    ).scalar()
    return (counted, True) if counted <= cap else (cap, False)


def search_page(session, search: CustomerSearch, user, fields, options=None) -> SearchPage:
    """One page of the list, with relationships loaded by `options` (one query each)."""
    dialect = session.get_bind().dialect.name
    match_ids = matching_ids(session, search.q, dialect) if search.q else None
    query = filtered_query(search, user, fields, dialect, match_ids=match_ids)
    cap = max(COUNT_CAP, search.page * search.page_size)
    total, exact = count_matches(session, query, cap)
    if options is None:
        options = [selectinload(Customer.assigned_to), selectinload(Customer.addresses)]
        if any(f.show_in_list for f in fields):
            options.append(selectinload(Customer.custom_values))
    # The page's ids first: a page far down the list is then found from an index alone
    # (name, id, active), without reading every skipped row; then the page's rows.
    page_ids = (
        ordered(query.with_only_columns(Customer.id), search)
        .offset((search.page - 1) * search.page_size)
        .limit(search.page_size)
    )
    page_query = ordered(select(Customer).where(Customer.id.in_(page_ids)), search).options(*options)
    return SearchPage(list(session.execute(page_query).scalars()), total, exact, search.page_size)


def search_customers(session, search: CustomerSearch, user, fields) -> tuple[list[Customer], int]:
    page = search_page(session, search, user, fields)
    return page.customers, page.total


def bulk_selection(user, for_edit: bool, search: CustomerSearch, fields=(), session=None) -> list[int]:
    """The ids of every customer matching `search` that a bulk action of `user` may touch
    (view scope, or edit scope with `for_edit`)."""
    from ..extensions import db

    session = session or db.session
    query = filtered_query(search, user, fields, session.get_bind().dialect.name)
    if for_edit:
        query = scoped(query, user, for_edit=True)
    return list(session.execute(query.with_only_columns(Customer.id)).scalars())
