"""The customer list's column catalogue (F22, F23, F24) and each user's choice of columns.

One catalogue serves the list, the export and the import: a column has a key, a label,
a sort key when the list can sort by it, the relationships its value needs (loaded in
one query per relationship, never per row) and a value getter. Export headers are the
labels, and the import recognises the labels in every offered language, so an exported
file imports again.

Personnummer: organisation numbers are shown in full; a private customer's personnummer
is shown as YYYYMMDD-XXXX in the list and the export unless the user holds the full Edit
right (`can_edit`). Lists and exports are where personal data leave in bulk; the users who
may change every customer (and may import) need the full number to re-import a file.
"""

import datetime
import json
from dataclasses import dataclass, field
from decimal import Decimal

from flask_appbuilder.security.sqla.models import User
from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, literal, select
from sqlalchemy.orm import aliased, selectinload

from ..models.custom_fields import CustomFieldValue
from ..models.customer import (
    COMPANY,
    INVOICE,
    POSTAL,
    PRIVATE,
    VISITING,
    Address,
    Contact,
    Customer,
    customer_discount_letter,
)
from ..models.discount import DiscountLetter
from ..models.preferences import ListPreference
from ..security.rights import EDIT
from . import custom_fields as cf
from .identity import format_postcode, mask_personnummer
from .scope import _user_has
from .search import SORT_COLUMNS

CUSTOMER_LIST = "customers"

ADDRESS_KIND_LABELS = {INVOICE: _l("Invoice address"), VISITING: _l("Visiting address"), POSTAL: _l("Postal address")}
ADDRESS_PART_LABELS = {
    "street": _l("Street address"),
    "street2": _l("Address line 2"),
    "postcode": _l("Postcode"),
    "city": _l("City"),
}
CONTACT_LABEL = _l("Contact person")
CONTACT_PART_LABELS = {
    "name": _l("Name"),
    "email": _l("E-mail"),
    "phone": _l("Phone"),
    "is_main_contact": _l("Main contact"),
    "send_service_protocol": _l("Send service protocol"),
    "send_work_order": _l("Send work order"),
}
TYPE_LABELS = {COMPANY: _l("Company"), PRIVATE: _l("Private")}
VAT_TYPE_LABELS = {"NoVAT": _l("No VAT"), "NormalVAT": _l("Normal VAT")}
F13_LABELS = {
    "facilities_disabled": _l("Facilities are disabled for this customer"),
    "facility_required": _l("A facility is mandatory on orders for this customer"),
    "cost_centre_required": _l("A cost centre is mandatory on orders for this customer"),
    "always_invoice": _l("Always send to the accounting system as an invoice"),
}
TAX_LABELS = {
    "tax_reduction_personnummer": _l("Personnummer (private person)"),
    "property_designation": _l("Property designation"),
    "housing_coop_org_number": _l("Housing cooperative's organisation number"),
    "apartment_number": _l("Apartment number"),
}

DEFAULT_COLUMNS = ("customer_number", "name", "customer_type", "invoice_city", "assigned_to", "active")
ALWAYS_SHOWN = ("name",)  # the list's link to the card


@dataclass
class ColumnContext:
    """What a value getter may need besides the customer."""

    settings: dict
    full_identity: bool = True
    fields: dict = field(default_factory=dict)  # custom field id -> definition
    _labels: dict | None = None

    @property
    def labels(self) -> dict:
        if self._labels is None:
            self._labels = value_labels()
        return self._labels


@dataclass(frozen=True)
class Column:
    key: str
    label: object
    value: object  # (customer, ColumnContext) -> str | bool | int | Decimal | date | datetime | None
    sort: str | None = None  # a key of search.SORT_COLUMNS
    loads: tuple = ()  # relationships of Customer the value reads
    importable: bool = True
    kind: str = "text"  # text, bool, date, datetime, number, customer_type, vat_type, language…
    # The export reads rows, not objects: `sql(joins)` gives the SQL expressions of the value and
    # `from_row(values, ctx)` makes the same value as `value` from them.
    sql: object = None
    from_row: object = None

    @property
    def title(self) -> str:
        return str(self.label)


def yes_no(value) -> str:
    return str(_l("Yes")) if value else str(_l("No"))


def _postcode(part: str, value):
    return format_postcode(value) if part == "postcode" and value else value


def _address_part(kind: str, part: str):
    def get(customer, _ctx):
        address = customer.address(kind)
        return _postcode(part, getattr(address, part) if address is not None else None)

    return get


