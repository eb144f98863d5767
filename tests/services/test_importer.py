"""Upload register (F24): the import service, on SQLite and PostgreSQL."""

import csv
import datetime
import io

import openpyxl
import pytest
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import func, select

from app.commands import import_register
from app.extensions import db
from app.models import Contact, Customer, CustomFieldDefinition, DiscountLetter, NumberSequence
from app.security.access import SYSTEM
from app.services.importer import ImportNotAllowed
from tests.conftest import ctx, new_customer, set_settings

HEADER = ["Kundnummer", "Namn", "Kundtyp", "Organisationsnummer", "Gatuadress", "Postnummer", "Ort",
          "Kontaktperson", "E-post", "Telefon"]
GOOD = [
    ["5001", "Åkesson Rör AB", "Företag", "556036-0793", "Storgatan 1", "114 55", "Stockholm", "Anna Ek",
     "anna@akesson.se", "070-123 45 67"],
    ["5002", "Örjan Öberg", "Privat", "19811228-9874", "Ängsvägen 2", "41104", "Göteborg", "", "", ""],
]


def csv_bytes(rows, delimiter=";", encoding="utf-8-sig") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def do_import(app, content: bytes, filename="kunder.csv", user="admin", **options):
    with ctx(app):
        acting = db.session.get(User, app.user_ids[user]) if user else None
        return import_register(db.session, lambda: io.BytesIO(content), filename, acting, **options)


def register(app) -> dict:
    with ctx(app):
        result = {}
        for customer in db.session.execute(select(Customer)).scalars():
            invoice = customer.address("invoice")
            result[customer.customer_number] = {
                "name": customer.name, "type": customer.customer_type, "identity": customer.identity_number,
                "postcode": invoice.postcode if invoice else None, "city": invoice.city if invoice else None,
                "contacts": sorted((c.name, c.email or "", c.phone or "", c.is_main_contact) for c in customer.contacts),
                "active": customer.active, "assigned": customer.assigned_to_id,
                "letters": sorted(d.name for d in customer.discount_letters),
                "custom": {v.field_id: v.value for v in customer.custom_values},
                "visiting": repr(customer.address("visiting")) if customer.address("visiting") else None,
            }
        return result


def count(app, model=Customer) -> int:
    with ctx(app):
        return db.session.execute(select(func.count()).select_from(model)).scalar()


# -- encodings, delimiters, formats, headers ------------------------------------------------


def test_a_csv_from_swedish_excel_is_imported_whole(app):
    """Every encoding and delimiter is read alike (test_import_files.py); this one goes all the way in."""
    report, failed = do_import(app, csv_bytes([HEADER, *GOOD], ";", "cp1252"))
    assert report.ok and report.written and failed is None, report
    customers = register(app)
    assert customers["5001"]["name"] == "Åkesson Rör AB"
    assert customers["5002"] == {**customers["5002"], "name": "Örjan Öberg", "type": "private",
                                 "identity": "19811228-9874", "postcode": "41104", "city": "Göteborg"}
    assert customers["5001"]["contacts"] == [("Anna Ek", "anna@akesson.se", "070-123 45 67", True)]


def test_xlsx_with_typed_cells(app):
    with ctx(app):
        field = CustomFieldDefinition(label="Avtal förnyas", field_type="date")
        flag = CustomFieldDefinition(label="Nyckel finns", field_type="boolean")
        db.session.add_all([field, flag])
        db.session.commit()
        field_id, flag_id = field.id, flag.id
    rows = [HEADER + ["Avtal förnyas", "Nyckel finns"],
            [5003, "Typad AB", "Företag", 5560360793, "Gatan 3", 11455, "Stockholm", "Per", None, 46701234567,
             datetime.datetime(2027, 4, 1), True]]
    report, _failed = do_import(app, xlsx_bytes(rows), "kunder.xlsx")
    assert report.ok, report.errors
    customer = register(app)["5003"]
    assert customer["identity"] == "556036-0793" and customer["postcode"] == "11455"
    assert customer["custom"] == {field_id: "2027-04-01", flag_id: "1"}
    assert customer["contacts"] == [("Per", "", "46701234567", True)]


