"""Finding customers (F21): one search box, filters, sorting and paging.

Arguments come from the URL and are untrusted: anything unknown falls back to the
default instead of failing, so a hostile list URL gives a normal page.
"""

import dataclasses
import re
from dataclasses import dataclass, field

from sqlalchemy import and_, exists, false, func, literal, or_, select, union, union_all
from sqlalchemy.orm import selectinload

from ..database import contains_ci, fold, like_escape
from ..models.custom_fields import CustomFieldValue
from ..models.customer import CUSTOMER_TYPES, PRIVATE, Customer, CustomerAlias, CustomerSearchText
from . import custom_fields as cf
from . import customer_fields as registry
from . import search_text
from .duplicates import possible_duplicates_condition
from .identity import parse_identity
from .list_columns import sees_full_identity
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
    if assigned == "none" or (assigned.isdigit() and int(assigned) < 2**31):  # a larger id is no user
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


# Terms shorter than this match the start of a customer's name or number: trigrams need three.
MIN_SUBSTRING = 3
PHONE_LIKE = re.compile(r"^[\d\s\-+()/.]+$")


def _pattern(text: str):
    """A LIKE pattern rendered into the statement, not bound: PostgreSQL then plans each search
    for its own term (a prepared, generic plan once made an exact-number search take 2.6 s)."""
    return literal(text, literal_execute=True)


def _substrings(q: str) -> list[str]:
    """What a term is looked for as in the search documents: folded, and for a phone or
    organisation number typed with spaces or dashes also as digits (and in national form)."""
    forms = [fold(q)]
    if PHONE_LIKE.match(q) and len(search_text.digits(q)) >= MIN_SUBSTRING:
        forms += search_text.phone_forms(q)
    return list(dict.fromkeys(forms))


DIGIT_RUN = re.compile(r"\d{4,}")


def _document_contains(term: str):
    """The search document contains `term`. A term with a run of four or more digits among other
    characters ("strömberg fastigheter ab 500001", "amina.stromberg500001") is looked up in the
    trigram index by its longest digit run, which is rare, and only then checked in full: the
    index intersects every trigram of a pattern, and those of common words ("ab ", "son") are
    in most documents."""
    contains = CustomerSearchText.document.like(_pattern(f"%{like_escape(term)}%"), escape="\\")
    runs = DIGIT_RUN.findall(term)
    key = max(runs, key=len) if runs else None
    if key is None or key == term:
        return contains
    not_indexed = (CustomerSearchText.document + "").like(_pattern(f"%{like_escape(term)}%"), escape="\\")
    return and_(CustomerSearchText.document.like(_pattern(f"%{key}%")), not_indexed)


def _visible_personnummer(q: str, user) -> str | None:
    """`q` as a canonical personnummer, if it is one and `user` may see personnummer in full."""
    if user is not None and not sees_full_identity(user):
        return None
    try:
        return parse_identity(PRIVATE, q)
    except ValueError:
        return None


def identity_match(q: str, user):
    """A personnummer, typed in any accepted form, finds its customer for users who may see
    personnummer in full (F2, F27); for others it is not a search key at all."""
    canonical = _visible_personnummer(q, user)
    return select(Customer.id).where(Customer.identity_number == canonical) if canonical else None


def text_condition(q: str, user, dialect: str, walked):
    """Per-customer form of the text match, for walking a list in order: `walked` has the
    columns id, name, customer_number and identity_number."""
    if len(q) < MIN_SUBSTRING:
        prefix = like_escape(fold(q)) + "%"
        folded = func.kr_fold(walked.name) if dialect == "sqlite" else func.lower(walked.name)
        return or_(folded.like(_pattern(prefix), escape="\\"),
                   walked.customer_number.like(_pattern(like_escape(q) + "%"), escape="\\"))
    condition = exists().where(
        CustomerSearchText.customer_id == walked.id,
        or_(*[_document_contains(f) for f in _substrings(q)]),
    )
    canonical = _visible_personnummer(q, user)
    return or_(condition, walked.identity_number == canonical) if canonical else condition


def _text_matches(q: str, dialect: str, user=None, combine=union):
    """Ids of customers whose search document (name, number, organisation number, contacts'
    names, e-mails and phones: `search_text`) contains `q`, from its one trigram index; a
    personnummer for those who may see it; short terms: the start of the name or number."""
    if len(q) < MIN_SUBSTRING:
        prefix = like_escape(fold(q)) + "%"
        folded = func.kr_fold(Customer.name) if dialect == "sqlite" else func.lower(Customer.name)
        parts = [select(Customer.id).where(folded.like(_pattern(prefix), escape="\\")),
                 select(Customer.id).where(Customer.customer_number.like(_pattern(like_escape(q) + "%"),
                                                                         escape="\\"))]
    else:
        parts = [select(CustomerSearchText.customer_id).where(
            or_(*[_document_contains(f) for f in _substrings(q)]))]
        parts.append(select(CustomerAlias.customer_id).where(CustomerAlias.number == q))  # merged away
        identity = identity_match(q, user)
        if identity is not None:
            parts.append(identity)
    return combine(*parts) if len(parts) > 1 else parts[0]


