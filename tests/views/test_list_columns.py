"""The list's columns and sort per user (F23), bounded counting and no N+1 queries."""

import re

import pytest
from sqlalchemy import event, func, select

from app.extensions import db
from app.models import Address, Contact, Customer, CustomFieldDefinition, CustomFieldValue, ListPreference
from app.security.access import SYSTEM
from tests.conftest import ctx, new_customer


def headers(page: str) -> list[str]:
    head = re.search(r'<table[^>]*id="customer-list".*?<thead>(.*?)</thead>', page, re.S).group(1)
    cells = [re.sub(r"<[^>]+>", "", th).strip() for th in re.findall(r"<th>(.*?)</th>", head, re.S)]
    return [c for c in cells if c]  # not the selection checkbox


def names_in_order(page: str) -> list[str]:
    body = re.search(r'id="customer-list".*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    return re.findall(r'<a href="/customers/\d+">([^<]+)</a>', body)


def preferences(app) -> int:
    with ctx(app):
        return db.session.execute(select(func.count()).select_from(ListPreference)).scalar()


def test_the_standard_columns(app, as_admin):
    new_customer(app, name="Standard AB", invoice_city="Kiruna")
    page = as_admin.get("/customers/").get_data(as_text=True)
    assert headers(page)[:3] == ["Kundnummer", "Namn", "Kundtyp"]
    assert "Kiruna" in page and 'id="column-chooser"' in page and 'id="export-csv"' in page


def test_a_user_chooses_columns_and_default_sort(app, as_admin, client, auth):
    with ctx(app):
        field = CustomFieldDefinition(label="Avtalsnummer", field_type="text")
        db.session.add(field)
        db.session.commit()
        field_id = field.id
    first = new_customer(app, name="Först AB", **{f"cf_{field_id}": "AV-1"})
    second = new_customer(app, name="Sedan AB")
    with ctx(app):
        from app.commands import save_address, save_contact

        save_contact(db.session.get(Customer, first), {"name": "Eva", "email": "eva@forst.se"}, by=SYSTEM)
        save_address(db.session.get(Customer, second), "visiting", {"city": "Luleå"}, by=SYSTEM)
        db.session.get(Customer, first).created_at = db.session.get(Customer, first).created_at.replace(year=2020)
        db.session.commit()
    response = as_admin.post("/customers/columns", data={
        "columns": ["customer_number", "contact_email", "visiting_city", f"cf_{field_id}"],
        "sort": "created_at", "direction": "desc", "back_q": "",
    })
    assert response.status_code == 302 and response.location.endswith("/customers/")
    page = as_admin.get("/customers/").get_data(as_text=True)
    shown = headers(page)
    assert shown[:3] == ["Kundnummer", "Namn", "Besöksadress: Ort"] and shown[4:] == ["Avtalsnummer"]
    assert shown[3].endswith(": E-post")  # "Contact person: E-post"
    assert "eva@forst.se" in page and "Luleå" in page and "AV-1" in page
    assert names_in_order(page) == ["Sedan AB", "Först AB"]  # created, newest first
    assert names_in_order(as_admin.get("/customers/?sort=name&dir=asc").get_data(as_text=True)) == [
        "Först AB", "Sedan AB"]

    auth.logout()
    auth.login("manager")  # the choice is per user
    assert headers(client.get("/customers/").get_data(as_text=True))[:3] == ["Kundnummer", "Namn", "Kundtyp"]


def test_the_standard_columns_come_back_on_reset(app, as_admin):
    as_admin.post("/customers/columns", data={"columns": ["customer_number"]})
    assert preferences(app) == 1
    as_admin.post("/customers/columns", data={"reset": "1"})
    assert preferences(app) == 0


@pytest.mark.parametrize("data", [
    {"columns": ["password"]},
    {"columns": ["name"], "sort": "password"},
    {"columns": ["name"], "direction": "sideways"},
])
def test_bad_choices_change_nothing(app, as_admin, data):
    response = as_admin.post("/customers/columns", data=data)
    assert response.status_code == 302 and preferences(app) == 0


def test_choosing_columns_needs_a_login(client):
    response = client.post("/customers/columns", data={"columns": ["name"]})
    assert response.status_code == 302 and "/login/" in response.location


def test_a_large_result_is_counted_up_to_a_cap(app, as_admin, monkeypatch):
    from app.services import search

    for n in range(6):
        new_customer(app, name=f"Kund {n}")
    page = as_admin.get("/customers/").get_data(as_text=True)
    assert 'data-total="6" data-exact="true"' in page
    monkeypatch.setattr(search, "COUNT_CAP", 3)
    monkeypatch.setattr(search, "PAGE_SIZES", (2, 25, 50, 100))
    page = as_admin.get("/customers/?size=2&page=1").get_data(as_text=True)
    assert 'data-total="3" data-exact="false"' in page and "page=2" in page  # "more than 3", and a next page
    page = as_admin.get("/customers/?size=2&page=3").get_data(as_text=True)
    assert 'data-total="6" data-exact="true"' in page  # counted up to the current page at least
    assert len(names_in_order(page)) == 2


def test_the_list_page_makes_the_same_number_of_queries_for_5_or_40_customers(app, as_admin):
    """No N+1: every column chosen, relationships loaded once per page."""
    with ctx(app):
        field = CustomFieldDefinition(label="Avtalsnummer", field_type="text", show_in_list=True)
        db.session.add(field)
        db.session.commit()
        field_id = field.id
    as_admin.post("/customers/columns", data={"columns": [
        "customer_number", "identity_number", "invoice_city", "visiting_street", "contact_name", "contact_email",
        "assigned_to", "discount_letters", "active", "created_at", f"cf_{field_id}"]})

    def add_customers(n, start):
        with ctx(app):
            db.session.add_all(
                Customer(customer_number=str(start + i), name=f"Kund {start + i}", assigned_to_id=app.user_ids["tech"],
                         addresses=[Address(kind="invoice", city="Ort"), Address(kind="visiting", street="Väg")],
                         contacts=[Contact(name="K", email="k@x.se", is_main_contact=True)],
                         custom_values=[CustomFieldValue(field_id=field_id, value="AV")])
                for i in range(n))
            db.session.commit()

    def statements_for_list() -> int:
        statements = []

        def record(_conn, _cursor, statement, *_args):
            statements.append(statement)

        with ctx(app):
            engine = db.engine
        event.listen(engine, "before_cursor_execute", record)
        try:
            response = as_admin.get("/customers/?size=50")
        finally:
            event.remove(engine, "before_cursor_execute", record)
        assert response.status_code == 200
        return len(statements)

    add_customers(5, 1000)
    as_admin.get("/customers/?size=50")  # warm-up (permissions, settings caches)
    few = statements_for_list()
    add_customers(35, 2000)
    many = statements_for_list()
    assert many == few, (few, many)


def test_a_search_lists_the_same_whether_its_matches_are_few_or_many(app, as_admin, monkeypatch):
    from app.services import search

    for name in ("Berg Bygg AB", "Bergström Rör AB", "Annat AB"):
        new_customer(app, name=name)
    few = names_in_order(as_admin.get("/customers/?q=berg").get_data(as_text=True))
    monkeypatch.setattr(search, "FEW_MATCHES", 1)  # the path for searches matching thousands
    many = names_in_order(as_admin.get("/customers/?q=berg").get_data(as_text=True))
    assert few == many == ["Berg Bygg AB", "Bergström Rör AB"]
    assert 'data-total="0"' in as_admin.get("/customers/?q=finns-inte").get_data(as_text=True)
