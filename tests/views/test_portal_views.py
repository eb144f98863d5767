"""Customer users (F14, F8): creation from the card, rights, and the portal's walls."""

import re

from sqlalchemy import select

from app import commands
from app.commands import documents as document_commands
from app.extensions import db
from app.models import Customer, CustomerUser, CustomFieldDefinition
from app.security.access import SYSTEM
from tests.conftest import ctx, new_customer

PORTAL_PASSWORD = "Portal-lösen-2026"


def portal_user(app, customer_id, email, **rights):
    with ctx(app):
        link, token = commands.create_customer_user(db.session.get(Customer, customer_id),
                                                  {"email": email, "first_name": "K", "last_name": "U"}, by=SYSTEM)
        if rights:
            commands.set_rights(link, can_edit_details=rights.get("edit", False), can_see_documents=rights.get("documents", False), by=SYSTEM)
        commands.accept_invitation(token, PORTAL_PASSWORD, PORTAL_PASSWORD)
        return link.id


def login(client, email):
    response = client.post("/login/", data={"username": email, "password": PORTAL_PASSWORD})
    assert "/login" not in response.location


def test_create_customer_user_from_the_card_needs_the_right(app, client, auth):
    customer_id = new_customer(app, name="Kund AB")
    auth.login("reader")
    assert client.post(f"/customers/{customer_id}/users",
                       data={"email": "a@exempel.se", "first_name": "A", "last_name": "B"}).status_code == 403
    auth.logout()
    auth.login("manager")
    client.post(f"/customers/{customer_id}/users", data={"email": "a@exempel.se", "first_name": "A", "last_name": "B"})
    with ctx(app):
        link = db.session.execute(select(CustomerUser)).scalar()
        assert link.customer_id == customer_id
        link_id = link.id
    client.post(f"/customers/{customer_id}/users/{link_id}/rights", data={"can_edit_details": "y"})
    with ctx(app):
        assert db.session.get(CustomerUser, link_id).can_edit_details is True
    client.post(f"/customers/{customer_id}/users/{link_id}/delete")
    with ctx(app):
        assert db.session.get(CustomerUser, link_id) is None


def test_a_customer_user_sees_only_its_own_customer_without_internal_data(app, client):
    with ctx(app):
        hidden = CustomFieldDefinition(label="Nyckelkod", field_type="text", hidden_for_customer_users=True)
        shown = CustomFieldDefinition(label="Avtal", field_type="text")
        db.session.add_all([hidden, shown])
        db.session.commit()
        hidden_id, shown_id = hidden.id, shown.id
    own = new_customer(app, name="Egen AB", comment="Intern hemlighet",
                       **{f"cf_{hidden_id}": "1234", f"cf_{shown_id}": "AV-1"})
    other = new_customer(app, name="Annan AB")
    portal_user(app, own, "egen@exempel.se")
    login(client, "egen@exempel.se")
    page = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert "Egen AB" in page and "AV-1" in page
    assert "Intern hemlighet" not in page and "1234" not in page and "Nyckelkod" not in page
    for url in ("/customers/", f"/customers/{other}", f"/customers/{own}", f"/customers/{own}/edit",
                "/customers/add", "/settings/", "/users/list/", "/articleview/list/"):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/customers/contacts/add?_flt_0_customer={other}", data={"name": "X"}).status_code == 403
    assert client.get("/portal/contacts/new").status_code == 403  # no right to change details yet


def test_two_customer_users_cannot_reach_each_other(app, client):
    first = new_customer(app, name="Första AB")
    second = new_customer(app, name="Andra AB")
    portal_user(app, first, "forsta@exempel.se", edit=True)
    portal_user(app, second, "andra@exempel.se", edit=True)
    with ctx(app):
        from app.commands import save_contact

        contact_id = save_contact(db.session.get(Customer, second), {"name": "Andras kontakt"}, by=SYSTEM).id
    login(client, "forsta@exempel.se")
    assert "Andra AB" not in client.get("/portal/").get_data(as_text=True)
    assert client.get(f"/portal/contacts/{contact_id}").status_code == 404
    assert client.post(f"/portal/contacts/{contact_id}", data={"name": "Kapad"}).status_code == 404
    response = client.post("/portal/contacts/new", data={"name": "Ny kontakt", "email": "ny@exempel.se"})
    assert response.status_code == 302
    with ctx(app):
        assert [c.name for c in db.session.get(Customer, first).contacts] == ["Ny kontakt"]
        assert [c.name for c in db.session.get(Customer, second).contacts] == ["Andras kontakt"]