def test_headers_are_case_insensitive_in_swedish_or_english_with_aliases(app):
    header = ["KUNDNR", "company name", "ORG.NR", "Zip", "postort", "Kontakt", "e-mail", "Mobil", "besöksadress",
              "Visiting address: City"]
    row = ["5010", "Alias AB", "556036-0793", "11455", "Stockholm", "Eva", "eva@alias.se", "0701234567",
           "Besöksgatan 9", "Solna"]
    report, _ = do_import(app, csv_bytes([header, row]))
    assert report.ok, report.errors
    customer = register(app)["5010"]
    assert (customer["name"], customer["identity"], customer["postcode"], customer["city"]) == (
        "Alias AB", "556036-0793", "11455", "Stockholm")
    assert customer["contacts"] == [("Eva", "eva@alias.se", "0701234567", True)]
    assert customer["visiting"] == "Besöksgatan 9, Solna"
    assert all(label for _h, label, _note in report.columns)


def test_a_refused_file_writes_nothing_and_has_no_failed_rows_file(app):
    """Refused on opening, on its headers or while its rows are read (the reasons: test_import_files.py)."""
    for content, message in [
        (bytes(range(256)) * 64, "Filen är varken en CSV- eller en Excelfil."),
        (csv_bytes([["Namn", "Företagsnamn"], ["A", "B"]]), "Kolumnerna Namn och Företagsnamn betyder båda Namn."),
        (csv_bytes([["Namn"], ["Bra AB"], ["x" * 1_000_001]]), "En rad är längre än 1000000 tecken."),
    ]:
        report, failed = do_import(app, content)
        assert (report.file_error, report.written, failed) == (message, False, None)
    assert count(app) == 0


# -- modes --------------------------------------------------------------------------------------


def test_insert_generates_numbers_and_refuses_numbers_in_use(app):
    new_customer(app, name="Finns AB", customer_number="5001")
    report, failed = do_import(app, csv_bytes([HEADER, *GOOD, ["", "Utan nummer AB"] + [""] * 8]))
    assert not report.ok and not report.written
    assert [(e.row, e.column) for e in report.errors] == [(2, "Kundnummer")]
    assert count(app) == 1
    assert "Kundnummer" in failed.decode("utf-8-sig").splitlines()[1]
    report, _ = do_import(app, csv_bytes([HEADER, *GOOD[1:], ["", "Utan nummer AB"] + [""] * 8]))
    assert report.ok and report.created == 2
    numbers = set(register(app))
    assert {"5001", "5002"} <= numbers and len(numbers) == 3
    generated = (numbers - {"5001", "5002"}).pop()
    assert int(generated) > 5002  # generated numbers continue after the file's highest number


def test_rows_without_number_are_refused_when_numbers_are_not_generated(app):
    set_settings(app, auto_customer_number=False)
    report, _ = do_import(app, csv_bytes([["Kundnummer", "Namn"], ["", "A"], ["7001", "B"]]))
    assert [(e.row, e.column) for e in report.errors] == [(2, "Kundnummer")] and count(app) == 0
    report, _ = do_import(app, csv_bytes([["Namn"], ["A"]]))
    assert report.file_error and count(app) == 0


def test_update_changes_only_the_columns_in_the_file(app):
    customer_id = new_customer(app, name="Gammal AB", customer_number="6001", identity_number="556036-0793",
                               invoice_street="Gatan 1", invoice_postcode="11455", invoice_city="Stockholm",
                               comment="Behåll mig")
    report, _ = do_import(app, csv_bytes([["Kundnummer", "Namn", "Ort", "Organisationsnummer"],
                                          ["6001", "Ny AB", "Solna", ""]]), mode="update")
    assert report.ok and report.updated == 1 and report.created == 0
    with ctx(app):
        customer = db.session.get(Customer, customer_id)
        invoice = customer.address("invoice")
        assert (customer.name, customer.identity_number, customer.comment) == ("Ny AB", None, "Behåll mig")
        assert (invoice.street, invoice.postcode, invoice.city) == ("Gatan 1", "11455", "Solna")


def test_update_refuses_unknown_numbers_and_rows_without_number(app):
    new_customer(app, name="A", customer_number="6001")
    report, _ = do_import(app, csv_bytes([["Kundnummer", "Namn"], ["6001", "B"], ["6999", "C"], ["", "D"]]),
                          mode="update")
    assert sorted((e.row, e.column) for e in report.errors) == [(3, "Kundnummer"), (4, "Kundnummer")]
    assert register(app)["6001"]["name"] == "A"


