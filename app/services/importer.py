"""Upload register (F24): read a CSV or XLSX file of customers and import it.

A file is read twice at most, never held in memory: the first pass validates every row
with the same services as the form (`clean_customer`, `clean_contact`, `clean_address`,
identity numbers, postcodes, custom fields); the second writes. Both work in batches of
whole customers, so one query per batch finds the existing customers and one flush per
batch writes them (history records them through its session hook, one bulk insert per
flush).

Rules
- One row carries a customer with its invoice, visiting and postal address and one
  contact; further contacts come as further rows with the same customer number, right
  after it (the rows of one customer must follow each other). On further rows only the
  contact columns count; a different name there is an error (two customers sharing a
  number by mistake).
- Modes: insert, update, upsert, keyed on the customer number. Rows without a number
  get generated numbers when automatic numbering is on. In update mode a column that
  is in the file sets the value (an empty cell clears it); columns not in the file are
  left as they are. Contacts are matched by name or e-mail and never deleted.
- By default a file with any error writes nothing. With `valid_only`, valid customers
  are written and the rest reported. A customer is written whole or not at all: each
  batch of whole customers is one transaction.
- Dry run: the first pass only.

Hostile files are refused with a message, before anything is parsed where possible:
zip bombs (member sizes and ratios are checked before openpyxl opens the file), binary
junk, too many columns, huge cells or lines, formulas.
"""

import codecs
import csv
import datetime
import io
import json
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..database import fold
from ..errors import Invalid
from ..models.customer import ADDRESS_KINDS, COMPANY, INVOICE, PRIVATE, Customer
from ..models.discount import DiscountLetter
from ..security.access import SYSTEM, holds
from ..security.rights import ASSIGN, CREATE, EDIT
from . import custom_fields as cf
from . import customers as rules
from .list_columns import Column, catalogue
from .numbering import check_customer_number
from .scope import scoped
from .settings import get_settings

INSERT, UPDATE, UPSERT = "insert", "update", "upsert"
MODES = (INSERT, UPDATE, UPSERT)

MAX_COLUMNS = 500
MAX_CELL = 10_000  # characters
MAX_LINE = 1_000_000  # characters in one physical CSV line
MAX_ROWS = 1_000_000
MAX_ERRORS_KEPT = 2_000  # in the report; the failed-rows file has every error
# Zip bomb guard, checked on the central directory before openpyxl opens the file. The
# declared sizes bind: zipfile stops at the declared size and then fails the CRC check.
ZIP_MAX_MEMBERS = 10_000
ZIP_MAX_TOTAL = 1024 * 1024 * 1024
ZIP_MAX_RATIO = 200
ZIP_RATIO_FROM = 1024 * 1024  # smaller members cannot hurt whatever their ratio

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
NEUTRALISED = re.compile(r"^'[=+\-@\t\r]")
# A CSV cell that a spreadsheet would run: a formula, or a DDE call such as +cmd|' /C calc'!A0.
CSV_FORMULA = re.compile(r"^\s*(=|[+\-@].*\|)")

# Further names a header may have (compared folded: lower case, punctuation as spaces).
# The column's label in every offered language is always accepted as well.
KIND_NAMES = {
    INVOICE: ("invoice address", "invoice", "billing address", "faktureringsadress", "fakturaadress", "faktura"),
    "visiting": ("visiting address", "visiting", "visit address", "besöksadress", "besök"),
    "postal": ("postal address", "postal", "mailing address", "postadress", "utdelningsadress"),
}
PART_NAMES = {
    "street": ("street address", "street", "address", "gatuadress", "adress", "gata"),
    "street2": ("address line 2", "street 2", "address 2", "adressrad 2", "c o", "co"),
    "postcode": ("postcode", "post code", "postal code", "zip", "zip code", "postnummer", "postnr"),
    "city": ("city", "town", "ort", "postort", "stad"),
}
CONTACT_NAMES = ("contact person", "contact", "kontaktperson", "kontakt")
CONTACT_PART_NAMES = {
    "name": ("name", "namn"),
    "email": ("e mail", "email", "mail", "e post", "epost", "e postadress", "email address"),
    "phone": ("phone", "telephone", "mobile", "tel", "telefon", "telefonnummer", "mobil", "mobilnummer"),
    "is_main_contact": ("main contact", "huvudkontakt", "huvudkontaktperson"),
    "send_service_protocol": ("send service protocol", "skicka serviceprotokoll"),
    "send_work_order": ("send work order", "skicka arbetsorder"),
}
# Further words for a choice value, besides its code and its label in every offered language.
CHOICE_WORDS = {
    "customer_type": {
        COMPANY: {"company", "företag", "foretag", "f", "c", "business", "organisation", "org"},
        PRIVATE: {"private", "privat", "p", "person", "privatperson", "consumer"},
    },
}
ACTIVE_WORDS = {"active": True, "aktiv": True, "inactive": False, "inaktiv": False}


