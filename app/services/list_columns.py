"""The customer list's columns (F21–F24): the field registry as list, export and import columns.

Every registry field that can be listed becomes a column, plus the list's contact (the
main contact, else the first). A column knows how the list page reads its value from a
customer (with the relationships it needs loaded once per page, never per row) and how
the export reads the same value from one SQL row (`sql` and `from_row`), so a list cell
and an export cell are always the same text. Export headers are the labels, and the
import recognises the labels in every offered language, so an exported file imports again.

Personnummer: organisation numbers are shown in full; a personnummer (a private
customer's identity number, the ROT/RUT personnummer) is shown as YYYYMMDD-XXXX unless the
user holds the full Edit right (`ColumnContext.full_identity`).
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from flask_appbuilder.security.sqla.models import User
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, literal, select
from sqlalchemy.orm import aliased, selectinload

from ..models.custom_fields import CustomFieldValue
from ..models.customer import PRIVATE, Address, Contact, Customer, customer_discount_letter
from ..models.discount import DiscountLetter
from ..security.access import holds
from ..security.rights import EDIT
from . import customer_fields as registry
from .identity import format_postcode, mask_personnummer

CONTACT_LABEL = _l("Contact person")
CONTACT_PART_LABELS = {
    "name": _l("Name"),
    "email": _l("E-mail"),
    "phone": _l("Phone"),
    "is_main_contact": _l("Main contact"),
    "send_service_protocol": _l("Send service protocol"),
    "send_work_order": _l("Send work order"),
}
CONTACT_PART_LENGTHS = {"name": 200, "email": 254, "phone": 50}
DEFAULT_COLUMNS = ("customer_number", "name", "customer_type", "invoice_city", "assigned_to", "active")


@dataclass
class ColumnContext:
    """What reading a value may need besides the customer."""

    settings: dict
    full_identity: bool = True
    fields: dict = field(default_factory=dict)  # custom field id -> definition
    _labels: dict | None = None

    @property
    def labels(self) -> dict:
        if self._labels is None:
            self._labels = value_labels(self.settings, self.fields.values())
        return self._labels


@dataclass(frozen=True)
class Column:
    key: str
    label: object
    value: object  # (customer, ColumnContext) -> str | bool | int | Decimal | date | datetime | None
    sort: str | None = None  # a key of search.SORT_COLUMNS
    loads: tuple = ()  # relationships of Customer the value reads
    importable: bool = True
    kind: str = "text"  # text, choice, bool, datetime, cf_bool, cf_number, cf_date, cf_text, cf_choice
    sql: object = None  # (SqlJoins) -> SQL expressions of the value, for the export's one query
    from_row: object = None  # (values, ctx) -> the same value as `value`, from those expressions
    entry: registry.CustomerField | None = None  # None for the contact columns
    max_length: int | None = None

    @property
    def title(self) -> str:
        return str(self.label)


def _first(values, _ctx):
    return values[0]


def _masked(value, customer_type, ctx):
    if value and customer_type == PRIVATE and not ctx.full_identity:
        return mask_personnummer(value)
    return value


def _full_name(first, last):
    return f"{first or ''} {last or ''}".strip() or None


def list_contact(customer):
    """The contact the list shows: the main contact, else the first one."""
    return customer.main_contact or (customer.contacts[0] if customer.contacts else None)


def _contact_part(part: str):
    def get(customer, _ctx):
        contact = list_contact(customer)
        return getattr(contact, part) if contact is not None else None

    return get


def _column_kind(entry: registry.CustomerField) -> str:
    if entry.storage == "custom":
        return f"cf_{entry.kind}"
    return entry.kind if entry.kind in ("choice", "bool", "datetime") else "text"


def _column(entry: registry.CustomerField) -> Column:
    """The list/export column of one registry field."""
    common = {"sort": entry.sort, "importable": entry.editable, "kind": _column_kind(entry), "entry": entry,
              "max_length": entry.max_length}
    if entry.storage == "attr" and entry.key == "identity_number":
        return Column(entry.key, entry.label, lambda c, ctx: _masked(c.identity_number, c.customer_type, ctx),
                      sql=lambda _j: (Customer.identity_number, Customer.customer_type),
                      from_row=lambda v, ctx: _masked(v[0], v[1], ctx), **common)
    if entry.storage == "attr" and entry.personal_id:
        key = entry.key
        return Column(key, entry.label, lambda c, ctx: _masked(getattr(c, key), PRIVATE, ctx),
                      sql=lambda _j: (getattr(Customer, key),), from_row=lambda v, ctx: _masked(v[0], PRIVATE, ctx),
                      **common)
    if entry.storage == "attr":
        key = entry.key
        return Column(key, entry.label, lambda c, _ctx: getattr(c, key), sql=lambda _j: (getattr(Customer, key),),
                      from_row=_first, **common)
    if entry.storage == "address":
        kind, part = entry.address_kind, entry.part

        def read(customer, _ctx):
            address = customer.address(kind)
            value = getattr(address, part) if address is not None else None
            return format_postcode(value) if part == "postcode" and value else value

        return Column(entry.key, entry.label, read, loads=("addresses",),
                      sql=lambda j: (getattr(j.address(kind), part),),
                      from_row=lambda v, _ctx: format_postcode(v[0]) if part == "postcode" and v[0] else v[0],
                      **common)
    if entry.storage == "letters":
        return Column(entry.key, entry.label,
                      lambda c, _ctx: ", ".join(letter.name for letter in c.discount_letters) or None,
                      loads=("discount_letters",), sql=lambda j: (j.letter_names(),), from_row=_first, **common)
    if entry.storage == "technician":
        return Column(entry.key, entry.label,
                      lambda c, _ctx: _full_name(c.assigned_to.first_name, c.assigned_to.last_name)
                      if c.assigned_to is not None else None,
                      loads=("assigned_to",), sql=lambda j: (j.user.first_name, j.user.last_name),
                      from_row=lambda v, _ctx: _full_name(*v), **common)
    if entry.storage == "custom":
        field_id = entry.definition.id
        return Column(entry.key, entry.label, lambda c, _ctx: c.custom_value(field_id), loads=("custom_values",),
                      sql=lambda j: (j.custom_value(field_id),), from_row=_first, **common)
    raise ValueError(entry.storage)


def catalogue(settings, definitions) -> list[Column]:
    """Every column the current settings and custom fields offer, in their natural order."""
    columns = []
    contact_after = "postal_city"
    for entry in registry.fields(settings, definitions):
        if not entry.in_list:
            continue
        columns.append(_column(entry))
        if entry.key == contact_after:
            columns += contact_columns()
    if not any(c.key.startswith("contact_") for c in columns):
        columns += contact_columns()
    return columns


def contact_columns() -> list[Column]:
    return [
        Column(f"contact_{part}", registry.Composed(CONTACT_LABEL, label), _contact_part(part), loads=("contacts",),
               kind="text" if part in CONTACT_PART_LENGTHS else "bool", max_length=CONTACT_PART_LENGTHS.get(part),
               sql=lambda j, part=part: (getattr(j.contact, part),), from_row=_first)
        for part, label in CONTACT_PART_LABELS.items()
    ]


def default_keys(definitions) -> list[str]:
    keys = list(DEFAULT_COLUMNS)
    keys[-1:-1] = [f"cf_{d.id}" for d in definitions if d.show_in_list]
    return keys


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


# -- values for display and files ----------------------------------------------------------


def yes_no(value) -> str:
    return str(_l("Yes")) if value else str(_l("No"))


def value_labels(settings, definitions) -> dict:
    """The words values are shown with, translated once (an export writes them 100,000 times)."""
    labels = {("bool", True): yes_no(True), ("bool", False): yes_no(False)}
    for entry in registry.fields(settings, definitions):
        if entry.kind == "choice" and entry.choices is not None:
            labels.update({(entry.key, value): str(label) for value, label in entry.choices() if value})
    return labels


def decimal_text(number: Decimal) -> str:
    """A plain decimal with the language's decimal sign, no grouping (re-imports in any language)."""
    text = format(number.normalize(), "f")
    locale = get_locale()
    return text.replace(".", ",") if locale is not None and locale.language == "sv" else text


