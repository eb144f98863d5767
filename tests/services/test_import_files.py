"""Upload register (F24), the part that needs no database: reading CSV and XLSX files (encodings,
delimiters, hostile files) and mapping their headers to columns. Writing is in test_importer.py."""

import io
import zipfile

import openpyxl
import pytest

from app.services.importer import ImportFileInvalid, importable_columns, map_headers, open_table
from app.services.settings import SETTING_DEFS, Settings
from tests.services.test_importer import GOOD, HEADER, csv_bytes, xlsx_bytes

DEFAULT_SETTINGS = Settings({d.key: d.default for d in SETTING_DEFS})


def read(content: bytes, filename: str = "kunder.csv") -> tuple[list, list]:
    """The headers and every row of the file, as the importer reads them."""
    table = open_table(lambda: io.BytesIO(content), filename)
    return table.headers, [cells for _number, cells in table.rows()]


def refused(content: bytes, filename: str = "kunder.csv") -> str:
    """The message with which the file is refused, whether at opening or while reading its rows."""
    with pytest.raises(ImportFileInvalid) as error:
        read(content, filename)
    return str(error.value.message)


def mapped(headers: list[str], settings=DEFAULT_SETTINGS) -> list:
    return map_headers(headers, importable_columns(settings, []))


# -- reading ------------------------------------------------------------------------------------


@pytest.mark.parametrize("delimiter,encoding", [
    (";", "utf-8-sig"), (",", "utf-8-sig"), (";", "utf-8"), (",", "utf-8"), (";", "cp1252"), (",", "cp1252"),
    ("\t", "utf-8"),
])
def test_csv_in_every_encoding_and_delimiter(bare_context, delimiter, encoding):
    headers, rows = read(csv_bytes([HEADER, *GOOD], delimiter, encoding))
    assert headers == HEADER
    assert rows == GOOD


def test_xlsx_cells_keep_their_types(bare_context):
    headers, rows = read(xlsx_bytes([["Kundnummer", "Namn", "Postnummer"], [5003, "Typad AB", 11455]]),
                         "kunder.xlsx")
    assert headers == ["Kundnummer", "Namn", "Postnummer"]
    assert rows == [[5003, "Typad AB", 11455]]


@pytest.mark.parametrize("content,filename,message", [
    (bytes(range(256)) * 64, "kunder.xlsx", "Filen är inte en giltig Excelfil."),
    (bytes(range(256)) * 64, "kunder.csv", "Filen är varken en CSV- eller en Excelfil."),
    (b"PK\x03\x04" + b"\x00" * 500, "kunder.xlsx", "Filen är inte en giltig Excelfil."),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500, "kunder.xls",
     "Gamla Excelfiler (.xls) kan inte läsas: spara filen som .xlsx eller CSV."),
    (b"", "tom.csv", "Första raden ska innehålla kolumnernas namn."),
    (b"Namn\nNolla\x00AB\n", "kunder.csv", "Filen är varken en CSV- eller en Excelfil."),  # a NUL byte
])
def test_binary_junk_is_refused_with_a_message(bare_context, content, filename, message):
    assert refused(content, filename) == message


def test_a_zip_that_is_not_a_workbook_is_refused(bare_context):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hej.txt", "hej")
    assert refused(buffer.getvalue(), "kunder.xlsx") == "Filen är inte en giltig Excelfil."


def test_a_zip_bomb_is_refused_before_it_is_unpacked(bare_context):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (200 * 1024 * 1024))
    content = buffer.getvalue()
    assert len(content) < 1024 * 1024
    assert "zipbomb" in refused(content, "bomb.xlsx")


def test_a_hundred_thousand_columns_are_refused(bare_context):
    header = ["Namn"] + [f"k{i}" for i in range(100_000)]
    message = refused(csv_bytes([header, ["A"] + ["1"] * 100_000]))
    assert message == "Filen har 100001 kolumner; högst 500 kan importeras."
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(header[:16_384])  # the most columns a worksheet can have
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert refused(buffer.getvalue(), "bred.xlsx") == "Filen har 16384 kolumner; högst 500 kan importeras."


