"""Lost updates (issue 17 item 8): contacts and addresses have versions like customers, and a
save without the version it was opened on is refused."""

import re

from sqlalchemy import select

from app.extensions import db
from app.models import Address, Contact, Customer
from tests.conftest import ctx, new_customer


def version_in(page: str) -> str:
    return re.search(r'name="version"[^>]*value="(\d+)"', page).group(1)


def test_a_contact_saved_from_an_old_version_overwrites_nothing(app, as_admin):
    customer_id = new_customer(app, name="Kontakt AB")
    as_admin.post(f"/customers/contacts/add?_flt_0_customer={customer_id}", data={"name": "Anna"})
    with ctx(app):
        contact_id = db.session.execute(select(Contact.id)).scalar_one()
    version = version_in(as_admin.get(f"/customers/contacts/{contact_id}/edit").get_data(as_text=True))
    as_admin.post(f"/customers/contacts/{contact_id}/edit", data={"name": "Anna Först", "version": version})
    late = as_admin.post(f"/customers/contacts/{contact_id}/edit", data={"name": "Anna Sen", "version": version})
    assert "Någon annan sparade" in late.get_data(as_text=True)
    missing = as_admin.post(f"/customers/contacts/{contact_id}/edit", data={"name": "Anna Utan"})
    assert "saknar versionen" in missing.get_data(as_text=True)
    with ctx(app):
        assert db.session.get(Contact, contact_id).name == "Anna Först"


def test_an_address_saved_from_an_old_version_overwrites_nothing(app, as_admin):
    new_customer(app, name="Adress AB", invoice_street="Gatan 1", invoice_postcode="11122",
                 invoice_city="Stockholm")
    with ctx(app):
        address_id = db.session.execute(select(Address.id)).scalar_one()
    version = version_in(as_admin.get(f"/customers/addresses/{address_id}/edit").get_data(as_text=True))
    data = {"street": "Först 1", "postcode": "11122", "city": "Stockholm", "version": version}
    as_admin.post(f"/customers/addresses/{address_id}/edit", data=data)
    late = as_admin.post(f"/customers/addresses/{address_id}/edit", data={**data, "street": "Sen 2"})
    assert "Någon annan sparade" in late.get_data(as_text=True)
    with ctx(app):
        assert db.session.get(Address, address_id).street == "Först 1"


def test_a_customer_post_without_version_is_refused(app, as_admin):
    customer_id = new_customer(app, name="Före AB")
    response = as_admin.post(f"/customers/{customer_id}/edit", data={"name": "Efter AB"})
    assert "saknar versionen" in response.get_data(as_text=True)
    with ctx(app):
        assert db.session.get(Customer, customer_id).name == "Före AB"


def test_the_portal_checks_the_contact_version(app, client):
    from tests.views.test_portal_views import login, portal_user

    customer_id = new_customer(app, name="Portal AB")
    portal_user(app, customer_id, "p@exempel.se", edit=True)
    login(client, "p@exempel.se")
    client.post("/portal/contacts/new", data={"name": "Bo"})
    with ctx(app):
        contact_id = db.session.execute(select(Contact.id)).scalar_one()
    version = version_in(client.get(f"/portal/contacts/{contact_id}").get_data(as_text=True))
    client.post(f"/portal/contacts/{contact_id}", data={"name": "Bo Först", "version": version})
    late = client.post(f"/portal/contacts/{contact_id}", data={"name": "Bo Sen", "version": version})
    assert "Någon annan sparade" in late.get_data(as_text=True)
    with ctx(app):
        assert db.session.get(Contact, contact_id).name == "Bo Först"
