from sqlalchemy import event, select

from app import commands as svc
from app.commands import assign_technician
from app.extensions import db
from app.models import Customer, CustomerHistory
from app.security.access import SYSTEM
from app.services.history import acting_as
from app.services.history_view import history_page
from tests.conftest import ctx, new_customer


def history(app, customer_id):
    with ctx(app):
        return [
            (h.record_type, h.action, h.field, h.old_value, h.new_value, h.changed_by)
            for h in db.session.execute(
                select(CustomerHistory).where(CustomerHistory.customer_id == customer_id).order_by(CustomerHistory.id)
            ).scalars()
        ]


def test_a_direct_service_call_is_recorded_as_system(app):
    customer_id = new_customer(app, name="Före AB")
    with ctx(app):
        svc.update_customer(db.session.get(Customer, customer_id), {"name": "Efter AB"}, by=SYSTEM)
    rows = history(app, customer_id)
    assert rows[0][:2] == ("customer", "insert") and "Före AB" in rows[0][4]
    assert ("customer", "update", "name", "Före AB", "Efter AB", "system") in rows


def test_children_are_recorded_and_a_named_actor_is_used(app):
    customer_id = new_customer(app, name="A")
    with ctx(app), acting_as("cli:anna"):
        customer = db.session.get(Customer, customer_id)
        contact = svc.save_contact(customer, {"name": "Bo", "email": "bo@exempel.se"}, by=SYSTEM)
        svc.save_contact(customer, {"name": "Bo Ek", "email": "bo@exempel.se"}, contact=contact, by=SYSTEM)
        svc.save_address(customer, "postal", {"street": "Box 12", "postcode": "11455", "city": "Stockholm"}, by=SYSTEM)
        svc.delete_contact(contact, by=SYSTEM)
        svc.delete_address(customer, "postal", by=SYSTEM)
    rows = history(app, customer_id)[1:]
    assert ("contact", "update", "name", "Bo", "Bo Ek", "cli:anna") in rows
    assert [r[:2] for r in rows] == [("contact", "insert"), ("contact", "update"), ("address", "insert"),
                                     ("contact", "delete"), ("address", "delete")]


def test_history_survives_deleting_the_customer(app):
    customer_id = new_customer(app, name="Borta AB", customer_number="9999")
    with ctx(app):
        db.session.delete(db.session.get(Customer, customer_id))
        db.session.commit()
    assert history(app, customer_id)[-1][:4] == ("customer", "delete", None, "9999 Borta AB")


def test_renumbering_records_old_and_new_number(app):
    customer_id = new_customer(app, name="A", customer_number="1111")
    with ctx(app):
        svc.change_customer_number(db.session.get(Customer, customer_id), "2222", by=SYSTEM)
    assert ("customer", "update", "customer_number", "1111", "2222", "system") in history(app, customer_id)


def test_bulk_changes_write_history_in_bulk(app):
    ids = [new_customer(app, name=f"Kund {i}") for i in range(30)]
    statements = []
    with ctx(app):
        engine = db.engine

        def count(conn, cursor, statement, parameters, context, executemany):
            if statement.startswith("INSERT INTO customer_history"):
                statements.append(executemany)

        event.listen(engine, "before_cursor_execute", count)
        try:
            assign_technician(ids, app.user_ids["tech"], by=SYSTEM)
        finally:
            event.remove(engine, "before_cursor_execute", count)
    assert statements == [True]  # one executemany for thirty customers
    assert ("customer", "update", "assigned_to_id", None, str(app.user_ids["tech"]), "system") in history(app, ids[0])


def test_the_history_view_masks_personnummer_and_labels_fields(app):
    customer_id = new_customer(app, name="Åsa", customer_type="private", identity_number="19811228-9874")
    with ctx(app):
        svc.update_customer(db.session.get(Customer, customer_id),
                            {"name": "Åsa", "customer_type": "private", "identity_number": "19701063-2391"}, by=SYSTEM)
        entries, total = history_page(customer_id)
    assert total == 2
    newest = entries[0]
    assert (newest.field, newest.old_value, newest.new_value) == (
        "Organisationsnummer / personnummer", "19811228-XXXX", "19701063-XXXX")
    assert "9874" not in entries[1].new_value


def test_a_change_from_the_command_line_names_the_cli_user(app):
    result = app.test_cli_runner().invoke(args=["demo", "load", "--customers", "3"])
    assert result.exit_code == 0, result.output
    with ctx(app):
        authors = set(db.session.execute(select(CustomerHistory.changed_by)).scalars())
    assert authors and all(a.startswith("cli") for a in authors)
