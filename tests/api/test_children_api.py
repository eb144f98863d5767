"""Contacts and addresses through the API: the commands' rules, the customer's scope."""

from sqlalchemy import select

from app.extensions import db
from app.models import Address, Contact, Customer
from app.security.access import SYSTEM
from tests.api.conftest import bearer, customer_user_token, jwt, personal_token
from tests.conftest import ctx, new_customer


def test_contacts_are_added_changed_and_removed_through_the_rules(app, client):
    customer_id = new_customer(app, name="Kontakt AB")
    token = bearer(jwt(client, "manager"))
    first = client.post("/api/v1/contact/", headers=token,
                        json={"customer_id": customer_id, "name": "Eva", "email": "eva@exempel.se",
                              "is_main_contact": True})
    assert first.status_code == 201
    assert first.json["result"] == {"id": first.json["id"], "customer_id": customer_id, "name": "Eva",
                                    "phone": None, "email": "eva@exempel.se", "send_service_protocol": False,
                                    "send_work_order": False, "is_main_contact": True}
    # a new main contact unmarks the old one (F11), as on the web
    second = client.post("/api/v1/contact/", headers=token,
                         json={"customer_id": customer_id, "name": "Per", "is_main_contact": True})
    assert second.status_code == 201
    listed = client.get(f"/api/v1/contact/?q=(filters:!((col:customer_id,opr:eq,value:{customer_id})))",
                        headers=token)
    assert {(row["name"], row["is_main_contact"]) for row in listed.json["result"]} == {("Eva", False), ("Per", True)}

    refused = client.put(f"/api/v1/contact/{first.json['id']}", headers=token,
                         json={"send_work_order": True, "email": None})
    assert refused.status_code == 422
    assert refused.json["errors"] == {"email": ["Dokument skickas med e-post: ange kontaktpersonens e-postadress."]}
    changed = client.put(f"/api/v1/contact/{first.json['id']}", headers=token, json={"phone": "08-123 45"})
    assert changed.status_code == 200 and changed.json["result"]["phone"] == "08-123 45"
    assert changed.json["result"]["email"] == "eva@exempel.se"  # what was not sent is kept
    assert client.delete(f"/api/v1/contact/{second.json['id']}", headers=token).status_code == 200
    with ctx(app):
        assert [c.name for c in db.session.execute(select(Contact)).scalars()] == ["Eva"]


def test_addresses_follow_the_form_s_rules(app, client):
    customer_id = new_customer(app, name="Adress AB", invoice_street="Storgatan 1", invoice_city="Stockholm")
    token = bearer(jwt(client, "manager"))
    bad = client.post("/api/v1/address/", headers=token,
                      json={"customer_id": customer_id, "kind": "visiting", "street": "Gatan 2", "postcode": "12"})
    assert bad.status_code == 422 and list(bad.json["errors"]) == ["postcode"]
    unknown = client.post("/api/v1/address/", headers=token, json={"customer_id": customer_id, "kind": "moon",
                                                                   "street": "X"})
    assert unknown.status_code == 422 and list(unknown.json["errors"]) == ["kind"]
    made = client.post("/api/v1/address/", headers=token,
                       json={"customer_id": customer_id, "kind": "visiting", "street": "Gatan 2", "postcode": "114 55"})
    assert made.status_code == 201 and made.json["result"]["postcode"] == "11455"
    changed = client.put(f"/api/v1/address/{made.json['id']}", headers=token, json={"city": "Solna"})
    assert changed.json["result"]["street"] == "Gatan 2" and changed.json["result"]["city"] == "Solna"
    with ctx(app):
        invoice_id = db.session.get(Customer, customer_id).address("invoice").id
    kept = client.delete(f"/api/v1/address/{invoice_id}", headers=token)
    assert kept.status_code == 422 and list(kept.json["errors"]) == ["kind"]
    assert client.delete(f"/api/v1/address/{made.json['id']}", headers=token).status_code == 200
    with ctx(app):
        assert [a.kind for a in db.session.execute(select(Address)).scalars()] == ["invoice"]


def test_children_of_customers_outside_the_scope_are_not_found(app, client):
    own, foreign = new_customer(app, name="Egen AB"), new_customer(app, name="Annan AB")
    with ctx(app):
        from app.commands import assign_technician, save_contact

        assign_technician([own], app.user_ids["tech"], by=SYSTEM)
        foreign_contact = save_contact(db.session.get(Customer, foreign), {"name": "Främling"}, by=SYSTEM).id
        own_contact = save_contact(db.session.get(Customer, own), {"name": "Vän"}, by=SYSTEM).id
    token = bearer(personal_token(app, "tech"))
    assert client.get("/api/v1/contact/", headers=token).json["ids"] == [own_contact]
    assert client.get(f"/api/v1/contact/{foreign_contact}", headers=token).status_code == 404
    assert client.put(f"/api/v1/contact/{foreign_contact}", json={"name": "Kapad"}, headers=token).status_code == 404
    assert client.delete(f"/api/v1/contact/{foreign_contact}", headers=token).status_code == 404
    assert client.post("/api/v1/contact/", json={"customer_id": foreign, "name": "Ny"}, headers=token).status_code == 404
    assert client.post("/api/v1/contact/", json={"customer_id": own, "name": "Ny"}, headers=token).status_code == 201
    with ctx(app):
        assert [c.name for c in db.session.get(Customer, foreign).contacts] == ["Främling"]


def test_a_customer_user_changes_its_own_contacts_only_with_the_right(app, client):
    customer_id = new_customer(app, name="Portal AB")
    reader = bearer(customer_user_token(app, customer_id, "läser@kund.se"))
    editor = bearer(customer_user_token(app, customer_id, "ändrar@kund.se", edit=True))
    body = {"customer_id": customer_id, "name": "Ny kontakt"}
    assert client.post("/api/v1/contact/", json=body, headers=reader).status_code == 404
    assert client.post("/api/v1/contact/", json=body, headers=editor).status_code == 201
    assert client.get("/api/v1/contact/", headers=reader).json["count"] == 1
