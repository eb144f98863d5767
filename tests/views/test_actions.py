"""Card and bulk actions: assign (F20), activate (F19), renumber (F1), edit conflicts, bell."""

import re

from sqlalchemy import select

from app.extensions import db
from app.models import Customer, CustomerHistory
from tests.conftest import ctx, new_customer


def assigned(app, customer_id):
    with ctx(app):
        return db.session.get(Customer, customer_id).assigned_to_id


def count_on_confirmation(response) -> str:
    return re.search(r'<p id="action-count">(.*?)</p>', response.get_data(as_text=True)).group(1)


def test_assign_from_the_card_and_the_bell_rises(app, client, auth):
    customer_id = new_customer(app, name="Kund AB")
    auth.login("manager")
    response = client.post(f"/customers/action/assign/{customer_id}")
    assert response.status_code == 302 and "/customers/actions/assign" in response.location
    confirmation = client.get(response.location)
    assert "1 kund" in count_on_confirmation(confirmation) and "Kund AB" in confirmation.get_data(as_text=True)
    assert assigned(app, customer_id) is None  # nothing happens before the confirmation
    response = client.post(response.location, data={"technician": app.user_ids["tech"]})
    assert response.status_code == 302 and response.location == f"/customers/{customer_id}"
    assert assigned(app, customer_id) == app.user_ids["tech"]
    auth.logout()
    auth.login("tech")
    page = client.get("/customers/").get_data(as_text=True)
    assert re.search(r'id="notification-count">1<', page)
    notifications = client.get("/notifications/").get_data(as_text=True)
    assert "Kund AB" in notifications
    client.post("/notifications/read", data={"all": "1"})
    assert re.search(r'id="notification-count">0<', client.get("/customers/").get_data(as_text=True))


def test_assigning_needs_the_assign_right(app, client, auth):
    customer_id = new_customer(app, name="Kund AB")
    auth.login("reader")
    assert client.post(f"/customers/action/assign/{customer_id}").status_code == 403
    assert client.post("/customers/action_post", data={"action": "assign", "rowid": [customer_id]}).status_code == 403
    assert client.post(f"/customers/actions/assign?ids={customer_id}",
                       data={"technician": app.user_ids["tech"]}).status_code == 403
    assert assigned(app, customer_id) is None


def test_bulk_assign_selected_rows_with_confirmation(app, as_admin):
    ids = [new_customer(app, name=f"Kund {i}") for i in range(3)]
    response = as_admin.post("/customers/action_post", data={"action": "assign", "rowid": ids[:2]})
    confirm_url = response.location
    assert count_on_confirmation(as_admin.get(confirm_url)) == "Åtgärden gäller 2 kunder."
    assert assigned(app, ids[0]) is None  # nothing happens before the confirmation
    refused = as_admin.post(confirm_url, data={"technician": ""})  # the chooser starts empty and is required
    assert refused.status_code == 200 and "field-error" in refused.get_data(as_text=True)
    response = as_admin.post(confirm_url, data={"technician": app.user_ids["tech2"]})
    assert response.location == "/customers/"
    assert [assigned(app, i) for i in ids] == [app.user_ids["tech2"]] * 2 + [None]


def test_bulk_assign_all_customers_matching_the_filter(app, as_admin):
    stockholm = [new_customer(app, name=f"Sthlm {i}", invoice_city="Stockholm") for i in range(4)]
    other = new_customer(app, name="Göteborg AB")
    response = as_admin.post("/customers/action_post", data={"action": "assign", "all_matching": "1", "q": "sthlm"})
    confirm_url = response.location
    assert count_on_confirmation(as_admin.get(confirm_url)) == "Åtgärden gäller 4 kunder."
    as_admin.post(confirm_url, data={"technician": app.user_ids["tech"]})
    assert {assigned(app, i) for i in stockholm} == {app.user_ids["tech"]}
    assert assigned(app, other) is None


def test_a_technician_cannot_act_on_another_technicians_customers(app, client, auth):
    mine = new_customer(app, name="Min AB")
    theirs = new_customer(app, name="Annans AB")
    with ctx(app):
        db.session.get(Customer, mine).assigned_to_id = app.user_ids["tech"]
        db.session.get(Customer, theirs).assigned_to_id = app.user_ids["tech2"]
        db.session.commit()
    auth.login("tech")
    client.post(f"/customers/actions/inactivate?ids={theirs}")
    client.post("/customers/actions/inactivate?all_matching=1&status=all")
    with ctx(app):
        assert db.session.get(Customer, theirs).active is True
        assert db.session.get(Customer, mine).active is False
    assert client.post(f"/customers/action/inactivate/{theirs}").status_code == 404


def test_inactivate_and_activate_from_the_card(app, as_admin):
    customer_id = new_customer(app, name="Vilande AB")
    as_admin.post(as_admin.post(f"/customers/action/inactivate/{customer_id}").location)
    assert "Vilande AB" not in as_admin.get("/customers/").get_data(as_text=True)
    assert "Vilande AB" in as_admin.get("/customers/?status=inactive").get_data(as_text=True)
    as_admin.post(as_admin.post(f"/customers/action/activate/{customer_id}").location)
    assert "Vilande AB" in as_admin.get("/customers/").get_data(as_text=True)


def test_only_an_administrator_renumbers(app, client, auth):
    customer_id = new_customer(app, name="A", customer_number="1111")
    other = new_customer(app, name="B", customer_number="2222")
    auth.login("manager")
    assert client.get(f"/customers/actions/renumber?ids={customer_id}").status_code == 403
    assert client.post(f"/customers/action/renumber/{customer_id}").status_code == 403
    auth.logout()
    auth.login("admin")
    confirm_url = client.post(f"/customers/action/renumber/{customer_id}").location
    assert 'value="1111"' in client.get(confirm_url).get_data(as_text=True)
    response = client.post(confirm_url, data={"customer_number": "2222"})
    assert 'field-error' in response.get_data(as_text=True)
    client.post(confirm_url, data={"customer_number": "3333"})
    with ctx(app):
        assert db.session.get(Customer, customer_id).customer_number == "3333"
        row = db.session.execute(select(CustomerHistory).where(CustomerHistory.field == "customer_number")).scalar()
        assert (row.old_value, row.new_value, row.changed_by) == ("1111", "3333", "admin")
    history = client.get(f"/customers/{customer_id}/history").get_data(as_text=True)
    assert "1111" in history and "3333" in history
    with ctx(app):
        assert db.session.get(Customer, other).customer_number == "2222"  # the refused number stayed its own


def test_an_edit_based_on_an_old_version_overwrites_nothing(app, client, auth):
    customer_id = new_customer(app, name="Original AB")
    auth.login("admin")
    form = client.get(f"/customers/{customer_id}/edit").get_data(as_text=True)
    version = re.search(r'name="version"[^>]*value="(\d+)"', form).group(1)
    client.post(f"/customers/{customer_id}/edit", data={"name": "Först AB", "version": version})
    response = client.post(f"/customers/{customer_id}/edit", data={"name": "Sen AB", "version": version})
    assert response.status_code == 200 and "alert-danger" in response.get_data(as_text=True)
    with ctx(app):
        assert db.session.get(Customer, customer_id).name == "Först AB"