def list_contact(customer):
    """The contact the list shows: the main contact, else the first one."""
    return customer.main_contact or (customer.contacts[0] if customer.contacts else None)


def _contact_part(part: str):
    def get(customer, _ctx):
        contact = list_contact(customer)
        return getattr(contact, part) if contact is not None else None

    return get


def _masked(value, customer_type, ctx):
    if value and customer_type == PRIVATE and not ctx.full_identity:
        return mask_personnummer(value)
    return value


def _identity(customer, ctx):
    return _masked(customer.identity_number, customer.customer_type, ctx)


def _full_name(first, last):
    return f"{first or ''} {last or ''}".strip() or None


def _technician(customer, _ctx):
    user = customer.assigned_to
    return _full_name(user.first_name, user.last_name) if user is not None else None


def _custom(field_id: int):
    def get(customer, _ctx):
        return next((v.value for v in customer.custom_values if v.field_id == field_id), None)

    return get


def _attr(name: str):
    return lambda customer, _ctx: getattr(customer, name)


def catalogue(settings, fields) -> list[Column]:
    """Every column the current settings and custom fields offer, in their natural order."""
    def attr(key, label, **options):
        return Column(key, label, _attr(key), sql=lambda _j: (getattr(Customer, key),), from_row=_first, **options)

    columns = [
        attr("customer_number", _l("Customer number"), sort="customer_number"),
        attr("name", _l("Name"), sort="name"),
        attr("customer_type", _l("Customer type"), sort="customer_type", kind="customer_type"),
        Column("identity_number", _l("Organisation number / personnummer"), _identity, sort="identity_number",
               sql=lambda _j: (Customer.identity_number, Customer.customer_type),
               from_row=lambda v, ctx: _masked(v[0], v[1], ctx)),
    ]
    for kind, kind_label in ADDRESS_KIND_LABELS.items():
        for part, part_label in ADDRESS_PART_LABELS.items():
            columns.append(Column(
                f"{kind}_{part}", _Composed(kind_label, part_label), _address_part(kind, part), loads=("addresses",),
                sql=lambda j, kind=kind, part=part: (getattr(j.address(kind), part),),
                from_row=lambda v, _ctx, part=part: _postcode(part, v[0])))
    for part, part_label in CONTACT_PART_LABELS.items():
        kind = "bool" if part not in ("name", "email", "phone") else "text"
        columns.append(Column(f"contact_{part}", _Composed(CONTACT_LABEL, part_label), _contact_part(part),
                              loads=("contacts",), kind=kind, sql=lambda j, part=part: (getattr(j.contact, part),),
                              from_row=_first))
    columns += [
        Column("assigned_to", _l("Assigned technician"), _technician, loads=("assigned_to",),
               sql=lambda j: (j.user.first_name, j.user.last_name), from_row=lambda v, _ctx: _full_name(*v)),
        Column("discount_letters", _l("Discount letters"),
               lambda c, _ctx: ", ".join(letter.name for letter in c.discount_letters) or None,
               loads=("discount_letters",), sql=lambda j: (j.letter_names(),), from_row=_first),
        attr("active", _l("Active"), sort="active", kind="bool"),
        attr("created_at", _l("Created"), sort="created_at", importable=False, kind="datetime"),
        attr("comment", _l("Comment (internal)")),
    ]
    columns += [attr(key, label, kind="bool") for key, label in F13_LABELS.items()]
    if settings.get("show_vat_type"):
        columns.append(attr("vat_type", _l("VAT type"), kind="vat_type"))
    if settings.get("show_language"):
        columns.append(attr("language", _l("Language"), kind="language"))
    if settings.get("show_cost_centre"):
        columns.append(attr("cost_centre", _l("Cost centre")))
    if settings.get("use_rot_rut"):
        columns += [attr(key, label) for key, label in TAX_LABELS.items()]
    for definition in fields:
        kind = {"boolean": "bool", "date": "date", "number": "number"}.get(definition.field_type, "text")
        columns.append(Column(f"cf_{definition.id}", definition.label, _custom(definition.id),
                              loads=("custom_values",), kind=f"cf_{kind}",
                              sql=lambda j, field_id=definition.id: (j.custom_value(field_id),), from_row=_first))
    return columns


def _first(values, _ctx):
    return values[0]


