"""Reading an uploaded register (F24): CSV or XLSX as rows of cells, hostile files refused.

Zip bombs are refused from the central directory before openpyxl opens the file; binary
junk, too many columns, huge cells or lines and formulas are refused with a message.
"""

import codecs
import csv
import datetime
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from decimal import Decimal

from flask_babel import lazy_gettext as _l

MAX_COLUMNS = 500
MAX_CELL = 10_000  # characters
MAX_LINE = 1_000_000  # characters in one physical CSV line
MAX_ROWS = 1_000_000
MAX_ERRORS_KEPT = 2_000  # in the report; the failed-rows file has every error
# Zip bomb guard, checked on the central directory before openpyxl opens the file. The
# declared sizes bind: zipfile stops at the declared size and then fails the CRC check.
ZIP_MAX_MEMBERS = 10_000
# What an accepted XLSX may unpack to in all (a 100k-row register is about 100 MB of XML; the
# sheet itself is streamed, never held) …
ZIP_MAX_TOTAL = 300 * 1024 * 1024
# … and its shared strings, which openpyxl holds in memory as one Python string each: the
# part that decides how much memory reading the file takes (issue 17 item 1).
XLSX_MAX_SHARED_STRINGS = 40 * 1024 * 1024
ZIP_MAX_RATIO = 200
ZIP_RATIO_FROM = 1024 * 1024  # smaller members cannot hurt whatever their ratio

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
NEUTRALISED = re.compile(r"^'[=+\-@\t\r]")
# A CSV cell that a spreadsheet would run: a formula, or a DDE call such as +cmd|' /C calc'!A0.
CSV_FORMULA = re.compile(r"^\s*(=|[+\-@].*\|)")


class ImportFileInvalid(ValueError):
    """The file cannot be imported at all; `message` says why."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


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
        shared = [m for m in members if m.filename.lower() == "xl/sharedstrings.xml"]
        if sum(m.file_size for m in shared) > XLSX_MAX_SHARED_STRINGS:
            raise ImportFileInvalid(_l(
                "The file holds more text than one import can read (%(mb)s MB unpacked, at most %(max)s MB): "
                "split it into smaller files.",
                mb=sum(m.file_size for m in shared) // (1024 * 1024), max=XLSX_MAX_SHARED_STRINGS // (1024 * 1024)))
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