def test_upsert_updates_and_adds(app):
    new_customer(app, name="A", customer_number="6001")
    report, _ = do_import(app, csv_bytes([["Kundnummer", "Namn"], ["6001", "A2"], ["6002", "B"]]), mode="upsert")
    assert report.ok and (report.created, report.updated) == (1, 1)
    assert {k: v["name"] for k, v in register(app).items()} == {"6001": "A2", "6002": "B"}


def test_update_matches_contacts_and_never_deletes_them(app):
    customer_id = new_customer(app, name="K AB", customer_number="6001")
    with ctx(app):
        from app.commands import save_contact

        customer = db.session.get(Customer, customer_id)
        save_contact(customer, {"name": "Anna", "email": "anna@k.se", "is_main_contact": True}, by=SYSTEM)
        save_contact(customer, {"name": "Bo"}, by=SYSTEM)
    rows = [["Kundnummer", "Kontaktperson", "E-post", "Telefon", "Kontaktperson: huvudkontakt"],
            ["6001", "Anna Andersson", "anna@k.se", "08-1", "nej"],
            ["6001", "Cilla", "cilla@k.se", "", "ja"]]
    report, _ = do_import(app, csv_bytes(rows), mode="update")
    assert report.ok and report.contacts == 1, report.errors
    assert register(app)["6001"]["contacts"] == [
        ("Anna Andersson", "anna@k.se", "08-1", False), ("Bo", "", "", False), ("Cilla", "cilla@k.se", "", True)]


# -- dry run, all or nothing, valid rows only ----------------------------------------------------


BAD = ["5003", "Fel AB", "Företag", "556036-0794", "", "999", "", "Kalle", "inte-en-adress", ""]


def test_a_dry_run_validates_everything_and_writes_nothing(app):
    with ctx(app):
        sequence_before = db.session.execute(select(func.count()).select_from(NumberSequence)).scalar()
    report, failed = do_import(app, csv_bytes([HEADER, *GOOD, BAD, ["", "Ny AB"] + [""] * 8]), dry_run=True)
    assert report.dry_run and not report.written and (report.created, report.customers) == (3, 4)
    assert sorted((e.row, e.column) for e in report.errors) == [
        (4, "E-post"), (4, "Organisationsnummer"), (4, "Postnummer")]
    assert failed is not None and count(app) == 0 and count(app, Contact) == 0
    with ctx(app):
        assert db.session.execute(select(func.count()).select_from(NumberSequence)).scalar() == sequence_before