class SqlJoins:
    """The joins of the export's one query: an address per kind, the list's contact (the main
    contact, else the first), the technician; discount letters and custom values as subqueries."""

    def __init__(self, dialect: str):
        self.dialect = dialect
        self.addresses: dict = {}
        self._contact = self._user = None

    def address(self, kind: str):
        if kind not in self.addresses:
            self.addresses[kind] = aliased(Address, name=f"{kind}_address")
        return self.addresses[kind]

    @property
    def contact(self):
        if self._contact is None:
            self._contact = aliased(Contact, name="list_contact")
        return self._contact

    @property
    def user(self):
        if self._user is None:
            self._user = aliased(User, name="technician")
        return self._user

    def letter_names(self):
        link = customer_discount_letter
        names = (select(DiscountLetter.name).join(link, link.c.discount_letter_id == DiscountLetter.id)
                 .where(link.c.customer_id == Customer.id))
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import aggregate_order_by

            return names.with_only_columns(
                func.string_agg(DiscountLetter.name, aggregate_order_by(literal(", "), DiscountLetter.name))
            ).scalar_subquery()
        ordered_names = names.order_by(DiscountLetter.name).correlate(Customer).subquery()
        return select(func.group_concat(ordered_names.c.name, ", ")).scalar_subquery()

    def custom_value(self, field_id: int):
        return (select(CustomFieldValue.value)
                .where(CustomFieldValue.customer_id == Customer.id, CustomFieldValue.field_id == field_id)
                .scalar_subquery())

    def from_clause(self):
        joined = Customer.__table__
        for kind, alias in self.addresses.items():
            joined = joined.outerjoin(alias, (alias.customer_id == Customer.id) & (alias.kind == kind))
        if self._contact is not None:
            chosen = (select(Contact.id).where(Contact.customer_id == Customer.id)
                      .order_by(Contact.is_main_contact.desc(), Contact.id).limit(1).scalar_subquery())
            joined = joined.outerjoin(self._contact, self._contact.id == chosen)
        if self._user is not None:
            joined = joined.outerjoin(self._user, self._user.id == Customer.assigned_to_id)
        return joined


class _Composed:
    """A label made of two translated labels, e.g. "Invoice address: Postcode"."""

    def __init__(self, first, second):
        self.first, self.second = first, second

    def __str__(self) -> str:
        return f"{self.first}: {self.second}"


def default_keys(fields) -> list[str]:
    keys = list(DEFAULT_COLUMNS)
    keys[-1:-1] = [f"cf_{f.id}" for f in fields if f.show_in_list]
    return keys


# -- values for display and files ----------------------------------------------------------


def value_labels() -> dict:
    """The words values are shown with, translated once (an export writes them 100,000 times)."""
    labels = {("customer_type", k): str(v) for k, v in TYPE_LABELS.items()}
    labels.update({("vat_type", k): str(v) for k, v in VAT_TYPE_LABELS.items()})
    labels.update({("bool", True): yes_no(True), ("bool", False): yes_no(False)})
    return labels


def text_value(column: Column, raw, labels: dict | None = None) -> str:
    """The value as text, in the current language (list cells, CSV cells)."""
    if raw is None or raw == "":
        return ""
    kind = column.kind
    if kind in ("customer_type", "vat_type", "bool", "cf_bool"):
        key = ("bool", raw == "1") if kind == "cf_bool" else ("bool", bool(raw)) if kind == "bool" else (kind, raw)
        labels = labels if labels is not None else value_labels()
        return labels.get(key, str(raw))
    if kind == "datetime":
        return raw.strftime("%Y-%m-%d %H:%M")
    if kind == "cf_number":
        return decimal_text(Decimal(raw))
    return str(raw)


def decimal_text(number: Decimal) -> str:
    """A plain decimal with the language's decimal sign, no grouping (re-imports in any language)."""
    from flask_babel import get_locale

    text = format(number.normalize(), "f")
    locale = get_locale()
    return text.replace(".", ",") if locale is not None and locale.language == "sv" else text


def cell_value(column: Column, raw, labels: dict | None = None):
    """The value for an XLSX cell: numbers and dates typed, the rest as in CSV."""
    if raw is None or raw == "":
        return None
    if column.kind == "cf_number":
        return Decimal(raw)
    if column.kind == "cf_date":
        return datetime.date.fromisoformat(raw)
    if column.kind == "datetime":
        return raw.replace(microsecond=0)
    return text_value(column, raw, labels)


def display_value(column: Column, customer, ctx: ColumnContext) -> str:
    """A list cell."""
    raw = column.value(customer, ctx)
    if column.kind.startswith("cf_") and column.key[3:].isdigit():
        definition = ctx.fields.get(int(column.key[3:]))
        return cf.display_value(definition, raw) if definition is not None else ""
    if column.kind == "datetime" and raw is not None:
        return format_date(raw.date(), "short")
    return text_value(column, raw, ctx.labels)


