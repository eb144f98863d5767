"""The rules of the customer's orders (issue 12), with no HTTP and no commits.

- money: `Decimal` throughout, rounded to öre half up as Swedish invoices are;
- F4: whether the order shows prices with VAT (`vat.shows_prices_including_vat`), and the
  totals: net per row, VAT per rate on the rows' sum, then the total with VAT;
- F5: the customer's discount letters give a row its discount by the article's group;
- F13/F16/F19/F25: what an order must have before it is saved;
- F15: entering hours on a time row moves the order's work date to that day.
"""

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..database import contains_ci
from ..models.article import SERVICE_ARTICLE, WORK_ORDER_ARTICLE, Article
from ..models.customer import Contact, Customer
from ..models.order import (
    CANCELLED,
    FAULT_REPORT,
    INVOICED,
    NEW,
    ORDER_KINDS,
    ORDER_STATUSES,
    QUOTE,
    READY_FOR_INVOICING,
    SERVICE_ORDER,
    STARTED,
    WORK_ORDER,
    Facility,
    Order,
)
from .search import matching_ids
from .vat import shows_prices_including_vat

CENT = Decimal("0.01")
HUNDRED = Decimal("100")

KIND_LABELS = {
    SERVICE_ORDER: _l("Service order"),
    WORK_ORDER: _l("Work order"),
    FAULT_REPORT: _l("Fault report"),
    QUOTE: _l("Quote"),
}
KIND_PLURALS = {
    SERVICE_ORDER: _l("Service orders"),
    WORK_ORDER: _l("Work orders"),
    FAULT_REPORT: _l("Fault reports"),
    QUOTE: _l("Quotes"),
}
STATUS_LABELS = {
    NEW: _l("New"),
    STARTED: _l("In progress"),  # "Started" is already "Startad" (background jobs)
    READY_FOR_INVOICING: _l("Ready for invoicing"),
    INVOICED: _l("Invoiced"),
    CANCELLED: _l("Cancelled"),
}
EDIT_CONFLICT = _l("Someone else saved this order after you opened it. Nothing was saved: "
                  "reload the order to see their changes, then make yours again.")
# F9/F26: which customer articles a new order of a kind offers, and the setting that shows them
ARTICLE_LISTS = {SERVICE_ORDER: (SERVICE_ARTICLE, "show_service_articles"),
                 WORK_ORDER: (WORK_ORDER_ARTICLE, "show_work_order_articles")}
# F20: the kinds a customer's technician gets automatically ("every new order and fault report")
AUTO_ASSIGNED_KINDS = (SERVICE_ORDER, WORK_ORDER, FAULT_REPORT)