class ImportFileInvalid(ValueError):
    """The file cannot be imported at all; `message` says why."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class ImportNotAllowed(PermissionError):
    pass


def fold_header(text) -> str:
    text = fold(str(text or ""))
    text = re.sub(r"[\s\-_:.,;/()\[\]'\"–—]+", " ", text)
    return text.strip()


# -- reading files ---------------------------------------------------------------------------


class Table:
    """Column names and rows of an uploaded file; `rows()` can be read more than once."""

    headers: list[str]
    total_rows: int | None  # an estimate for the progress bar
    formulas_marked = False  # True when formula cells arrive as FormulaCell (XLSX)

    def rows(self) -> Iterator[tuple[int, list]]:  # (row number as the user sees it, cells)
        raise NotImplementedError


def open_table(opener: Callable, filename: str) -> Table:
    """The file behind `opener` (a callable returning a new binary file object) as a Table."""
    with opener() as handle:
        head = handle.read(8)
    name = (filename or "").lower()
    if head.startswith(b"PK\x03\x04"):
        return XlsxTable(opener)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileInvalid(_l("Old Excel files (.xls) cannot be read: save the file as .xlsx or CSV."))
    if name.endswith((".xlsx", ".xlsm", ".xls")):
        raise ImportFileInvalid(_l("The file is not a valid Excel file."))
    return CsvTable(opener)


class XlsxTable(Table):
    formulas_marked = True

    def __init__(self, opener):
        self.opener = opener
        with opener() as handle:
            check_zip(handle)
        self.headers, self.total_rows = self._read_header()

    def _open_sheet(self, handle):
        import openpyxl
        from openpyxl.utils.exceptions import InvalidFileException

        try:
            workbook = openpyxl.load_workbook(handle, read_only=True, data_only=False)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError) as exc:
            raise ImportFileInvalid(_l("The file is not a valid Excel file.")) from exc
        except Exception as exc:  # defusedxml and the XML parser raise their own kinds
            raise ImportFileInvalid(_l("The file is not a valid Excel file.")) from exc
        if not workbook.worksheets:
            raise ImportFileInvalid(_l("The file is not a valid Excel file."))
        return workbook, workbook.worksheets[0]

    def _read_header(self):
        with self.opener() as handle:
            workbook, sheet = self._open_sheet(handle)
            try:
                first = next(sheet.iter_rows(min_row=1, max_row=1, values_only=True), None)
                total = sheet.max_row
            except ImportFileInvalid:
                raise
            except Exception as exc:
                raise ImportFileInvalid(_l("The file is not a valid Excel file.")) from exc
            finally:
                workbook.close()
        headers = check_headers(list(first or []))
        return headers, (total - 1 if isinstance(total, int) and total > 1 else None)

    def rows(self):
        with self.opener() as handle:
            workbook, sheet = self._open_sheet(handle)
            try:
                width = len(self.headers)
                for number, cells in enumerate(sheet.iter_rows(min_row=2), start=2):
                    values = []
                    for cell in cells[:width]:
                        value = getattr(cell, "value", None)
                        if getattr(cell, "data_type", None) == "f":
                            value = FormulaCell(value)
                        values.append(value)
                    yield number, values
            except ImportFileInvalid:
                raise
            except Exception as exc:
                raise ImportFileInvalid(_l("The file is not a valid Excel file.")) from exc
            finally:
                workbook.close()


class FormulaCell(str):
    """An XLSX cell holding a formula: refused, the value is not imported."""


def check_zip(handle) -> None:
    try:
        archive = zipfile.ZipFile(handle)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ImportFileInvalid(_l("The file is not a valid Excel file.")) from exc
    with archive:
        members = archive.infolist()
        if len(members) > ZIP_MAX_MEMBERS:
            raise ImportFileInvalid(_l("The file is not a valid Excel file."))
        total = 0
        for member in members:
            total += member.file_size
            suspicious = member.file_size > ZIP_RATIO_FROM and member.file_size > ZIP_MAX_RATIO * max(
                1, member.compress_size)
            if suspicious or total > ZIP_MAX_TOTAL:
                raise ImportFileInvalid(_l("The file unpacks to far more data than it holds (a zip bomb?); "
                                           "it was not opened."))
        names = {m.filename for m in members}
        if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
            raise ImportFileInvalid(_l("The file is not a valid Excel file."))


class CsvTable(Table):
    def __init__(self, opener):
        self.opener = opener
        self.encoding, lines = self._sniff()
        self.total_rows = max(0, lines - 1)
        with self.opener() as handle:
            text = io.TextIOWrapper(handle, encoding=self.encoding, newline="")
            first = text.readline(MAX_LINE + 1)
            if len(first) > MAX_LINE:
                raise ImportFileInvalid(_l("A row is longer than %(n)s characters.", n=MAX_LINE))
        self.delimiter = max((";", ",", "\t"), key=lambda d: (first.count(d), d == ";"))
        header = []
        for _number, cells in self._records(header_too=True):
            header = cells
            break
        self.headers = check_headers(header)

    def _sniff(self) -> tuple[str, int]:
        """UTF-8 (with or without BOM) or else Windows-1252; refuses binary files."""
        with self.opener() as handle:
            start = handle.read(65536)
            if b"\x00" in start:
                raise ImportFileInvalid(_l("The file is neither a CSV nor an Excel file."))
            if start.startswith(codecs.BOM_UTF8):
                encoding = "utf-8-sig"
            else:
                encoding = "utf-8"
            decoder = codecs.getincrementaldecoder("utf-8")()
            lines, chunk = 0, start
            while chunk:
                lines += chunk.count(b"\n")
                if encoding == "utf-8":
                    try:
                        decoder.decode(chunk)
                    except UnicodeDecodeError:
                        encoding = "cp1252"
                chunk = handle.read(1 << 20)
            if encoding == "utf-8":
                try:
                    decoder.decode(b"", final=True)
                except UnicodeDecodeError:
                    encoding = "cp1252"
        if encoding == "cp1252":
            with self.opener() as handle:
                try:
                    for chunk in iter(lambda: handle.read(1 << 20), b""):
                        chunk.decode("cp1252")
                except UnicodeDecodeError:
                    raise ImportFileInvalid(
                        _l("The file's characters could not be read: save it as UTF-8 or Windows-1252.")
                    ) from None
        return encoding, lines + 1

    def _lines(self, text) -> Iterator[str]:
        while True:
            line = text.readline(MAX_LINE + 1)
            if not line:
                return
            if len(line) > MAX_LINE:
                raise ImportFileInvalid(_l("A row is longer than %(n)s characters.", n=MAX_LINE))
            yield line

    def _records(self, header_too: bool = False):
        with self.opener() as handle:
            text = io.TextIOWrapper(handle, encoding=self.encoding, newline="")
            reader = csv.reader(self._lines(text), delimiter=self.delimiter)
            number = 1
            try:
                for number, cells in enumerate(reader, start=1):
                    if number > 1 or header_too:
                        yield number, cells
            except csv.Error as exc:
                raise ImportFileInvalid(_l("Row %(row)s could not be read: %(reason)s", row=number + 1,
                                           reason=str(exc))) from None

    def rows(self):
        return self._records()


def check_headers(headers: list) -> list[str]:
    while headers and (headers[-1] is None or str(headers[-1]).strip() == ""):
        headers.pop()
    if len(headers) > MAX_COLUMNS:
        raise ImportFileInvalid(_l("The file has %(n)s columns; at most %(max)s can be imported.",
                                   n=len(headers), max=MAX_COLUMNS))
    if not headers:
        raise ImportFileInvalid(_l("The first row must hold the column names."))
    return ["" if h is None else str(h).strip()[:200] for h in headers]


# -- column mapping --------------------------------------------------------------------------


@dataclass
class MappedColumn:
    index: int
    header: str
    key: str | None
    label: str = ""  # what the column means, in the user's language
    note: object = None  # why it is ignored


def _label_names(column: Column) -> set[str]:
    return {fold_header(name) for name in _translations(column.label)}


def importable_columns(settings, fields) -> list[Column]:
    return catalogue(settings, fields)


def header_index(columns: list[Column]) -> dict[str, str]:
    """Folded header -> column key: exact labels (every language) first, then aliases."""
    index: dict[str, str] = {}
    exact: dict[str, str] = {}
    for column in columns:
        for name in _label_names(column):
            exact.setdefault(name, column.key)
    keys = {c.key for c in columns}
    aliases: dict[str, str] = {}
    for column in columns:
        for name in (column.entry.aliases if column.entry is not None else ()):
            aliases.setdefault(fold_header(name), column.key)
    for kind, kind_names in KIND_NAMES.items():
        for part, part_names in PART_NAMES.items():
            for kind_name in kind_names:
                for part_name in part_names:
                    aliases.setdefault(fold_header(f"{kind_name} {part_name}"), f"{kind}_{part}")
                    aliases.setdefault(fold_header(f"{part_name} {kind_name}"), f"{kind}_{part}")
            for kind_name in kind_names:
                aliases.setdefault(fold_header(kind_name), f"{kind}_street")
        for part, part_names in PART_NAMES.items():
            for part_name in part_names:
                aliases.setdefault(fold_header(part_name), f"{INVOICE}_{part}")
    for part, part_names in CONTACT_PART_NAMES.items():
        for prefix in CONTACT_NAMES:
            for part_name in part_names:
                aliases.setdefault(fold_header(f"{prefix} {part_name}"), f"contact_{part}")
        if part not in ("name",):
            for part_name in part_names:
                aliases.setdefault(fold_header(part_name), f"contact_{part}")
    for prefix in CONTACT_NAMES:
        aliases.setdefault(fold_header(prefix), "contact_name")
    index.update({k: v for k, v in aliases.items() if v in keys})
    index.update(exact)  # a label always wins over an alias (a custom field called "Ort")
    return index


def map_headers(headers: list[str], columns: list[Column]) -> list[MappedColumn]:
    by_key = {c.key: c for c in columns}
    index = header_index(columns)
    mapped, used = [], {}
    for position, header in enumerate(headers):
        key = index.get(fold_header(header)) if header else None
        column = MappedColumn(position, header, key)
        if key is None:
            column.note = _l("Not recognised; ignored.") if header else None
        elif not by_key[key].importable:
            column.key, column.label, column.note = None, by_key[key].title, _l("Read only; ignored.")
        else:
            column.label = by_key[key].title
            if key in used:
                raise ImportFileInvalid(_l("The columns %(a)s and %(b)s both mean %(label)s.",
                                           a=used[key], b=header, label=column.label))
            used[key] = header
        mapped.append(column)
    return mapped


# -- the report --------------------------------------------------------------------------------


@dataclass
class RowError:
    row: int
    column: str
    message: str


@dataclass
class ImportReport:
    mode: str = INSERT
    dry_run: bool = False
    valid_only: bool = False
    rows: int = 0
    customers: int = 0
    created: int = 0
    updated: int = 0
    contacts: int = 0
    failed_customers: int = 0
    failed_rows: int = 0
    error_count: int = 0
    errors: list = field(default_factory=list)
    written: bool = False
    file_error: str | None = None
    columns: list = field(default_factory=list)  # [header, label or None, note or None]

    @property
    def ok(self) -> bool:
        return self.file_error is None and self.error_count == 0

    def add_error(self, row: int, column: str, message) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append(RowError(row, str(column), str(message)))

    def to_json(self) -> str:
        data = {k: v for k, v in self.__dict__.items() if k != "errors"}
        data["errors"] = [[e.row, e.column, e.message] for e in self.errors]
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str | None) -> "ImportReport":
        data = json.loads(text or "{}")
        errors = [RowError(*e) for e in data.pop("errors", [])]
        report = cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})
        report.errors = errors
        return report


# -- validation of one customer (a group of rows) --------------------------------------------

UNCHANGED = object()


@dataclass
class Group:
    rows: list  # [(row number, {key: text})]
    raw_rows: list  # [(row number, cells as read)] for the failed-rows file
    number: str | None
    errors: list = field(default_factory=list)  # [(row, key or header, message)]
    misplaced: bool = False  # a customer number seen earlier, not on the rows right before


@dataclass
class Checked:
    group: Group
    existing: Customer | None = None
    clean: dict | None = None
    addresses: dict = field(default_factory=dict)  # kind -> clean values, or None to remove
    active: object = UNCHANGED
    assigned: object = UNCHANGED
    contacts: list = field(default_factory=list)  # [(row, clean contact, main flag given?)]

    @property
    def ok(self) -> bool:
        return not self.group.errors


def cell_text(value) -> str:
    """A cell as the text the services validate (typed XLSX values included)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0):
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = str(value).strip()
    if NEUTRALISED.match(text):  # our own export's guard against formulas: undo it
        text = text[1:]
    return text


