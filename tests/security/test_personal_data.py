"""Personnummer stay masked (issue 17 item 2): one rule for the card, the list, the export and
the history (full only with the full Edit right); no caching of personal pages; no submitted
values in database error logs."""

import pytest
from sqlalchemy import insert

from app.extensions import db
from app.models import Customer
from tests.conftest import Auth, ctx, new_customer, set_settings

PNR, TAX_PNR = "19811228-9874", "19700101-0003"


@pytest.fixture
def private_customer(app):
    set_settings(app, use_rot_rut=True)
    customer_id = new_customer(app, name="Åsa Öberg", customer_type="private", identity_number=PNR,
                               tax_reduction_personnummer=TAX_PNR)
    with ctx(app):
        customer = db.session.get(Customer, customer_id)
        customer.comment = "ändrad"
        db.session.commit()
    return customer_id


def pages(app, username, customer_id) -> dict:
    client = app.test_client()
    Auth(client).login(username)
    return {
        "card": client.get(f"/customers/{customer_id}").get_data(as_text=True),
        "list": client.get("/customers/?columns=identity_number,tax_reduction_personnummer").get_data(as_text=True),
        "export": client.get("/customers/export?format=csv&columns=all&status=all").get_data().decode("utf-8-sig"),
        "history": client.get(f"/customers/{customer_id}/history").get_data(as_text=True),
    }


def test_a_reader_sees_no_full_personnummer_anywhere(app, private_customer):
    for place, text in pages(app, "reader", private_customer).items():
        assert "9874" not in text and "0003" not in text, place
    reader = pages(app, "reader", private_customer)
    assert "19811228-XXXX" in reader["card"] and "19700101-XXXX" in reader["card"]
    assert "19811228-XXXX" in reader["export"]


def test_a_user_with_edit_sees_them_in_full(app, private_customer):
    manager = pages(app, "manager", private_customer)
    assert PNR in manager["card"] and TAX_PNR in manager["card"] and PNR in manager["export"]


def test_personal_pages_are_not_cached(app, as_admin, private_customer):
    for url in (f"/customers/{private_customer}", "/customers/", f"/customers/{private_customer}/history"):
        assert as_admin.get(url).headers["Cache-Control"] == "no-store", url
    assert "no-store" not in (as_admin.get("/static/kundregister.css").headers.get("Cache-Control") or "")


def test_database_errors_do_not_log_the_submitted_values(app, private_customer):
    from sqlalchemy.exc import IntegrityError

    with ctx(app):
        with pytest.raises(IntegrityError) as raised:
            db.session.execute(insert(Customer).values(id=private_customer, name=f"Dubblett {PNR}",
                                                       customer_type="private", customer_number="1"))
        db.session.rollback()
    assert PNR not in str(raised.value)


def test_edit_without_view_reads_and_changes_nothing(app, private_customer):
    """Issue 17 item 7: Edit implies no reading; a role with Edit but no View (nor View assigned)
    sees no customer, so it cannot open or save one either (404, as for any row out of scope)."""
    with ctx(app):
        sm = app.appbuilder.sm
        role = sm.add_role("Only edit")
        sm.add_permission_role(role, sm.find_permission_view_menu("can_edit", "Customer"))
        sm.add_user("editor", "Edit", "Only", "editor@exempel.se", [role], password="Test-lösen-123")
    client = app.test_client()
    Auth(client).login("editor")
    response = client.get(f"/customers/{private_customer}/edit")
    assert response.status_code in (403, 404) and "9874" not in response.get_data(as_text=True)
    client.post(f"/customers/{private_customer}/edit", data={"name": "Kapad", "version": "1"})
    with ctx(app):
        assert db.session.get(Customer, private_customer).name == "Åsa Öberg"
