"""Duplicate warnings (issue 15): the form, the import and the list filter find customers that
already exist by identity number (in any format, inactive ones too) or a close name at the same
postcode; a user may save anyway, and history says so."""

import re

import pytest
from sqlalchemy import select

from app.commands import customers as commands
from app.errors import PossibleDuplicate
from app.extensions import db
from app.models import Customer, CustomerHistory
from app.security.access import SYSTEM
from app.services.duplicates import close_names, find_duplicates, identity_key, name_key
from tests.conftest import ctx, new_customer
from tests.services.test_importer import csv_bytes, do_import


def test_keys_normalise_format_century_and_legal_form():
    assert identity_key("556036-0793") == identity_key("5560360793") == "5560360793"
    assert identity_key("19811218-9876") == identity_key("811218-9876") == "8112189876"
    assert identity_key("") is None and identity_key(None) is None
    assert name_key("Bygg & Måleri AB") == name_key("bygg och måleri") == "bygg måleri"
    assert name_key("AB") is None
    assert close_names("kund 1", "kund 1") and close_names("byg målerii umeå", "bygg måleri umeå")
    assert not close_names("kund 1", "kund 12") and not close_names("volvo", "saab")


def numbers(matches) -> list[tuple[str, str]]:
    return [(m.customer_number, m.reason) for m in matches]


def test_find_by_identity_in_any_format_including_inactive_customers(app):
    new_customer(app, name="Volvo Personvagnar AB", identity_number="556036-0793", customer_number="1100")
    person = new_customer(app, name="Åsa Öberg", customer_type="private", identity_number="19811218-9876",
                          customer_number="1101")
    with ctx(app):
        commands.set_active([person], False, by=SYSTEM)
        assert numbers(find_duplicates(db.session, identity_number="556036-0793", name="X", postcode=None)) == [
            ("1100", "identity")]
        # a sole trader's organisation number is the owner's personnummer
        assert numbers(find_duplicates(db.session, identity_number="811218-9876", name="Y", postcode=None)) == [
            ("1101", "identity")]
        assert find_duplicates(db.session, identity_number="19811218-9876", name="Åsa", postcode=None,
                               exclude_ids=[person]) == []


def test_find_by_close_name_at_the_same_postcode_only(app):
    new_customer(app, name="Bygg & Måleri i Umeå AB", customer_number="1200", invoice_postcode="90326",
                 invoice_city="Umeå")
    with ctx(app):
        assert numbers(find_duplicates(db.session, identity_number=None, name="Bygg och Måleri i Umeå",
                                       postcode="90326")) == [("1200", "name")]
        assert numbers(find_duplicates(db.session, identity_number=None, name="Byg & Målerii Umeå AB",
                                       postcode="90326")) == [("1200", "name")]
        assert find_duplicates(db.session, identity_number=None, name="Bygg & Måleri i Umeå AB",
                               postcode="11455") == []
        assert find_duplicates(db.session, identity_number=None, name="Umeå Elektriska", postcode="90326") == []


def test_the_command_refuses_a_duplicate_unless_confirmed_and_history_records_it(app):
    new_customer(app, name="Volvo Personvagnar AB", identity_number="556036-0793", customer_number="1100")
    with ctx(app):
        with pytest.raises(PossibleDuplicate) as refused:
            commands.create_customer({"name": "Volvo PV", "identity_number": "5560360793"}, by=SYSTEM,
                                     duplicates=commands.REFUSE)
        assert [m.customer_number for m in refused.value.matches] == ["1100"]
        assert db.session.execute(select(Customer.customer_number)).scalars().all() == ["1100"]
        saved = commands.create_customer({"name": "Volvo PV", "identity_number": "5560360793"}, by=SYSTEM,
                                         duplicates=commands.CONFIRMED)
        notes = db.session.execute(select(CustomerHistory.action, CustomerHistory.new_value).where(
            CustomerHistory.customer_id == saved.id, CustomerHistory.action == "duplicate")).all()
        assert notes == [("duplicate", "1100 Volvo Personvagnar AB")]
        assert saved.identity_number == "556036-0793"


# -- the form -------------------------------------------------------------------------------------


def warning(response) -> str:
    page = response.get_data(as_text=True)
    match = re.search(r'id="possible-duplicates">(.*?)</div>', page, re.S)
    return match.group(1) if match else ""