def load_options(columns):
    """selectinload options for the relationships `columns` read: one query each per page."""
    needed = {rel for c in columns for rel in c.loads}
    return [selectinload(getattr(Customer, rel)) for rel in sorted(needed)]


def column_context(settings, fields, user) -> ColumnContext:
    full = user is None or _user_has_edit(user)
    return ColumnContext(settings=settings, full_identity=full, fields={f.id: f for f in fields})


def _user_has_edit(user) -> bool:
    from flask import current_app

    return _user_has(current_app.appbuilder.sm, user, EDIT)


# -- per-user choice (F23) -------------------------------------------------------------------


@dataclass
class ListChoice:
    columns: list  # Column objects, in order
    sort: str | None  # default sort key, None for the built-in default
    direction: str | None
    saved: bool = False


def user_choice(session, user, settings, fields, list_name: str = CUSTOMER_LIST) -> ListChoice:
    """The user's columns and default sort; the defaults when nothing (valid) is saved."""
    available = {c.key: c for c in catalogue(settings, fields)}
    preference = None
    if user is not None and getattr(user, "id", None) is not None:
        preference = session.execute(
            select(ListPreference).where(ListPreference.user_id == user.id, ListPreference.list_name == list_name)
        ).scalar()
    keys = default_keys(fields)
    sort = direction = None
    if preference is not None:
        try:
            saved = json.loads(preference.columns or "[]")
        except ValueError:
            saved = []
        saved = [k for k in saved if isinstance(k, str) and k in available]
        if saved:
            keys = saved
        sort = preference.sort if preference.sort in SORT_COLUMNS else None
        direction = preference.direction if preference.direction in ("asc", "desc") else None
    for key in ALWAYS_SHOWN:
        if key not in keys:
            keys.insert(0, key)
    return ListChoice([available[k] for k in keys if k in available], sort, direction, preference is not None)


class ChoiceInvalid(ValueError):
    def __init__(self, errors: dict):
        super().__init__(errors)
        self.errors = errors


def save_choice(session, user, keys: list[str], sort: str | None, direction: str | None, settings, fields,
                list_name: str = CUSTOMER_LIST) -> ListPreference:
    """Store the user's columns (in catalogue order) and default sort."""
    available = [c.key for c in catalogue(settings, fields)]
    chosen = set(keys) | set(ALWAYS_SHOWN)
    errors = {}
    if set(keys) - set(available):
        errors["columns"] = _l("Choose columns from the list.")
    if sort and sort not in SORT_COLUMNS:
        errors["sort"] = _l("Choose a sort order from the list.")
    if direction and direction not in ("asc", "desc"):
        errors["sort"] = _l("Choose a sort order from the list.")
    if errors:
        raise ChoiceInvalid(errors)
    preference = session.execute(
        select(ListPreference).where(ListPreference.user_id == user.id, ListPreference.list_name == list_name)
    ).scalar()
    if preference is None:
        preference = ListPreference(user_id=user.id, list_name=list_name)
        session.add(preference)
    preference.columns = json.dumps([k for k in available if k in chosen])
    preference.sort = sort or None
    preference.direction = direction or None
    session.commit()
    return preference


def reset_choice(session, user, list_name: str = CUSTOMER_LIST) -> None:
    preference = session.execute(
        select(ListPreference).where(ListPreference.user_id == user.id, ListPreference.list_name == list_name)
    ).scalar()
    if preference is not None:
        session.delete(preference)
        session.commit()


def sortable(columns) -> list[Column]:
    return [c for c in columns if c.sort]



@dataclass
class ListRequest:
    """Everything the list and the export need to show "the list as the user sees it"."""

    settings: dict
    fields: list
    available: list  # every column on offer
    choice: ListChoice
    search: object  # search.CustomerSearch
    context: ColumnContext

    @property
    def columns(self) -> list[Column]:
        return self.choice.columns


def resolve_list(session, args, user) -> ListRequest:
    """The user's columns and default sort applied to the list URL's `args`."""
    from .search import parse_search
    from .settings import get_settings

    settings = get_settings()
    fields = cf.active_fields(session)
    choice = user_choice(session, user, settings, fields)
    search = parse_search(args, fields, choice.sort, choice.direction)
    return ListRequest(settings, fields, catalogue(settings, fields), choice, search,
                       column_context(settings, fields, user))