@dataclass
class ResumePoint:
    """Where an interrupted run stopped: the rows of the writing pass that are committed (each
    batch commits its rows and this progress in one transaction), the report so far and the
    failed rows so far. A run resumed from here writes each row exactly once."""

    done_rows: int
    report: ImportReport
    failed_rows: bytes | None = None


class Importer:
    """Run one import. `user` None is the system (CLI): every right, every customer.
    `resume`: continue an interrupted run's writing pass instead of starting over."""

    def __init__(self, session, user, mode: str = INSERT, dry_run: bool = False, valid_only: bool = False,
                 progress: Callable | None = None, batch_size: int = 500, writer: Callable | None = None,
                 resume: ResumePoint | None = None):
        if mode not in MODES:
            raise ValueError(mode)
        self.session = session
        self.user = user
        self.mode, self.dry_run, self.valid_only = mode, dry_run, valid_only
        self.progress = progress or (lambda phase, done, total: None)
        self.batch_size = batch_size
        self.writer = writer  # (importer, [Checked], progress) -> None: one batch through the commands
        self.report = ImportReport(mode=mode, dry_run=dry_run, valid_only=valid_only)
        self.highest_number = 0  # generated numbers continue after the file's highest number
        self.failed = tempfile.SpooledTemporaryFile(max_size=4 * 1024 * 1024, mode="w+b")  # failed rows, CSV
        self.failed_writer = None
        self.by = user if user is not None else SYSTEM
        self.can = {right: holds(self.by, right) for right in (CREATE, EDIT, ASSIGN)}
        self.resume = resume if resume is not None and not dry_run else None
        if mode in (INSERT, UPSERT) and not self.can[CREATE]:
            raise ImportNotAllowed(_l("You may not create customers."))
        if mode in (UPDATE, UPSERT) and not self.can[EDIT]:
            raise ImportNotAllowed(_l("You may not change customers."))

    # -- set-up ------------------------------------------------------------------------
    def _prepare(self, table: Table) -> None:
        session = self.session
        self.settings = get_settings()
        self.fields = cf.active_fields(session)
        for definition in self.fields:  # plain values: they outlive the batch commits
            session.expunge(definition)
        self.prepared = rules.Prepared(session, self.settings, self.fields)
        self.columns = {c.key: c for c in importable_columns(self.settings, self.fields)}
        self.mapping = map_headers(table.headers, list(self.columns.values()))
        self.report.columns = [[m.header, m.label or None, str(m.note) if m.note else None] for m in self.mapping]
        self.keys = {m.key: m for m in self.mapping if m.key}
        self.header_of = {m.key: m.header for m in self.mapping if m.key}
        if self.mode in (INSERT, UPSERT) and "name" not in self.keys:
            raise ImportFileInvalid(_l("The file has no column for the customer's name."))
        if self.mode == UPDATE and "customer_number" not in self.keys:
            raise ImportFileInvalid(_l("The file has no column for the customer number."))
        if (self.mode == INSERT and "customer_number" not in self.keys
                and not self.settings.auto_customer_number):
            raise ImportFileInvalid(_l("The file has no column for the customer number, and numbers are not "
                                       "generated automatically."))
        self._load_letters()
        self.letter_ids = {fold(letter.name.strip()): letter.id for letter in self.letters_by_id.values()}
        self.choice_words = {}  # key -> {value: folded words}
        for column in self.columns.values():
            entry = column.entry
            if entry is None or entry.kind != "choice" or entry.choices is None or entry.storage == "custom":
                continue
            extra = CHOICE_WORDS.get(entry.key, {})
            self.choice_words[entry.key] = {
                value: {fold(value)} | _translations(label) | set(extra.get(value, ())) | {fold(str(label))}
                for value, label in entry.choices() if value
            }
        from .assignment import assignable_users  # staff only: portal logins are never technicians (F20)

        self.user_ids: dict[str, list[int]] = {}
        for technician in assignable_users(session):
            names = {fold(f"{technician.first_name} {technician.last_name}".strip()), fold(technician.username)}
            if technician.email:
                names.add(fold(technician.email))
            for name in names:
                self.user_ids.setdefault(name, [])
                if technician.id not in self.user_ids[name]:
                    self.user_ids[name].append(technician.id)
        self.contact_keys = [k for k in self.keys if k.startswith("contact_")]
        self.table = table

    def _load_letters(self) -> None:
        """Discount letters of this session (again after every batch: they are assigned to customers)."""
        self.letters_by_id = {letter.id: letter for letter in self.session.execute(select(DiscountLetter)).scalars()}

    # -- reading rows into groups ------------------------------------------------------
    def _row_values(self, cells: list) -> tuple[dict, list]:
        values, problems = {}, []
        for column in self.mapping:
            if column.key is None:
                continue
            cell = cells[column.index] if column.index < len(cells) else None
            if isinstance(cell, FormulaCell) or (
                    not self.table.formulas_marked and isinstance(cell, str) and CSV_FORMULA.match(cell)):
                problems.append((column.key, _l("Formulas are not imported; enter the value itself.")))
                continue
            text = cell_text(cell)
            if len(text) > MAX_CELL:
                problems.append((column.key, _l("The cell holds more than %(n)s characters.", n=MAX_CELL)))
                continue
            limit = self.columns[column.key].max_length
            if limit and len(text) > limit:
                problems.append((column.key, _l("At most %(n)s characters.", n=limit)))
                continue
            if CONTROL_CHARACTERS.search(text):
                problems.append((column.key, _l("The cell contains control characters.")))
                continue
            values[column.key] = text
        return values, problems

    def _groups(self) -> Iterator[Group]:
        seen: set[int] = set()
        current: Group | None = None
        count = 0
        for number, cells in self.table.rows():
            if not any(c is not None and str(c).strip() for c in cells):
                continue
            count += 1
            if count > MAX_ROWS:
                raise ImportFileInvalid(_l("The file has more than %(n)s rows.", n=MAX_ROWS))
            values, problems = self._row_values(cells)
            customer_number = values.get("customer_number") or None
            if customer_number and customer_number.isdigit() and len(customer_number) <= 18:
                self.highest_number = max(self.highest_number, int(customer_number))
            if current is not None and customer_number and customer_number == current.number:
                current.rows.append((number, values))
                current.raw_rows.append((number, cells))
                current.errors += [(number, key, message) for key, message in problems]
                continue
            if current is not None:
                yield current
            current = Group([(number, values)], [(number, cells)], customer_number,
                            [(number, key, message) for key, message in problems])
            if customer_number:
                marker = hash(customer_number)
                if marker in seen:
                    current.misplaced = True
                    current.errors.append((number, "customer_number", _l(
                        "The rows of one customer must follow each other; customer number %(number)s "
                        "appeared earlier in the file.", number=customer_number)))
                seen.add(marker)
        if current is not None:
            yield current

    def _batches(self, skip: int = 0) -> Iterator[list[Group]]:
        """Batches of whole customers, after the first `skip` rows (written by an interrupted run)."""
        batch = []
        for group in self._groups():
            if skip > 0:
                skip -= len(group.rows)
                continue
            batch.append(group)
            if len(batch) >= self.batch_size:
                yield batch
                batch = []
        if batch:
            yield batch

    # -- validation --------------------------------------------------------------------
    def _existing(self, numbers: list[str]) -> tuple[dict, set]:
        """Customers of this batch the user may change (loaded whole), and every number in use."""
        if not numbers:
            return {}, set()
        in_use = set(self.session.execute(
            select(Customer.customer_number).where(Customer.customer_number.in_(numbers))).scalars())
        editable = {}
        if self.mode in (UPDATE, UPSERT) and in_use:
            query = select(Customer).where(Customer.customer_number.in_(in_use)).options(
                selectinload(Customer.contacts), selectinload(Customer.addresses),
                selectinload(Customer.custom_values), selectinload(Customer.discount_letters),
            )
            if self.user is not None:
                query = scoped(query, self.user, for_edit=True)
            editable = {c.customer_number: c for c in self.session.execute(query).scalars()}
        return editable, in_use

    def _check_batch(self, batch: list[Group]) -> list[Checked]:
        numbers = sorted({g.number for g in batch if g.number})
        editable, in_use = self._existing(numbers)
        return [self._check(group, editable, in_use) for group in batch]

    def _error(self, group: Group, row: int, key: str, message) -> None:
        """One error per cell: the first reason found (a refused cell is not also "missing")."""
        if not any(r == row and k == key for r, k, _m in group.errors):
            group.errors.append((row, key, message))

    def _check(self, group: Group, editable: dict, in_use: set) -> Checked:
        first_row, values = group.rows[0]
        checked = Checked(group)
        if group.misplaced:
            return checked
        number = group.number
        existing = editable.get(number) if number else None
        if self.mode == UPDATE:
            if not number:
                self._error(group, first_row, "customer_number", _l("Enter a customer number."))
                return checked
            if existing is None:
                self._error(group, first_row, "customer_number", _l("No customer has this number."))
                return checked
        elif self.mode == INSERT or existing is None:
            existing = None
            if number and number in in_use:
                self._error(group, first_row, "customer_number", _l("The customer number is already in use."))
            if not self.can[CREATE]:
                self._error(group, first_row, "customer_number", _l("You may not create customers."))
            if number:
                try:
                    check_customer_number(number, self.settings)
                except ValueError as exc:
                    self._error(group, first_row, "customer_number", exc.args[0])
            elif not self.settings.auto_customer_number:
                self._error(group, first_row, "customer_number", _l("Enter a customer number."))
        if existing is not None and not self.can[EDIT]:
            self._error(group, first_row, "customer_number", _l("You may not change customers."))
        checked.existing = existing

        raw = rules.customer_values(existing, self.prepared) if existing is not None else {}
        self._overlay(raw, values, group, first_row)
        self.prepared.letters = self.letters_by_id
        clean, errors = rules.clean_customer(raw, self.session, self.prepared, existing, check_number=False)
        for key, message in errors.items():
            self._error(group, first_row, key, message)
        checked.clean = clean
        self._check_addresses(checked, existing, values, first_row)
        self._check_flags(checked, existing, values, first_row)
        self._check_contacts(checked, existing)
        return checked

    def _overlay(self, raw: dict, values: dict, group: Group, row: int) -> None:
        """The file's cells as form input: words for choices and yes/no, names of discount letters."""
        form_keys = {entry.key for entry in self.prepared.form_fields}
        for key, text in values.items():
            if key not in form_keys:
                continue
            column = self.columns[key]
            if key in self.choice_words:
                if not text:
                    raw[key] = COMPANY if key == "customer_type" else None
                    continue
                value = next((v for v, words in self.choice_words[key].items() if fold(text) in words), None)
                if value is None:
                    allowed = ", ".join(str(label) for v, label in column.entry.choices() if v)
                    self._error(group, row, key, _l("Choose one of: %(values)s.", values=allowed))
                    continue
                raw[key] = value
            elif key == "discount_letters":
                ids, unknown = self._letters(text)
                if unknown:
                    self._error(group, row, key, _l("Unknown discount letter: %(name)s", name=unknown))
                raw[key] = ids
            elif column.kind in ("bool", "cf_bool"):
                if fold(text) not in cf.TRUE_WORDS | cf.FALSE_WORDS:
                    self._error(group, row, key, _l("Answer yes or no."))
                    continue
                raw[key] = text
            else:
                raw[key] = text

    def _letters(self, text: str) -> tuple[list[int], str | None]:
        if not text:
            return [], None
        whole = self.letter_ids.get(fold(text.strip()))
        if whole is not None:
            return [whole], None
        ids = []
        for name in (part.strip() for part in re.split(r"[;,|\n]", text)):
            if not name:
                continue
            letter_id = self.letter_ids.get(fold(name))
            if letter_id is None:
                return ids, name
            ids.append(letter_id)
        return ids, None

    def _check_addresses(self, checked: Checked, existing, values: dict, row: int) -> None:
        for kind in ADDRESS_KINDS:
            if kind == INVOICE:
                continue
            keys = [f"{kind}_{part}" for part in rules.ADDRESS_PARTS]
            if not any(k in values for k in keys):
                continue
            current = existing.address(kind) if existing is not None else None
            raw = {part: (getattr(current, part) or "") if current is not None else "" for part in rules.ADDRESS_PARTS}
            raw.update({k[len(kind) + 1:]: values[k] for k in keys if k in values})
            if not any(raw.values()):
                if current is not None:
                    checked.addresses[kind] = None
                continue
            clean, errors = rules.clean_address(raw)
            for part, message in errors.items():
                self._error(checked.group, row, f"{kind}_{part}", message)
            checked.addresses[kind] = clean

    def _check_flags(self, checked: Checked, existing, values: dict, row: int) -> None:
        group = checked.group
        if "active" in values:
            text = fold(values["active"])
            if text in ACTIVE_WORDS:
                checked.active = ACTIVE_WORDS[text]
            elif text in cf.TRUE_WORDS or text in cf.FALSE_WORDS:
                checked.active = text in cf.TRUE_WORDS if text else True
            else:
                self._error(group, row, "active", _l("Answer yes or no."))
        if "assigned_to" in values:
            text = fold(values["assigned_to"].strip())
            technician_id = None
            if text:
                found = self.user_ids.get(text, [])
                if not found:
                    self._error(group, row, "assigned_to", _l("No user is called %(name)s.",
                                                              name=values["assigned_to"]))
                    return
                if len(found) > 1:
                    self._error(group, row, "assigned_to", _l("Several users are called %(name)s: give the user name.",
                                                              name=values["assigned_to"]))
                    return
                technician_id = found[0]
            current = existing.assigned_to_id if existing is not None else None
            if technician_id != current:
                if not self.can[ASSIGN]:
                    self._error(group, row, "assigned_to", _l("You may not assign technicians."))
                    return
                checked.assigned = technician_id

    def _check_contacts(self, checked: Checked, existing) -> None:
        group = checked.group
        first_name = checked.clean.get("name") if checked.clean else None
        for position, (row, values) in enumerate(group.rows):
            if position > 0 and values.get("name") and first_name and fold(values["name"]) != fold(first_name):
                self._error(group, row, "name", _l(
                    "This row repeats customer number %(number)s with another name.", number=group.number))
            if not self.contact_keys:
                continue
            raw = {k[len("contact_"):]: values.get(k, "") for k in self.contact_keys}
            if not any(raw.values()):
                continue
            flag_problem = False
            for flag in ("is_main_contact", "send_service_protocol", "send_work_order"):
                if flag in raw and fold(raw[flag]) not in cf.TRUE_WORDS | cf.FALSE_WORDS:
                    self._error(group, row, f"contact_{flag}", _l("Answer yes or no."))
                    flag_problem = True
            clean, errors = rules.clean_contact(raw)
            for key, message in errors.items():
                self._error(group, row, f"contact_{key}", message)
            if not errors and not flag_problem:
                checked.contacts.append((row, clean, "is_main_contact" in raw))

    # -- writing: done by the command that runs the import (app/commands/imports.py) -------
    def _write(self, batch: list[Checked], progress: Callable) -> None:
        """Write the batch through `writer`, which calls `progress` inside the batch's transaction."""
        if self.writer is None:
            raise RuntimeError("an import that writes needs a writer")
        self.writer(self, batch, progress)

    # -- failed rows -------------------------------------------------------------------
    def _record_failures(self, group: Group) -> None:
        import csv as csv_module

        if self.failed_writer is None:
            resumed = self.failed.tell() > 0  # the failed rows of the interrupted run, header included
            self._failed_text = io.TextIOWrapper(self.failed, encoding="utf-8" if resumed else "utf-8-sig",
                                                 newline="", write_through=True)
            self.failed_writer = csv_module.writer(self._failed_text, delimiter=";", lineterminator="\r\n")
            if not resumed:
                self.failed_writer.writerow(self.table.headers + [str(_l("Error"))])
        by_row: dict[int, list[str]] = {}
        for row, key, message in group.errors:
            header = self.header_of.get(key) or (self.columns[key].title if key in self.columns else key)
            self.report.add_error(row, header, message)
            by_row.setdefault(row, []).append(f"{header}: {message}")
        for row, cells in group.raw_rows:
            messages = by_row.get(row) or [str(_l("Another row of this customer has an error."))]
            text_cells = [_failed_cell(c) for c in cells]
            text_cells += [""] * (len(self.table.headers) - len(text_cells))
            self.failed_writer.writerow(text_cells[: len(self.table.headers)] + [" ".join(messages)])
            self.report.failed_rows += 1
        self.report.failed_customers += 1

    def failed_rows_file(self) -> bytes | None:
        if self.failed_writer is None:
            if self.failed.tell() > 0:  # resumed, and no new failure yet
                self.failed.seek(0)
                return self.failed.read()
            return None
        self._failed_text.flush()
        self.failed.seek(0)
        return self.failed.read()

    # -- the passes --------------------------------------------------------------------
    def _pass(self, phase: str, write: bool, record: bool, skip: int = 0) -> None:
        done = skip
        total = self.table.total_rows
        for batch in self._batches(skip):
            self._load_letters()
            checked = self._check_batch(batch)
            good = [c for c in checked if c.ok]
            if self.dry_run:
                self.report.created += sum(1 for c in good if c.existing is None)
                self.report.updated += sum(1 for c in good if c.existing is not None)
            if record:
                self.report.customers += len(batch)
                self.report.rows += sum(len(g.rows) for g in batch)
                for item in checked:
                    if not item.ok:
                        self._record_failures(item.group)
            elif write:  # second pass: an error now means the data changed since the first pass
                for item in checked:
                    if not item.ok:
                        self._record_failures(item.group)
            done += sum(len(g.rows) for g in batch)
            if write and good:
                written_before = self.report.written
                self.report.written = True
                try:  # the batch and its progress commit together (a resumed run skips exactly these rows)
                    self._write(good, lambda done=done: self.progress(phase, done, total))
                except Invalid as exc:  # e.g. no free customer number left
                    self.session.rollback()
                    self.report.written = written_before
                    raise ImportFileInvalid(str(exc)) from None
            else:
                self.progress(phase, done, total)
                self.session.commit()  # the batch's objects are then unreferenced: memory stays flat

    def run(self, table: Table) -> ImportReport:
        try:
            self._prepare(table)
            if self.resume is not None:
                self._resume(self.resume)
            elif self.dry_run:
                self._pass("checking", write=False, record=True)
            elif self.valid_only:
                self._pass("writing", write=True, record=True)
            else:
                self._pass("checking", write=False, record=True)
                if self.report.ok:
                    self._pass("writing", write=True, record=False)
        except ImportFileInvalid as exc:
            self.session.rollback()
            self.report.file_error = str(exc.message)
        return self.report

    def _resume(self, point: ResumePoint) -> None:
        """The rest of the writing pass; the check pass (if any) was passed before."""
        columns = self.report.columns
        self.report = point.report
        self.report.columns = columns
        if point.failed_rows:
            self.failed.write(point.failed_rows)
        self._pass("writing", write=True, record=self.valid_only, skip=point.done_rows)


