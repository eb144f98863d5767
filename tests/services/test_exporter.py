"""Export (F22): the list as the user sees it, streamed; and the round trip through the import."""

import csv
import io
import zipfile

import openpyxl
import pytest
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import delete, event, select

from app.commands import import_register, save_address, save_contact
from app.extensions import db
from app.models import Address, Contact, Customer, CustomFieldDefinition, DiscountLetter
from app.security.access import SYSTEM
from app.services import exporter
from app.services.list_choice import resolve_list, save_choice
from tests.conftest import ctx, new_customer, set_settings


def export_csv(app, user="admin", all_columns=False, **args) -> list[list[str]]:
    with ctx(app):
        acting = db.session.get(User, app.user_ids[user])
        listing = resolve_list(db.session, args, acting)
        columns = exporter.export_columns(listing, all_columns)
        customers = exporter.customers_for_export(db.session, listing, acting, columns)
        content = b"".join(exporter.csv_chunks(columns, customers, listing.context))
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


def export_xlsx(app, user="admin", all_columns=True, **args):
    return openpyxl.load_workbook(io.BytesIO(export_xlsx_bytes(app, user, all_columns, **args))).active


def export_xlsx_bytes(app, user="admin", all_columns=True, **args) -> bytes:
    with ctx(app):
        acting = db.session.get(User, app.user_ids[user])
        listing = resolve_list(db.session, args, acting)
        columns = exporter.export_columns(listing, all_columns)
        handle = exporter.xlsx_file(columns, exporter.customers_for_export(db.session, listing, acting, columns),
                                    listing.context)
        return b"".join(exporter.file_chunks(handle))


def assign(app, customer_id, user):
    with ctx(app):
        db.session.get(Customer, customer_id).assigned_to_id = app.user_ids[user]
        db.session.commit()


def test_the_export_is_the_list_search_filters_and_sort(app):
    new_customer(app, name="Alfa Bygg AB", customer_number="1001")
    new_customer(app, name="Beta Bygg AB", customer_number="1002", customer_type="private")
    new_customer(app, name="Gamma Rör AB", customer_number="1003")
    rows = export_csv(app, q="bygg", sort="name", dir="desc")
    assert rows[0][:3] == ["Kundnummer", "Namn", "Kundtyp"]
    assert [r[1] for r in rows[1:]] == ["Beta Bygg AB", "Alfa Bygg AB"]
    assert [r[1] for r in export_csv(app, type="private")[1:]] == ["Beta Bygg AB"]


def test_only_the_rows_the_user_may_see(app):
    mine = new_customer(app, name="Min AB")
    new_customer(app, name="Annans AB")
    assign(app, mine, "tech")
    assert [r[1] for r in export_csv(app, user="tech")[1:]] == ["Min AB"]
    assert len(export_csv(app, user="reader")) == 3


def test_a_personnummer_is_masked_for_users_without_the_edit_right(app):
    new_customer(app, name="Åsa Öberg", customer_type="private", identity_number="19811228-9874")
    new_customer(app, name="Bolaget AB", identity_number="556036-0793")
    admin = {r[1]: r[3] for r in export_csv(app, all_columns=True)[1:]}
    reader = {r[1]: r[3] for r in export_csv(app, user="reader", all_columns=True)[1:]}
    assert admin == {"Åsa Öberg": "19811228-9874", "Bolaget AB": "556036-0793"}
    assert reader == {"Åsa Öberg": "19811228-XXXX", "Bolaget AB": "556036-0793"}


def test_the_users_columns_apply_and_all_columns_on_request(app):
    customer_id = new_customer(app, name="Kolumn AB", invoice_city="Umeå")
    with ctx(app):
        save_contact(db.session.get(Customer, customer_id), {"name": "Eva", "email": "eva@k.se"}, by=SYSTEM)
        user = db.session.get(User, app.user_ids["admin"])
        save_choice(db.session, user, ["name", "contact_email", "invoice_city"], None, None, {}, [])
    rows = export_csv(app)
    assert rows[0][:2] == ["Namn", "Faktureringsadress: Ort"] and rows[0][2].endswith(": E-post")
    assert rows[1:] == [["Kolumn AB", "Umeå", "eva@k.se"]]
    assert len(export_csv(app, all_columns=True)[0]) > 20


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(app):
    customer_id = new_customer(app, name="=HYPERLINK(\"http://x\",\"klicka\")")
    with ctx(app):
        save_contact(db.session.get(Customer, customer_id), {"name": "@Bo", "phone": "+46 70 123 45 67"}, by=SYSTEM)
        user = db.session.get(User, app.user_ids["admin"])
        save_choice(db.session, user, ["name", "contact_name", "contact_phone"], None, None, {}, [])
    rows = export_csv(app)
    assert rows[1] == ["'=HYPERLINK(\"http://x\",\"klicka\")", "'@Bo", "'+46 70 123 45 67"]
    sheet = export_xlsx(app)
    cell = sheet.cell(row=2, column=2)
    assert cell.value == "=HYPERLINK(\"http://x\",\"klicka\")" and cell.data_type == "s"  # text, never a formula
    with zipfile.ZipFile(io.BytesIO(export_xlsx_bytes(app))) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert "HYPERLINK" in sheet_xml and "<f>" not in sheet_xml  # no formula element anywhere in the sheet