def test_the_invitation_page_works_once(app, client):
    customer_id = new_customer(app, name="Kund AB")
    with ctx(app):
        _link, token = commands.create_customer_user(db.session.get(Customer, customer_id),
                                                   {"email": "ny@exempel.se", "first_name": "N", "last_name": "Y"}, by=SYSTEM)
    assert client.get(f"/invite/{token}").status_code == 200
    response = client.post(f"/invite/{token}", data={"password": "kort", "confirm": "kort"})
    assert re.search("field-error", response.get_data(as_text=True))
    response = client.post(f"/invite/{token}", data={"password": PORTAL_PASSWORD, "confirm": PORTAL_PASSWORD})
    assert response.status_code == 302
    assert client.get(f"/invite/{token}").status_code == 404
    assert client.get("/invite/not-a-token").status_code == 404


def test_the_portal_speaks_the_customers_language(app, client):
    from tests.conftest import set_settings

    set_settings(app, show_language=True)
    customer_id = new_customer(app, name="English Ltd", language="en")
    portal_user(app, customer_id, "uk@exempel.se")
    login(client, "uk@exempel.se")
    page = client.get("/portal/").get_data(as_text=True)
    assert "Customer number" in page and "Kundnummer" not in page


def test_documents_reach_a_customer_user_only_with_the_right(app, client):
    import io

    from tests.uploads.samples import pdf

    own = new_customer(app, name="Egen AB")
    other = new_customer(app, name="Annan AB")
    with ctx(app):
        [mine] = document_commands.upload_documents(db.session.get(Customer, own), None, [("Avtal Åhléns.pdf", io.BytesIO(pdf()))], by=SYSTEM)
        [theirs] = document_commands.upload_documents(db.session.get(Customer, other), None, [("Annat.pdf", io.BytesIO(pdf()))], by=SYSTEM)
        mine_id, theirs_id = mine.id, theirs.id
    link_id = portal_user(app, own, "egen@exempel.se")
    login(client, "egen@exempel.se")
    assert client.get("/portal/documents").status_code == 403
    assert client.get(f"/portal/documents/{mine_id}/download").status_code == 403
    with ctx(app):
        commands.set_rights(db.session.get(CustomerUser, link_id), can_edit_details=False, can_see_documents=True, by=SYSTEM)
    page = client.get("/portal/documents").get_data(as_text=True)
    assert "Avtal Åhléns.pdf" in page and "Annat.pdf" not in page
    response = client.get(f"/portal/documents/{mine_id}/download")
    assert response.status_code == 200 and response.data == pdf()
    assert client.get(f"/portal/documents/{theirs_id}/download").status_code == 404
    assert client.get(f"/customers/{own}/documents/{mine_id}/download").status_code == 403


def test_deleting_a_customer_removes_its_portal_logins_and_frees_the_address(app, client, auth):
    from flask_appbuilder.security.sqla.models import User

    customer_id = new_customer(app, name="Borttagen AB")
    portal_user(app, customer_id, "kvar@exempel.se")
    portal = app.test_client()
    login(portal, "kvar@exempel.se")
    auth.login("admin")
    assert client.post(f"/customers/{customer_id}/delete").status_code == 302
    with ctx(app):
        assert db.session.get(Customer, customer_id) is None
        assert db.session.execute(select(User).where(User.email == "kvar@exempel.se")).first() is None
        assert db.session.execute(select(CustomerUser)).first() is None
    refused = app.test_client().post("/login/", data={"username": "kvar@exempel.se", "password": PORTAL_PASSWORD})
    assert "/login" in refused.location
    # the address can be invited again, to another customer
    other_id = new_customer(app, name="Ny AB")
    client.post(f"/customers/{other_id}/users", data={"email": "kvar@exempel.se", "first_name": "K", "last_name": "U"})
    with ctx(app):
        link = db.session.execute(select(CustomerUser)).scalar_one()
        assert link.customer_id == other_id
