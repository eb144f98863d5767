"""Checking a register row by row (F24), and running the passes of an import.

The check pass validates every customer (a group of rows) with the same rules as the form;
the writing pass hands each batch of valid customers to the import command
(`app/commands/imports.py`), which writes it through the customer commands.
"""

import io
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ...database import fold
from ...errors import Invalid
from ...models.customer import ADDRESS_KINDS, COMPANY, INVOICE, PRIVATE, Customer
from ...models.discount import DiscountLetter
from ...security.access import SYSTEM, holds
from ...security.rights import ASSIGN, CREATE, EDIT
from .. import custom_fields as cf
from .. import customers as rules
from ..duplicates import find_duplicates_many, identity_key, name_key
from ..numbering import check_customer_number
from ..scope import scoped
from ..settings import get_settings
from .files import (
    CONTROL_CHARACTERS,
    CSV_FORMULA,
    MAX_CELL,
    MAX_ROWS,
    FormulaCell,
    ImportFileInvalid,
    Table,
    cell_text,
    open_table,
)
from .headers import _translations, importable_columns, map_headers
from .report import INSERT, MODES, UPDATE, UPSERT, ImportReport

# Further words for a choice value, besides its code and its label in every offered language.
CHOICE_WORDS = {
    "customer_type": {
        COMPANY: {"company", "företag", "foretag", "f", "c", "business", "organisation", "org"},
        PRIVATE: {"private", "privat", "p", "person", "privatperson", "consumer"},
    },
}
ACTIVE_WORDS = {"active": True, "aktiv": True, "inactive": False, "inaktiv": False}


class ImportNotAllowed(PermissionError):
    pass


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
    duplicates: list = field(default_factory=list)  # existing customers a new one may duplicate

    @property
    def ok(self) -> bool:
        return not self.group.errors


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
                 resume: ResumePoint | None = None, allow_duplicates: bool = False):
        if mode not in MODES:
            raise ValueError(mode)
        self.session = session
        self.user = user
        self.mode, self.dry_run, self.valid_only = mode, dry_run, valid_only
        # Insert mode refuses a new customer that looks like an existing one, unless allowed;
        # the other modes (and an allowed insert) list it in the report and write it.
        self.allow_duplicates = allow_duplicates
        self.seen: dict = {}  # duplicate keys of the file's new customers -> their first row
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
        from ..assignment import assignable_users  # staff only: portal logins are never technicians (F20)

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
        checked = [self._check(group, editable, in_use) for group in batch]
        self._check_duplicates([c for c in checked if c.existing is None and c.clean is not None and c.ok])
        return checked

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

    def _check_duplicates(self, new: list[Checked]) -> None:
        """New customers that look like stored ones, or like an earlier new one of this file
        (compared by the same keys): listed, or refused in insert mode unless allowed."""
        wanted = []
        for checked in new:
            clean = checked.clean
            invoice = checked.addresses.get(INVOICE) or {}
            wanted.append((clean.get("identity_number"), clean.get("name"),
                           clean.get("invoice_postcode") or invoice.get("postcode")))
        for checked, values, matches in zip(new, wanted, find_duplicates_many(self.session, wanted), strict=True):
            row = checked.group.rows[0][0]
            names = [f"{m.customer_number} {m.name}" for m in matches]
            keys = [k for k in (("i", identity_key(values[0])), ("n", name_key(values[1]), values[2]))
                    if k[1] and (k[0] == "i" or k[2])]
            earlier = next((self.seen[k] for k in keys if self.seen.get(k, row) != row), None)
            if earlier is not None:
                names.append(str(_l("row %(row)s of the file", row=earlier)))
            for k in keys:
                self.seen.setdefault(k, row)
            if not names:
                continue
            checked.duplicates = names  # the writer records in history that it was allowed
            text = "; ".join(names)
            key = "identity_number" if any(m.reason == "identity" for m in matches) or (
                earlier is not None and keys[0][0] == "i") else "name"
            if self.mode == INSERT and not self.allow_duplicates:
                self._error(checked.group, row, key, _l("This customer may already exist: %(customers)s. "
                                                        "Allow possible duplicates to import it anyway.",
                                                        customers=text))
            else:
                self.report.add_duplicate(row, values[1] or "", text)

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
        self.seen = {}
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


def _failed_cell(value) -> str:
    if isinstance(value, FormulaCell):
        return "'" + str(value)
    text = cell_text(value) if not isinstance(value, str) else value
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def run_import(session, opener: Callable, filename: str, user=None, *, mode: str = INSERT, dry_run: bool = False,
               valid_only: bool = False, progress: Callable | None = None,
               writer: Callable | None = None, allow_duplicates: bool = False) -> tuple[ImportReport, bytes | None]:
    """Import the file behind `opener`; returns the report and the failed-rows file (CSV) if any.

    Writing is done by `writer` (the import command); a dry run needs none.
    """
    importer = Importer(session, user, mode, dry_run, valid_only, progress, writer=writer,
                        allow_duplicates=allow_duplicates)
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
    from ...extensions import db

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
