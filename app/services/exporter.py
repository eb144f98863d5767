"""Export the customer list (F22): the list as the user sees it, streamed.

The rows are exactly the list's: its search, filters and sort, the user's columns (or all
columns), and only the customers the user may see (`search.filtered_query` applies the
row rights). Customers are fetched in batches (`yield_per`) with their relationships
loaded per batch, and written as they come, so memory stays flat whatever the size:
CSV is streamed to the client chunk by chunk; XLSX is written by XlsxWriter in its
constant-memory mode (each row goes to disk as it is written) to a temporary file, which is
then streamed.

CSV: semicolon separated, UTF-8 with BOM so that Excel opens it; a cell that a spreadsheet
would run (starting with = + - @, tab or carriage return) gets a leading apostrophe. The
import takes the apostrophe away again, so the file re-imports cleanly. In XLSX such text
is written as a text cell, never a formula.
"""

import csv
import datetime
import io
import re
import tempfile
from collections.abc import Iterator
from decimal import Decimal

import xlsxwriter
from flask_babel import lazy_gettext as _l
from sqlalchemy import text

from .list_choice import ListRequest
from .list_columns import Column, ColumnContext, SqlJoins, cell_value, text_value
from .search import filtered_query, ordered

FORMATS = ("csv", "xlsx")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BATCH = 1000
CHUNK = 64 * 1024


class ExportInvalid(ValueError):
    pass


def neutralise(text: str) -> str:
    """Text a spreadsheet shows as text, never runs (formula/DDE injection)."""
    return "'" + text if text and text.startswith(FORMULA_START) else text


def export_columns(listing: ListRequest, all_columns: bool) -> list[Column]:
    return list(listing.available) if all_columns else list(listing.columns)


def customers_for_export(session, listing: ListRequest, user, columns, *, unscoped: bool = False) -> Iterator:
    """The list's customers in the list's order, each as a `RowValues` of `columns`.

    One query with the joins the columns need, read `BATCH` rows at a time (a server-side
    cursor on PostgreSQL): plain rows, not ORM objects, so a million rows stream quickly.
    """
    dialect = session.get_bind().dialect.name
    joins = SqlJoins(dialect)
    parts = [column.sql(joins) for column in columns]
    query = filtered_query(listing.search, user, listing.fields, dialect, unscoped=unscoped)
    query = ordered(query, listing.search)
    query = query.with_only_columns(*(e for part in parts for e in part)).select_from(joins.from_clause())
    widths = [len(part) for part in parts]
    if dialect == "postgresql":
        # The whole result is read: plan for all rows (not a cursor's first 10 %), and without
        # JIT compilation, which costs more than it saves on these joins.
        session.execute(text("SET LOCAL cursor_tuple_fraction = 1.0"))
        session.execute(text("SET LOCAL jit = off"))
    result = session.execute(query.execution_options(yield_per=BATCH))
    for row in result:
        yield RowValues(row, widths)


class RowValues:
    """One exported row: the values of each column's SQL expressions, in column order."""

    __slots__ = ("row", "widths")

    def __init__(self, row, widths):
        self.row, self.widths = row, widths

    def values(self, columns, ctx):
        position, result = 0, []
        for column, width in zip(columns, self.widths, strict=True):
            result.append(column.from_row(self.row[position:position + width], ctx))
            position += width
        return result


def _values(customer, columns, ctx) -> list:
    """A row's raw values: from a `RowValues`, or from a Customer object (tests, small callers)."""
    if isinstance(customer, RowValues):
        return customer.values(columns, ctx)
    return [column.value(customer, ctx) for column in columns]


def header_row(columns) -> list[str]:
    return [column.title for column in columns]


def csv_chunks(columns, customers, ctx: ColumnContext) -> Iterator[bytes]:
    """The CSV file in chunks of about 64 KB; starts with the UTF-8 byte-order mark."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow([neutralise(title) for title in header_row(columns)])
    labels = ctx.labels
    for customer in customers:
        writer.writerow([neutralise(text_value(c, v, labels)) for c, v in zip(columns, _values(customer, columns, ctx),
                                                                               strict=True)])
        if buffer.tell() >= CHUNK:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


# Characters XML 1.0 cannot hold (control characters but tab, newline and carriage return).
ILLEGAL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Every string is written as a string: never a formula, a link or a number by its looks.
XLSX_OPTIONS = {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                "strings_to_numbers": False, "remove_timezone": True}


def write_xlsx(target, columns, customers, ctx: ColumnContext, title=None) -> None:
    """Write the XLSX file to `target` (a path or a binary file), row by row in constant memory."""
    workbook = xlsxwriter.Workbook(target, XLSX_OPTIONS)
    formats = {datetime.date: workbook.add_format({"num_format": "yyyy-mm-dd"}),
               datetime.datetime: workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})}
    sheet = workbook.add_worksheet(str(title or _l("Customers"))[:31])

    def write_row(row_number, values):
        for column_number, value in enumerate(values):
            if value is None:
                continue
            if isinstance(value, str):
                sheet.write_string(row_number, column_number, ILLEGAL_CHARACTERS.sub("", value))
            elif isinstance(value, bool):
                sheet.write_boolean(row_number, column_number, value)
            elif isinstance(value, (int, float, Decimal)):
                sheet.write_number(row_number, column_number, float(value))
            elif isinstance(value, datetime.datetime):
                sheet.write_datetime(row_number, column_number, value, formats[datetime.datetime])
            elif isinstance(value, datetime.date):
                sheet.write_datetime(row_number, column_number, value, formats[datetime.date])
            else:
                sheet.write_string(row_number, column_number, str(value))

    write_row(0, [str(t) for t in header_row(columns)])
    labels = ctx.labels
    for row_number, customer in enumerate(customers, start=1):
        write_row(row_number, [cell_value(c, v, labels)
                               for c, v in zip(columns, _values(customer, columns, ctx), strict=True)])
    workbook.close()


def xlsx_file(columns, customers, ctx: ColumnContext):
    """The XLSX export in a temporary file (deleted when closed), positioned at its start."""
    handle = tempfile.TemporaryFile()
    write_xlsx(handle, columns, customers, ctx)
    handle.seek(0)
    return handle


def file_chunks(handle, size: int = CHUNK) -> Iterator[bytes]:
    try:
        while chunk := handle.read(size):
            yield chunk
    finally:
        handle.close()


def export_to_path(session, listing: ListRequest, user, path, fmt: str, all_columns: bool = True,
                   unscoped: bool = False) -> int:
    """Write an export to `path` (CLI); returns how many customers it holds."""
    if fmt not in FORMATS:
        raise ExportInvalid(fmt)
    columns = export_columns(listing, all_columns)
    count = 0

    def counted():
        nonlocal count
        for customer in customers_for_export(session, listing, user, columns, unscoped=unscoped):
            count += 1
            yield customer

    if fmt == "csv":
        with open(path, "wb") as handle:
            for chunk in csv_chunks(columns, counted(), listing.context):
                handle.write(chunk)
    else:
        write_xlsx(path, columns, counted(), listing.context)
    return count