def text_match_query(q: str, dialect: str, user):
    """The register's free-text search (the search document; a personnummer only for `user`s who
    see it in full) as a query of ids."""
    return _text_matches(q.strip()[:200], dialect, user)


# A search matching at most this many customers is looked up once and then used by id.
FEW_MATCHES = 2_000


def matching_ids(session, q: str, dialect: str, user=None) -> set | None:
    """The ids matching `q` when they are few (a search for one customer), else None.

    The list counts its matches and then reads its page; with the ids at hand both are cheap,
    instead of evaluating the text search twice.
    """
    rows = list(session.execute(_text_matches(q, dialect, user, union_all).limit(FEW_MATCHES + 1)).scalars())
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
        query = query.where(Customer.id.in_(_text_matches(search.q, dialect, None if unscoped else user)))
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
    """One page of the list, with relationships loaded by `options` (one query each).

    A search first walks the start of the list (WALK_PROBE rows): a broad term fills its page
    there without collecting its matches. Otherwise the matches are looked up from the index:
    at most FEW_MATCHES are used by id (exact count); more, and the walk goes on in a growing
    window."""
    dialect = session.get_bind().dialect.name
    if options is None:
        options = [selectinload(Customer.assigned_to), selectinload(Customer.addresses)]
        if any(f.show_in_list for f in fields):
            options.append(selectinload(Customer.custom_values))
    match_ids = None
    if search.q:
        walked = _walk(session, search, user, fields, dialect, WALK_PROBE, grow=False)
        if walked is None:
            match_ids = matching_ids(session, search.q, dialect, user)
            if match_ids is None:
                walked = _walk(session, search, user, fields, dialect, WALK_START, grow=True)
        if walked is not None:
            ids, total, exact = walked
            page_query = ordered(select(Customer).where(Customer.id.in_(ids)), search).options(*options)
            customers = list(session.execute(page_query).scalars()) if ids else []
            return SearchPage(customers, total, exact, search.page_size)
    query = filtered_query(search, user, fields, dialect, match_ids=match_ids)
    cap = max(COUNT_CAP, search.page * search.page_size)
    total, exact = count_matches(session, query, cap)
    # The page's ids first: a page far down the list is then found from an index alone
    # (name, id, active), without reading every skipped row; then the page's rows.
    page_ids = (
        ordered(query.with_only_columns(Customer.id), search)
        .offset((search.page - 1) * search.page_size)
        .limit(search.page_size)
    )
    page_query = ordered(select(Customer).where(Customer.id.in_(page_ids)), search).options(*options)
    return SearchPage(list(session.execute(page_query).scalars()), total, exact, search.page_size)


# A search walks this many rows of the list first; a broad one then this many, growing 4x.
WALK_PROBE = 1_000
WALK_START = 4_000


def _walk(session, search: CustomerSearch, user, fields, dialect: str, first: int,
          grow: bool) -> tuple[list[int], int, bool] | None:
    """Walk the filtered list in its order (an index range) and test each customer's search
    document, over a window of `first` rows (at least four pages), growing with `grow` until it
    holds the page or the list ends. Collecting and sorting every match of a broad term is what
    made it slow. Returns (page ids, matches found, exact: the whole list was walked), or None
    when the window did not fill the page and may not grow. The count is what the window found
    ("more than N"), exact only when the whole list was walked."""
    column = SORT_COLUMNS[search.sort]
    base = filtered_query(dataclasses.replace(search, q=""), user, fields, dialect)
    base = ordered(base.with_only_columns(Customer.id, column.label("sort_value"), Customer.name,
                                          Customer.customer_number, Customer.identity_number), search)
    needed = search.page * search.page_size
    size = max(first, 4 * needed)
    while True:
        window = base.limit(size).subquery()
        order = [window.c.sort_value, window.c.id]
        found = list(session.execute(
            select(window.c.id)
            .where(text_condition(search.q, user, dialect, window.c))
            .order_by(*[c.desc() if search.direction == "desc" else c.asc() for c in order])
        ).scalars())
        if len(found) >= needed:
            walked_all = session.execute(select(func.count()).select_from(window)).scalar() < size
            break
        if not grow:
            return None
        walked_all = session.execute(select(func.count()).select_from(window)).scalar() < size
        if walked_all:
            break
        size *= 4
    start = (search.page - 1) * search.page_size
    return found[start:start + search.page_size], len(found), walked_all


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