def test_by_default_a_file_with_an_error_writes_nothing(app):
    report, failed = do_import(app, csv_bytes([HEADER, *GOOD, BAD]))
    assert not report.ok and not report.written and count(app) == 0
    assert report.error_count == 3 and {e.row for e in report.errors} == {4}
    rows = list(csv.reader(io.StringIO(failed.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:-1] == HEADER and rows[1][:2] == ["5003", "Fel AB"]  # and an error column
    assert "Organisationsnummer:" in rows[1][-1] and "Postnummer:" in rows[1][-1] and len(rows) == 2


def test_valid_only_imports_the_valid_customers_and_reports_the_rest(app):
    report, failed = do_import(app, csv_bytes([HEADER, *GOOD, BAD]), valid_only=True)
    assert report.written and not report.ok and (report.created, report.failed_customers) == (2, 1)
    assert sorted(register(app)) == ["5001", "5002"]
    assert failed.decode("utf-8-sig").count("\r\n") == 2


def test_a_customer_is_never_half_written(app):
    rows = [HEADER, GOOD[0], ["5001", "", "", "", "", "", "", "Bo", "fel-adress", ""], GOOD[1]]
    report, _ = do_import(app, csv_bytes(rows), valid_only=True)
    assert [(e.row, e.column) for e in report.errors] == [(3, "E-post")]
    assert sorted(register(app)) == ["5002"] and count(app, Contact) == 0
    assert report.failed_rows == 2  # both rows of 5001 are in the failed-rows file


def test_further_rows_carry_further_contacts_and_must_follow_each_other(app):
    rows = [HEADER, GOOD[0], ["5001", "", "", "", "", "", "", "Bo Ek", "bo@akesson.se", ""], GOOD[1],
            ["5001", "", "", "", "", "", "", "Cia", "", ""]]
    report, _ = do_import(app, csv_bytes(rows))
    assert [(e.row, e.column) for e in report.errors] == [(5, "Kundnummer")] and count(app) == 0
    report, _ = do_import(app, csv_bytes(rows[:4]))
    assert report.ok and report.contacts == 2
    assert [c[0] for c in register(app)["5001"]["contacts"]] == ["Anna Ek", "Bo Ek"]


def test_a_further_row_with_another_name_is_an_error(app):
    rows = [HEADER, GOOD[0], ["5001", "Helt Annat AB", "", "", "", "", "", "Bo", "", ""]]
    report, _ = do_import(app, csv_bytes(rows))
    assert [(e.row, e.column) for e in report.errors] == [(3, "Namn")]


# -- custom fields, discount letters, technicians, rights ---------------------------------------


def test_custom_fields_letters_and_technician_by_name(app):
    with ctx(app):
        field = CustomFieldDefinition(label="Bransch", field_type="choice", choices="Fastighet\nIndustri")
        db.session.add_all([field, DiscountLetter(name="Storkund"), DiscountLetter(name="Avtalskund 10 %")])
        db.session.commit()
        field_id = field.id
    header = ["Namn", "Bransch", "Rabattbrev", "Tilldelad tekniker", "Aktiv"]
    rows = [header, ["A AB", "Industri", "storkund, Avtalskund 10 %", "Tech Testsson", "Nej"],
            ["B AB", "Bageri", "Okänt brev", "Ingen Alls", "kanske"]]
    report, _ = do_import(app, csv_bytes(rows))
    assert sorted((e.row, e.column) for e in report.errors) == [
        (3, "Aktiv"), (3, "Bransch"), (3, "Rabattbrev"), (3, "Tilldelad tekniker")]
    report, _ = do_import(app, csv_bytes(rows[:2]))
    assert report.ok, report.errors
    customer = next(iter(register(app).values()))
    assert customer["custom"] == {field_id: "Industri"}
    assert customer["letters"] == ["Avtalskund 10 %", "Storkund"]
    assert customer["assigned"] == app.user_ids["tech"] and customer["active"] is False


def test_an_ambiguous_technician_name_is_an_error(app):
    with ctx(app):
        sm = app.appbuilder.sm
        sm.add_user("tech3", "Tech", "Testsson", "tech3@exempel.se", [sm.find_role("Technician")], password="x" * 12)
    report, _ = do_import(app, csv_bytes([["Namn", "Tekniker"], ["A", "Tech Testsson"]]))
    assert [e.column for e in report.errors] == ["Tekniker"]
    report, _ = do_import(app, csv_bytes([["Namn", "Tekniker"], ["A", "tech3"]]))
    assert report.ok and next(iter(register(app).values()))["assigned"] != app.user_ids["tech"]


@pytest.mark.parametrize("user,mode", [("reader", "insert"), ("tech", "insert"), ("tech", "update"),
                                       ("reader", "upsert")])
def test_only_users_with_create_or_edit_may_import(app, user, mode):
    with pytest.raises(ImportNotAllowed):
        do_import(app, csv_bytes([HEADER, *GOOD]), user=user, mode=mode)
    assert count(app) == 0


def test_a_manager_may_import_and_the_cli_system_user_too(app):
    assert do_import(app, csv_bytes([HEADER, GOOD[0]]), user="manager")[0].ok
    assert do_import(app, csv_bytes([HEADER, GOOD[1]]), user=None)[0].ok
    assert count(app) == 2


def test_assigning_a_technician_needs_the_assign_right(app):
    with ctx(app):
        sm = app.appbuilder.sm
        role = sm.add_role("Creator")
        for permission in ("can_create", "can_view"):
            sm.add_permission_role(role, sm.find_permission_view_menu(permission, "Customer"))
        sm.add_user("creator", "Cre", "Ator", "creator@exempel.se", [role], password="x" * 12)
        app.user_ids["creator"] = sm.find_user(username="creator").id
    report, _ = do_import(app, csv_bytes([["Namn", "Tekniker"], ["A", "tech"]]), user="creator")
    assert [e.column for e in report.errors] == ["Tekniker"] and count(app) == 0
    assert do_import(app, csv_bytes([["Namn"], ["A"]]), user="creator")[0].ok


# -- hostile input ----------------------------------------------------------------------------------


def test_formulas_are_refused(app):
    rows = [["Namn", "Ort"], ["=HYPERLINK(\"http://x\")", "Stockholm"], ["+cmd|' /C calc'!A0", "Solna"],
            ["Vanlig AB", "-12"]]
    report, failed = do_import(app, csv_bytes(rows))
    assert [(e.row, e.column) for e in report.errors] == [(2, "Namn"), (3, "Namn")] and count(app) == 0
    assert "'=HYPERLINK" in failed.decode("utf-8-sig")  # the failed-rows file is itself safe to open

    workbook = openpyxl.Workbook()
    workbook.active.append(["Namn", "Ort"])
    workbook.active.append(["=1+1", "Stockholm"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    report, _ = do_import(app, buffer.getvalue(), "formel.xlsx")
    assert [(e.row, e.column) for e in report.errors] == [(2, "Namn")] and count(app) == 0


def test_neutralised_text_from_our_own_export_is_imported_as_text(app):
    report, _ = do_import(app, csv_bytes([["Namn", "Telefon", "Kontaktperson"], ["'=Lika AB", "'+46 70 123", "Bo"]]))
    assert report.ok, report.errors
    customer = next(iter(register(app).values()))
    assert customer["name"] == "=Lika AB" and customer["contacts"][0][2] == "+46 70 123"


def test_huge_cells_are_refused_cleanly(app):
    report, _ = do_import(app, csv_bytes([["Namn", "Kommentar"], ["A" * 300, "B" * 20_000], ["Ok AB", "fin"]]))
    assert sorted((e.row, e.column) for e in report.errors) == [(2, "Kommentar"), (2, "Namn")]
    assert count(app) == 0


def test_control_characters_are_refused(app):
    report, _ = do_import(app, csv_bytes([["Namn"], ["Escape\x1b AB"], ["Bell\x07 AB"]]))
    assert [e.row for e in report.errors] == [2, 3] and count(app) == 0


# -- history ---------------------------------------------------------------------------------------


def test_imported_changes_are_recorded_in_history_in_bulk(app):
    from sqlalchemy import event

    from app.models.history import CustomerHistory

    statements = []

    def count_history_inserts(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("INSERT INTO CUSTOMER_HISTORY"):
            statements.append(statement)

    with ctx(app):
        event.listen(db.engine, "before_cursor_execute", count_history_inserts)
    try:
        rows = [HEADER] + [[str(8000 + i), f"Kund {i}", "", "", "", "", "", f"Kontakt {i}", "", ""] for i in range(300)]
        assert do_import(app, csv_bytes(rows))[0].ok
    finally:
        with ctx(app):
            event.remove(db.engine, "before_cursor_execute", count_history_inserts)
    with ctx(app):
        inserts = db.session.execute(
            select(CustomerHistory.record_type, func.count(func.distinct(CustomerHistory.record_id)))
            .where(CustomerHistory.action == "insert").group_by(CustomerHistory.record_type)).all()
    assert dict(inserts) == {"customer": 300, "contact": 300}  # every customer and every contact
    assert 1 <= len(statements) <= 4  # one bulk insert per flush, not one per customer


# -- the command line ----------------------------------------------------------------------------


def test_the_cli_import_exit_code_is_0_only_when_every_row_was_valid(app, tmp_path):
    bad, good = tmp_path / "fel.csv", tmp_path / "ratt.csv"
    bad.write_bytes(csv_bytes([HEADER, *GOOD, BAD]))
    good.write_bytes(csv_bytes([HEADER, *GOOD]))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["customers", "import", str(bad), "--dry-run", "--failed-rows", str(tmp_path / "x.csv")])
    assert result.exit_code == 1 and "row 4" in result.output and (tmp_path / "x.csv").exists()
    assert count(app) == 0
    result = runner.invoke(args=["customers", "import", str(good), "--dry-run"])
    assert result.exit_code == 0 and count(app) == 0
    result = runner.invoke(args=["customers", "import", str(bad), "--valid-only"])
    assert result.exit_code == 1 and count(app) == 2
    result = runner.invoke(args=["customers", "import", str(good), "--mode", "update", "--user", "manager"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["customers", "import", str(good), "--user", "reader"])
    assert (result.exit_code, count(app)) == (1, 2)
    assert "Du får inte skapa kunder." in result.output
