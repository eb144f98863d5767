"""The personal-data page (issue 15): find a person, download the extract, erase after confirming."""

import json

from sqlalchemy import select

from app.extensions import db
from app.models import Customer
from tests.conftest import ctx, new_customer


def test_find_extract_and_erase_a_private_customer(app, as_admin):
    new_customer(app, name="Åsa Öbergsson", customer_type="private", identity_number="19811218-9876",
                 customer_number="7001")
    page = as_admin.get("/gdpr/?personnummer=8112189876").get_data(as_text=True)
    assert 'id="gdpr-summary"' in page and "7001 Åsa Öbergsson" in page and "bokföringslagen" in page
    response = as_admin.get("/gdpr/extract?personnummer=8112189876")
    assert response.status_code == 200 and response.headers["Content-Disposition"].startswith("attachment")
    assert json.loads(response.data)["customers"][0]["identity_number"] == "19811218-9876"
    assert "Inget finns lagrat om personen." in as_admin.get("/gdpr/?email=ingen@exempel.se").get_data(as_text=True)
    # without the confirmation box nothing happens
    response = as_admin.post("/gdpr/erase", data={"customer": "7001"}, follow_redirects=True)
    assert "Bekräfta raderingen först." in response.get_data(as_text=True)
    with ctx(app):
        assert db.session.execute(select(Customer.name)).scalar() == "Åsa Öbergsson"
    response = as_admin.post("/gdpr/erase", data={"customer": "7001", "confirm": "1"}, follow_redirects=True)
    assert "Personens uppgifter raderades." in response.get_data(as_text=True)
    with ctx(app):
        assert db.session.execute(select(Customer.name, Customer.identity_number)).one() == (
            "Raderad person 7001", None)


def test_the_page_is_for_holders_of_the_right(app, client, auth):
    new_customer(app, name="Åsa", customer_type="private", identity_number="19811218-9876", customer_number="7001")
    auth.login("manager")
    assert client.get("/gdpr/").status_code == 403
    assert client.get("/gdpr/extract?personnummer=19811218-9876").status_code == 403
    assert client.post("/gdpr/erase", data={"customer": "7001", "confirm": "1"}).status_code == 403
    with ctx(app):
        assert db.session.execute(select(Customer.name)).scalar() == "Åsa"