def test_csv_is_written_lazily_chunk_by_chunk():
    consumed = []

    class Fake:
        def __init__(self, n):
            self.name = "x" * 100 + str(n)

    def endless():
        n = 0
        while True:
            n += 1
            consumed.append(n)
            yield Fake(n)

    from app.services.list_columns import Column, ColumnContext

    column = Column("name", "Namn", lambda c, _ctx: c.name)
    chunks = exporter.csv_chunks([column], endless(), ColumnContext(settings={}))
    first = next(chunks)
    assert len(first) >= exporter.CHUNK and len(consumed) < 1000  # streamed, not collected


def test_customers_are_read_with_one_query(app):
    with ctx(app):
        db.session.add_all(
            Customer(customer_number=str(20000 + i), name=f"Kund {i:05d}",
                     addresses=[Address(kind="invoice", city="Ort")], contacts=[Contact(name=f"K {i}")])
            for i in range(2 * exporter.BATCH + 10)
        )
        db.session.commit()
    statements = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    with ctx(app):
        acting = db.session.get(User, app.user_ids["admin"])
        listing = resolve_list(db.session, {}, acting)
        columns = exporter.export_columns(listing, True)
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            total = sum(1 for _ in exporter.customers_for_export(db.session, listing, acting, columns))
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
    assert total == 2 * exporter.BATCH + 10
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 1 and "JOIN address" in selects[0]  # one query, read in batches; none per customer


def test_export_to_a_file_for_the_cli(app, tmp_path):
    new_customer(app, name="Fil AB")
    new_customer(app, name="Vilande AB")
    with ctx(app):
        from app.commands import set_active

        set_active([db.session.execute(select(Customer.id).where(Customer.name == "Vilande AB")).scalar()], False, by=SYSTEM)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["customers", "export", str(tmp_path / "ut.xlsx")])
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(tmp_path / "ut.xlsx").active
    assert sorted(r[1] for r in sheet.iter_rows(min_row=2, values_only=True)) == ["Fil AB", "Vilande AB"]
    result = runner.invoke(args=["customers", "export", str(tmp_path / "ut.csv"), "--user", "tech"])
    assert result.exit_code == 0 and (tmp_path / "ut.csv").read_bytes().count(b"\r\n") == 1  # header only


# -- round trip ----------------------------------------------------------------------------------


def rich_register(app):
    set_settings(app, show_vat_type=True, show_cost_centre=True)
    with ctx(app):
        field = CustomFieldDefinition(label="Avtalsnummer", field_type="text")
        number = CustomFieldDefinition(label="Yta", field_type="number")
        day = CustomFieldDefinition(label="Förnyas", field_type="date")
        flag = CustomFieldDefinition(label="Nyckel", field_type="boolean")
        db.session.add_all([field, number, day, flag, DiscountLetter(name="Storkund")])
        db.session.commit()
        ids = (field.id, number.id, day.id, flag.id)
        letter = db.session.execute(select(DiscountLetter.id)).scalar()
    first = new_customer(app, name="Åkesson Rör AB", customer_number="3001", identity_number="556036-0793",
                         invoice_street="Storgatan 1", invoice_postcode="11455", invoice_city="Stockholm",
                         comment="Ring först; portkod 1234", vat_type="NoVAT", cost_centre="K-12",
                         discount_letters=[letter], always_invoice=True,
                         **{f"cf_{ids[0]}": "=AV-1", f"cf_{ids[1]}": "12.5", f"cf_{ids[2]}": "2027-04-01",
                            f"cf_{ids[3]}": "1"})
    second = new_customer(app, name="Örjan Öberg", customer_number="3002", customer_type="private",
                          identity_number="19811228-9874", invoice_city="Göteborg")
    with ctx(app):
        customer = db.session.get(Customer, first)
        save_contact(customer, {"name": "Anna Ek", "email": "anna@akesson.se", "phone": "+46 70 123 45 67",
                                "is_main_contact": True, "send_service_protocol": True}, by=SYSTEM)
        save_address(customer, "visiting", {"street": "Besöksgatan 2", "postcode": "11456", "city": "Stockholm"}, by=SYSTEM)
        customer.assigned_to_id = app.user_ids["tech"]
        db.session.get(Customer, second).active = False
        db.session.commit()


def snapshot(app) -> list:
    with ctx(app):
        result = []
        for c in db.session.execute(select(Customer).order_by(Customer.customer_number)).scalars():
            result.append((
                c.customer_number, c.name, c.customer_type, c.identity_number, c.comment, c.vat_type, c.cost_centre,
                c.active, c.always_invoice, c.assigned_to_id, sorted(d.name for d in c.discount_letters),
                sorted((a.kind, a.street, a.street2, a.postcode, a.city) for a in c.addresses),
                sorted((k.name, k.email, k.phone, k.is_main_contact, k.send_service_protocol) for k in c.contacts),
                sorted((v.field_id, v.value) for v in c.custom_values),
            ))
        return result


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_re_imports_cleanly(app, tmp_path, fmt):
    rich_register(app)
    before = snapshot(app)
    path = tmp_path / f"export.{fmt}"
    with ctx(app):
        acting = db.session.get(User, app.user_ids["admin"])
        listing = resolve_list(db.session, {"status": "all"}, acting)
        assert exporter.export_to_path(db.session, listing, acting, path, fmt) == 2

    def reimport(mode):
        with ctx(app):
            acting = db.session.get(User, app.user_ids["admin"])
            return import_register(db.session, lambda: path.open("rb"), path.name, acting, mode=mode)[0]

    report = reimport("update")
    assert report.ok and report.updated == 2, report.errors
    assert snapshot(app) == before  # nothing changed

    with ctx(app):
        for model in (Contact, Address, Customer):
            db.session.execute(delete(model))
        db.session.commit()
    report = reimport("insert")
    assert report.ok and report.created == 2, report.errors
    assert snapshot(app) == before