def text_value(column: Column, raw, labels: dict) -> str:
    """The value as text, in the current language (list cells, CSV cells)."""
    if raw is None or raw == "":
        return ""
    kind = column.kind
    if kind == "bool":
        return labels[("bool", bool(raw))]
    if kind == "cf_bool":
        return labels[("bool", raw == "1")]
    if kind in ("choice", "cf_choice"):
        return labels.get((column.key, raw), str(raw))
    if kind == "datetime":
        return raw.strftime("%Y-%m-%d %H:%M")
    if kind == "cf_number":
        return decimal_text(Decimal(raw))
    return str(raw)


def cell_value(column: Column, raw, labels: dict):
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
    """A list cell: exactly the text the export writes for the same customer and column."""
    return text_value(column, column.value(customer, ctx), ctx.labels)


def load_options(columns):
    """selectinload options for the relationships `columns` read: one query each per page."""
    needed = {rel for c in columns for rel in c.loads}
    return [selectinload(getattr(Customer, rel)) for rel in sorted(needed)]


def sees_full_identity(user) -> bool:
    """THE rule for personnummer (issue 17 item 2): full only for users holding the full Edit
    right (and the system); everyone else sees YYYYMMDD-XXXX, on the card, in the list, the
    export (also a background export, run as its user), the history and the portal."""
    return user is None or holds(user, EDIT)


def column_context(settings, definitions, user) -> ColumnContext:
    return ColumnContext(settings=settings, full_identity=sees_full_identity(user),
                         fields={d.id: d for d in definitions})