def test_a_crafted_worksheet_row_of_a_hundred_thousand_cells_is_refused_before_it_is_unpacked(bare_context):
    buffer = io.BytesIO()
    openpyxl.Workbook().save(buffer)
    crafted = io.BytesIO()
    cells = "".join('<c t="inlineStr"><is><t>k</t></is></c>' for _ in range(100_000))
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source, zipfile.ZipFile(crafted, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                empty = b"<sheetData></sheetData>"  # what openpyxl writes for an empty sheet
                assert empty in data
                data = data.replace(empty, f"<sheetData><row r=\"1\">{cells}</row></sheetData>".encode())
            target.writestr(item, data)
    assert "zipbomb" in refused(crafted.getvalue(), "bred.xlsx")


def test_huge_cells_and_lines_are_refused_while_reading(bare_context):
    assert refused(csv_bytes([["Namn", "Kommentar"], ["A", "x" * 200_000]])).startswith("Rad 2 kunde inte läsas")
    assert refused(b"Namn\n" + b"x" * 2_000_000) == "En rad är längre än 1000000 tecken."


# -- mapping headers ----------------------------------------------------------------------------


def test_headers_are_case_insensitive_in_swedish_or_english_with_aliases(bare_context):
    headers = ["KUNDNR", "company name", "ORG.NR", "Zip", "postort", "Kontakt", "e-mail", "Mobil", "besöksadress",
               "Visiting address: City", "Customer type"]
    assert [m.key for m in mapped(headers)] == [
        "customer_number", "name", "identity_number", "invoice_postcode", "invoice_city", "contact_name",
        "contact_email", "contact_phone", "visiting_street", "visiting_city", "customer_type"]
    assert all(m.label for m in mapped(headers))


def test_unknown_and_read_only_columns_are_ignored_and_said_so(bare_context):
    name, shoe_size, created = mapped(["Namn", "Skostorlek", "Skapad"])
    assert (name.key, name.note) == ("name", None)
    assert (shoe_size.key, str(shoe_size.note)) == (None, "Okänd; hoppas över.")
    assert (created.key, created.label, str(created.note)) == (None, "Skapad", "Kan inte ändras; hoppas över.")


def test_two_columns_meaning_the_same_refuse_the_file(bare_context):
    with pytest.raises(ImportFileInvalid) as error:
        mapped(["Namn", "Företagsnamn"])
    assert str(error.value.message) == "Kolumnerna Namn och Företagsnamn betyder båda Namn."


def test_columns_of_settings_that_are_off_are_not_recognised(bare_context):
    assert [m.key for m in mapped(["Namn", "Momstyp"])] == ["name", None]
    with_vat = Settings({**DEFAULT_SETTINGS, "show_vat_type": True})
    assert [m.key for m in mapped(["Namn", "Momstyp"], with_vat)] == ["name", "vat_type"]


def test_shared_strings_beyond_what_one_import_may_hold_are_refused_before_they_are_read(bare_context):
    """Issue 17 item 1: a modest ratio (about 10:1, far below the zip-bomb ratio) and a total far
    below the total cap, but more text than an import may hold in memory: refused at once."""
    import time

    buffer = io.BytesIO()
    openpyxl.Workbook().save(buffer)
    strings = "".join(f"<si><t>Kund {i} AB</t></si>" for i in range(2_200_000))
    shared = (f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="2200000" '
              f'uniqueCount="2200000">{strings}</sst>').encode()
    assert len(shared) > 45 * 1024 * 1024
    crafted = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source, \
            zipfile.ZipFile(crafted, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item.filename, source.read(item.filename))
        target.writestr("xl/sharedStrings.xml", shared)
    content = crafted.getvalue()
    assert len(shared) < 200 * len(content)  # the zip-bomb ratio alone lets it through
    started = time.monotonic()
    message = refused(content, "text.xlsx")
    assert time.monotonic() - started < 2
    assert message.startswith("Filen innehåller mer text än en import kan läsa")