def test_the_form_shows_the_existing_customer_and_saves_after_confirmation(app, as_admin):
    existing = new_customer(app, name="Volvo Personvagnar AB", identity_number="556036-0793",
                            customer_number="1100")
    with ctx(app):
        commands.set_active([existing], False, by=SYSTEM)  # an inactive customer is still found
    data = {"name": "Volvo PV", "customer_type": "company", "identity_number": "5560360793"}
    response = as_admin.post("/customers/add", data=data)
    assert response.status_code == 200
    shown = warning(response)
    assert f'href="/customers/{existing}"' in shown and "1100 Volvo Personvagnar AB" in shown
    assert "samma organisationsnummer / personnummer" in shown and "inaktiv" in shown
    with ctx(app):
        assert db.session.execute(select(Customer.id)).scalars().all() == [existing]

    response = as_admin.post("/customers/add", data={**data, "confirm_duplicate": "y"})
    assert response.status_code == 302
    new_id = int(response.location.rstrip("/").split("/")[-1])
    with ctx(app):
        assert db.session.get(Customer, new_id).identity_number == "556036-0793"
        recorded = db.session.execute(select(CustomerHistory.changed_by, CustomerHistory.new_value).where(
            CustomerHistory.customer_id == new_id, CustomerHistory.action == "duplicate")).all()
    assert recorded == [("admin", "1100 Volvo Personvagnar AB")]
    history = as_admin.get(f"/customers/{new_id}/history").get_data(as_text=True)
    assert "Sparad trots möjlig dubblett" in history


def test_the_edit_form_warns_only_when_the_identity_changes(app, as_admin):
    new_customer(app, name="Volvo Personvagnar AB", identity_number="556036-0793", customer_number="1100")
    other = new_customer(app, name="Annat AB", customer_number="1101")
    page = as_admin.get(f"/customers/{other}/edit").get_data(as_text=True)
    version = re.search(r'name="version"[^>]*value="(\d+)"', page) or re.search(r'value="(\d+)"[^>]*name="version"', page)
    data = {"name": "Annat AB", "customer_type": "company", "version": version.group(1)}
    assert as_admin.post(f"/customers/{other}/edit", data={**data, "comment": "x"}).status_code == 302
    response = as_admin.post(f"/customers/{other}/edit", data={**data, "version": str(int(version.group(1)) + 1),
                                                               "identity_number": "556036 0793"})
    assert response.status_code == 200 and "1100 Volvo Personvagnar AB" in warning(response)


# -- the import -----------------------------------------------------------------------------------


def test_dry_run_lists_the_duplicate_and_insert_refuses_it_unless_allowed(app):
    new_customer(app, name="Volvo Personvagnar AB", identity_number="556036-0793", customer_number="1100")
    content = csv_bytes([["Kundnummer", "Namn", "Organisationsnummer"], ["", "Volvo PV", "5560360793"],
                         ["", "Ny Kund AB", "556677-8899"]])
    report, _failed = do_import(app, content, dry_run=True)
    assert [(e.row, e.message) for e in report.errors] == [
        (2, "Kunden kanske redan finns: 1100 Volvo Personvagnar AB. Tillåt möjliga dubbletter för att ändå "
            "importera den.")]
    with ctx(app):
        assert db.session.execute(select(Customer.customer_number)).scalars().all() == ["1100"]

    report, _failed = do_import(app, content)
    assert report.error_count == 1 and not report.written

    report, _failed = do_import(app, content, dry_run=True, allow_duplicates=True)
    assert report.ok and report.duplicates == [[2, "Volvo PV", "1100 Volvo Personvagnar AB"]]
    report, _failed = do_import(app, content, allow_duplicates=True)
    assert report.ok and report.created == 2 and report.duplicates == [[2, "Volvo PV", "1100 Volvo Personvagnar AB"]]
    with ctx(app):
        imported = db.session.execute(select(Customer.id).where(Customer.name == "Volvo PV")).scalar_one()
        assert db.session.execute(select(CustomerHistory.new_value).where(
            CustomerHistory.customer_id == imported, CustomerHistory.action == "duplicate")).scalars().all() == [
            "1100 Volvo Personvagnar AB"]