def money(value) -> Decimal:
    """Rounded to öre, half up (never float)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def order_label(order) -> str:
    return f"{KIND_LABELS[order.kind]} {order.number}"


# -- F5: discount letters -----------------------------------------------------------------


def letter_discount(customer, article_group: str | None) -> Decimal:
    """The discount the customer's letters give an article of `article_group`.

    A letter's row for that group wins over its row for all articles (empty group); among
    several letters the largest discount applies.
    """
    group = (article_group or "").strip().casefold()
    specific, general = [], []
    for letter in customer.discount_letters:
        for row in letter.rows:
            row_group = (row.article_group or "").strip().casefold()
            if not row_group:
                general.append(Decimal(row.percent))
            elif group and row_group == group:
                specific.append(Decimal(row.percent))
    return max(specific or general or [Decimal("0")])


# -- F4: amounts --------------------------------------------------------------------------


def row_net(row) -> Decimal:
    """Quantity × unit price less the discount, without VAT, rounded to öre."""
    quantity, price = Decimal(row.quantity or 0), Decimal(row.unit_price or 0)
    discount = Decimal(row.discount_percent or 0)
    return money(quantity * price * (HUNDRED - discount) / HUNDRED)


def row_vat(row) -> Decimal:
    return money(row_net(row) * Decimal(row.vat_rate or 0) / HUNDRED)


@dataclass
class RowAmounts:
    unit_price: Decimal  # as shown: after discount, with VAT when the order shows VAT
    amount: Decimal  # as shown
    net: Decimal


@dataclass
class Totals:
    includes_vat: bool
    net: Decimal
    vat_by_rate: dict = field(default_factory=dict)  # rate -> VAT amount
    rows: list = field(default_factory=list)  # RowAmounts per row, in order

    @property
    def vat(self) -> Decimal:
        return sum(self.vat_by_rate.values(), Decimal("0.00"))

    @property
    def gross(self) -> Decimal:
        return self.net + self.vat

    @property
    def shown(self) -> Decimal:
        """The total the order shows: with VAT or without (F4)."""
        return self.gross if self.includes_vat else self.net


def row_amounts(row, includes_vat: bool) -> RowAmounts:
    rate = Decimal(row.vat_rate or 0)
    unit = Decimal(row.unit_price or 0) * (HUNDRED - Decimal(row.discount_percent or 0)) / HUNDRED
    net = row_net(row)
    if includes_vat and rate:  # only articles that carry VAT get it added
        return RowAmounts(money(unit * (HUNDRED + rate) / HUNDRED), net + row_vat(row), net)
    return RowAmounts(money(unit), net, net)


def totals(rows, includes_vat: bool) -> Totals:
    """Net total, VAT per rate (on the sum of the rate's rows, rounded once) and the rows as shown."""
    result = Totals(includes_vat=includes_vat, net=Decimal("0.00"))
    net_by_rate: dict[Decimal, Decimal] = {}
    for row in rows:
        amounts = row_amounts(row, includes_vat)
        result.rows.append(amounts)
        result.net += amounts.net
        rate = Decimal(row.vat_rate or 0).normalize()
        if rate:
            net_by_rate[rate] = net_by_rate.get(rate, Decimal("0")) + amounts.net
    result.vat_by_rate = {rate: money(net * rate / HUNDRED) for rate, net in sorted(net_by_rate.items())}
    return result


def order_totals(order, settings) -> Totals:
    return totals(order.rows, shows_prices_including_vat(order.customer, settings))


# -- parsing ------------------------------------------------------------------------------


def parse_decimal(raw, *, low: Decimal, high: Decimal) -> Decimal:
    """A number typed the Swedish way ("1 234,50") or the API way ("1234.50"); ValueError if not."""
    if isinstance(raw, Decimal | int):
        value = Decimal(raw)
    else:
        text = str(raw or "").strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
        if not text:
            raise ValueError(_l("Enter a number."))
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise ValueError(_l("Enter a number.")) from None
    if not value.is_finite():
        raise ValueError(_l("Enter a number."))
    if not low <= value <= high:
        raise ValueError(_l("Enter a number between %(low)s and %(high)s.", low=low, high=high))
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _text(raw: dict, key: str, max_len: int, errors: dict) -> str | None:
    value = raw.get(key)
    value = str(value).strip() if value is not None else ""
    if len(value) > max_len:
        errors[key] = _l("At most %(max)s characters.", max=max_len)
    return value or None


def _id(raw) -> int | None:
    if raw in (None, "", "none", "__None"):
        return None
    text = str(raw).strip()
    if not text.isdigit() or len(text) > 9:
        return 0  # never an existing row
    return int(text)


def parse_date(raw) -> datetime.date | None:
    if raw in (None, ""):
        return None
    if isinstance(raw, datetime.date):
        return raw
    try:
        return datetime.date.fromisoformat(str(raw).strip())
    except ValueError:
        raise ValueError(_l("Enter a date as YYYY-MM-DD.")) from None


# -- F13, F16, F19, F25: what an order must have ---------------------------------------------

ORDER_FIELDS = ("facility_id", "contact_id", "status", "work_date", "description", "customer_order_number",
                "cost_centre")


def inherited_values(customer, facility) -> dict:
    """What a new order takes over from its customer (and facility): F13, F25."""
    number = (facility.customer_order_number if facility is not None and facility.customer_order_number
              else customer.customer_order_number)
    return {"customer_order_number": number, "cost_centre": customer.cost_centre,
            "contact_id": facility.contact_id if facility is not None and facility.contact_id else None}


def with_inherited(values: dict, customer, session) -> dict:
    """A new order's values with what was left empty filled in from the customer and the
    chosen facility (when it is the customer's)."""
    values = dict(values)
    facility = None
    facility_id = _id(values.get("facility_id"))
    if facility_id:
        facility = session.get(Facility, facility_id)
        facility = facility if facility is not None and facility.customer_id == customer.id else None
    for key, value in inherited_values(customer, facility).items():
        if values.get(key) in (None, "") and value:
            values[key] = value
    return values


def clean_order(raw: dict, customer, settings, session, *, is_new: bool) -> tuple[dict, dict]:
    """The order's values, checked against the customer's rules; ({field: value}, {field: message})."""
    errors: dict = {}
    clean: dict = {}
    if customer is None:
        return clean, {"customer_id": _l("Choose a customer from the list.")}
    if is_new and not customer.active:  # F16/F19
        errors["customer_id"] = _l("%(name)s is inactive and cannot be chosen for new orders.", name=customer.name)
    if is_new:
        kind = raw.get("kind")
        if kind not in ORDER_KINDS:
            errors["kind"] = _l("Choose the kind of order.")
        clean["kind"] = kind
    facility_id = _id(raw.get("facility_id"))
    facility = None
    if facility_id is not None:
        facility = session.get(Facility, facility_id)
        if facility is None or facility.customer_id != customer.id:
            errors["facility_id"] = _l("Choose one of the customer's facilities.")
            facility = None
    if facility_id is None and customer.facility_required:  # F13
        errors["facility_id"] = _l("A facility is mandatory on this customer's orders: choose one.")
    clean["facility_id"] = facility.id if facility is not None else None
    contact_id = _id(raw.get("contact_id"))
    if contact_id is not None:
        contact = session.get(Contact, contact_id)
        if contact is None or contact.customer_id != customer.id:
            errors["contact_id"] = _l("Choose one of the customer's contacts.")
    clean["contact_id"] = contact_id
    status = raw.get("status") or NEW
    if status not in ORDER_STATUSES:
        errors["status"] = _l("Choose a status from the list.")
    clean["status"] = status
    try:
        clean["work_date"] = parse_date(raw.get("work_date"))
    except ValueError as exc:
        errors["work_date"] = exc.args[0]
    clean["description"] = _text(raw, "description", 10_000, errors)
    clean["customer_order_number"] = _text(raw, "customer_order_number", 100, errors)
    clean["cost_centre"] = _text(raw, "cost_centre", 100, errors)
    if customer.cost_centre_required and not clean["cost_centre"] and "cost_centre" not in errors:  # F13
        errors["cost_centre"] = _l("A cost centre is mandatory on this customer's orders: enter one.")
    if settings.require_customer_order_number and not clean["customer_order_number"] \
            and "customer_order_number" not in errors:  # F25
        errors["customer_order_number"] = _l("The customer's order number is required on orders: enter it.")
    return clean, errors


def list_name(order, settings) -> str:
    """F25: list views show the facility's name instead of the customer's when the setting is on."""
    if settings.facility_name_in_lists and order.facility is not None:
        return order.facility.name
    return order.customer.name


# -- rows ------------------------------------------------------------------------------------

ROW_FIELDS = ("article_id", "text", "quantity", "unit", "unit_price", "vat_rate", "discount_percent")
MAX_AMOUNT = Decimal("9999999999.99")


def clean_row(raw: dict, customer, session, row=None) -> tuple[dict, dict]:
    """A row's values: an article's name, unit, price, VAT and discount (F5) unless typed."""
    errors: dict = {}
    clean: dict = {}
    article = None
    article_id = _id(raw.get("article_id")) if "article_id" in raw or row is None else row.article_id
    if article_id is not None:
        article = session.get(Article, article_id)
        if article is None:
            errors["article_id"] = _l("Choose an article from the list.")
    changed_article = article is not None and (row is None or row.article_id != article.id)
    clean["article_id"] = article.id if article is not None else None
    defaults = {}
    if changed_article:
        defaults = {"text": article.name, "unit": article.unit, "unit_price": article.price,
                    "vat_rate": article.vat_rate, "discount_percent": letter_discount(customer, article.article_group)}
        clean["is_time_row"] = article.is_time_article
    elif row is None:
        clean["is_time_row"] = False

    def given(key):
        value = raw.get(key)
        if (value is None or value == "") and key in defaults:
            return defaults[key]
        if value is None and row is not None:
            return getattr(row, key)
        return value

    text = given("text")
    clean["text"] = str(text or "").strip()
    if not clean["text"]:
        errors["text"] = _l("Enter a text or choose an article.")
    elif len(clean["text"]) > 200:
        errors["text"] = _l("At most %(max)s characters.", max=200)
    clean["unit"] = str(given("unit") or "st").strip()[:20]
    quantity = given("quantity")
    if (quantity is None or quantity == "") and clean.get("is_time_row"):
        quantity = "0"  # F15: a time article is added with 0 hours
    for key, low, high, fallback in (("quantity", Decimal("-99999999"), Decimal("99999999"), "1"),
                                     ("unit_price", -MAX_AMOUNT, MAX_AMOUNT, "0"),
                                     ("vat_rate", Decimal("0"), Decimal("100"), "25"),
                                     ("discount_percent", Decimal("0"), Decimal("100"), "0")):
        value = quantity if key == "quantity" else given(key)
        if value is None or value == "":
            value = fallback
        try:
            clean[key] = parse_decimal(value, low=low, high=high)
        except ValueError as exc:
            errors[key] = exc.args[0]
    return clean, errors


def moved_work_date(row, old_quantity, new_quantity, today: datetime.date) -> datetime.date | None:
    """F15: the day the order's work date moves to when hours are entered (or changed) on a
    time row; None when it stays."""
    if not row.is_time_row:
        return None
    old = Decimal(old_quantity or 0)
    new = Decimal(new_quantity or 0)
    return today if new != old and new != 0 else None


def articles_to_load(customer, kind: str, settings) -> list:
    """F9: the customer's articles a new order of `kind` offers ([] when the list is off)."""
    if kind not in ARTICLE_LISTS:
        return []
    list_kind, setting = ARTICLE_LISTS[kind]
    if not settings[setting]:
        return []
    return [a for a in customer.articles if a.kind == list_kind]


def facilities_of(customer_id: int, session) -> list:
    return list(session.execute(select(Facility).where(Facility.customer_id == customer_id)
                                .order_by(Facility.name, Facility.id)).scalars())


def clean_facility(raw: dict, customer, session) -> tuple[dict, dict]:
    errors: dict = {}
    clean = {"name": _text(raw, "name", 200, errors), "street": _text(raw, "street", 200, errors),
             "city": _text(raw, "city", 100, errors),
             "customer_order_number": _text(raw, "customer_order_number", 100, errors)}
    if not clean["name"] and "name" not in errors:
        errors["name"] = _l("Enter the facility's name.")
    postcode = "".join(str(raw.get("postcode") or "").split())
    if postcode and (len(postcode) != 5 or not postcode.isdigit()):
        errors["postcode"] = _l("A postcode has five digits.")
    clean["postcode"] = postcode or None
    contact_id = _id(raw.get("contact_id"))
    if contact_id is not None:
        contact = session.get(Contact, contact_id)
        if contact is None or contact.customer_id != customer.id:
            errors["contact_id"] = _l("Choose one of the customer's contacts.")
    clean["contact_id"] = contact_id
    return clean, errors


def order_text_condition(text: str, session, user):
    """The order list's search: an order number or the customer's order number, exactly, or the
    customers the register's own search finds (name, number, contacts, e-mail, phone).

    A narrow term finds few customers: they are looked up once and their orders read through
    the customer index, so a rare name does not walk ten million orders. A broad term keeps the
    name match on the joined customer, which the newest-first walk satisfies within a page.
    """
    dialect = session.get_bind().dialect.name
    exact = (Order.kind.in_(ORDER_KINDS) & (Order.number == text)) | (Order.customer_order_number == text)
    ids = matching_ids(session, text, dialect, user)
    if ids is not None:
        return exact | Order.customer_id.in_(sorted(ids)) if ids else exact
    return exact | contains_ci(Customer.name, text, dialect)