def _translations(label) -> set[str]:
    """`label` folded, in every offered language."""
    names = set()
    for language in current_app.config.get("LANGUAGES", {"sv": None, "en": None}):
        with force_locale(language):
            names.add(fold(str(label)))
    return names


def _failed_cell(value) -> str:
    if isinstance(value, FormulaCell):
        return "'" + str(value)
    text = cell_text(value) if not isinstance(value, str) else value
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def run_import(session, opener: Callable, filename: str, user=None, *, mode: str = INSERT, dry_run: bool = False,
               valid_only: bool = False, progress: Callable | None = None,
               writer: Callable | None = None) -> tuple[ImportReport, bytes | None]:
    """Import the file behind `opener`; returns the report and the failed-rows file (CSV) if any.

    Writing is done by `writer` (the import command); a dry run needs none.
    """
    importer = Importer(session, user, mode, dry_run, valid_only, progress, writer=writer)
    try:
        table = open_table(opener, filename)
    except ImportFileInvalid as exc:
        importer.report.file_error = str(exc.message)
        return importer.report, None
    report = importer.run(table)
    return report, importer.failed_rows_file()


def preview(opener: Callable, filename: str, rows: int = 10) -> tuple[list, list]:
    """The column mapping and the first `rows` rows (as text) of a file, for the upload page."""
    table = open_table(opener, filename)
    settings = get_settings()
    from ..extensions import db

    fields = cf.active_fields(db.session)
    mapping = map_headers(table.headers, importable_columns(settings, fields))
    first = []
    for _number, cells in table.rows():
        if not any(c is not None and str(c).strip() for c in cells):
            continue
        first.append([cell_text(c)[:200] for c in cells[: len(table.headers)]])
        if len(first) >= rows:
            break
    return mapping, first


def template_columns(settings, fields) -> list[Column]:
    """The columns of the downloadable template: everything that can be imported."""
    return [c for c in importable_columns(settings, fields) if c.importable]


def template_notes(column: Column) -> str:
    """What a template column accepts, in the current language."""
    if column.key == "customer_type":
        return str(_l("Company or Private"))
    if column.kind in ("bool", "cf_bool"):
        return str(_l("Yes or No"))
    if column.kind == "cf_date":
        return str(_l("Date as YYYY-MM-DD"))
    if column.key == "assigned_to":
        return str(_l("The user's full name, user name or e-mail"))
    if column.key == "discount_letters":
        return str(_l("Names of discount letters, separated by commas"))
    if column.key.startswith("contact_"):
        return str(_l("Further contacts: further rows with the same customer number"))
    if column.key == "customer_number":
        return str(_l("Leave empty to get the next number."))
    return ""