def test_a_file_with_the_same_customer_twice_lists_the_second(app):
    content = csv_bytes([["Namn", "Organisationsnummer", "Postnummer"], ["Volvo PV", "556036-0793", "11455"],
                         ["Annat AB", "5560360793", ""], ["Bygg & Måleri AB", "", "90326"],
                         ["Bygg och Måleri", "", "903 26"], ["Bygg och Måleri", "", "11455"]])
    report, _failed = do_import(app, content, dry_run=True)
    assert [(e.row, e.column, e.message) for e in report.errors] == [
        (3, "Organisationsnummer", "Kunden kanske redan finns: rad 2 i filen. Tillåt möjliga dubbletter för att "
                                   "ändå importera den."),
        (5, "Namn", "Kunden kanske redan finns: rad 4 i filen. Tillåt möjliga dubbletter för att ändå importera den.")]
    report, _failed = do_import(app, content, allow_duplicates=True)
    assert report.ok and report.created == 5
    assert report.duplicates == [[3, "Annat AB", "rad 2 i filen"], [5, "Bygg och Måleri", "rad 4 i filen"]]


def test_the_cli_import_refuses_duplicates_with_exit_code_1(app, tmp_path):
    new_customer(app, name="Volvo Personvagnar AB", identity_number="556036-0793", customer_number="1100")
    path = tmp_path / "kunder.csv"
    path.write_bytes(csv_bytes([["Namn", "Organisationsnummer"], ["Volvo PV", "556036-0793"]]))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["customers", "import", str(path), "--dry-run"])
    assert result.exit_code == 1 and "1100 Volvo Personvagnar AB" in result.output
    result = runner.invoke(args=["customers", "import", str(path), "--allow-duplicates"])
    assert result.exit_code == 0, result.output
    assert "row 2: Volvo PV may already exist: 1100 Volvo Personvagnar AB" in result.output


# -- the list filter ------------------------------------------------------------------------------


def test_the_list_filter_shows_possible_duplicates_only(app, as_admin):
    a = new_customer(app, name="Volvo Personvagnar AB", identity_number="556036-0793", customer_number="1100")
    b = new_customer(app, name="Volvo PV", identity_number="5560360793", customer_number="1101")
    c = new_customer(app, name="Bygg & Måleri AB", customer_number="1102", invoice_postcode="90326")
    d = new_customer(app, name="Bygg och Måleri", customer_number="1103", invoice_postcode="90326")
    new_customer(app, name="Bygg & Måleri AB", customer_number="1104", invoice_postcode="11455")
    new_customer(app, name="Ensam AB", identity_number="556677-8899", customer_number="1105")
    with ctx(app):
        commands.set_active([a], False, by=SYSTEM)
    page = as_admin.get("/customers/?dup=1&status=all&sort=customer_number").get_data(as_text=True)
    shown = re.findall(r'href="/customers/(\d+)"', page)
    assert sorted(set(int(i) for i in shown)) == sorted([a, b, c, d])


def flagged(app) -> list[str]:
    with ctx(app):
        return sorted(db.session.execute(select(Customer.customer_number).where(
            Customer.possible_duplicate.is_(True))).scalars())


def test_the_flag_follows_every_change_merge_and_erasure(app):
    from app.commands import gdpr, merge

    a = new_customer(app, name="Volvo Personvagnar AB", identity_number="556036-0793", customer_number="1100")
    b = new_customer(app, name="Volvo PV", identity_number="5560360793", customer_number="1101")
    c = new_customer(app, name="Åsa Öberg", customer_type="private", identity_number="19811218-9876",
                     customer_number="1102", invoice_postcode="90326")
    assert flagged(app) == ["1100", "1101"]
    with ctx(app):
        commands.update_customer(db.session.get(Customer, b), {"identity_number": "556677-8899"}, by=SYSTEM)
    assert flagged(app) == []
    d = new_customer(app, name="Åsa  Öberg", customer_type="private", customer_number="1103",
                     invoice_postcode="903 26")
    assert flagged(app) == ["1102", "1103"]
    with ctx(app):
        commands.delete_customer(db.session.get(Customer, d), by=SYSTEM)
    assert flagged(app) == []
    new_customer(app, name="Volvo", identity_number="556036-0793", customer_number="1104")
    assert flagged(app) == ["1100", "1104"]
    with ctx(app):
        merge.merge_customers(a, db.session.execute(select(Customer.id).where(
            Customer.customer_number == "1104")).scalar(), by=SYSTEM)
    assert flagged(app) == []
    new_customer(app, name="Åsa Öberg", customer_type="private", customer_number="1105", invoice_postcode="90326")
    assert flagged(app) == ["1102", "1105"]
    with ctx(app):
        gdpr.erase_person(by=SYSTEM, customer_number="1102")
    assert flagged(app) == [] and c
