"""The accounting sync wired in (F28, F29): every saved customer change goes through the outbox to
the fake Fortnox / Visma over HTTP, changes made there come back through the commands, and
outages delay records without losing any."""

import io
import json

from sqlalchemy import select

from app.extensions import db
from app.models import Customer, CustomerHistory, OutboxMessage
from app.models.integrations import AccountingConflict
from tests.conftest import ctx, new_customer
from tests.integrations.conftest import connect
from tests.services.test_importer import csv_bytes, do_import


def rows(app) -> list[tuple]:
    with ctx(app):
        return [(m.recipient, m.subject, m.status, json.loads(m.body).get("snapshot", {}).get("name"))
                for m in db.session.execute(select(OutboxMessage).where(OutboxMessage.kind == "accounting")
                                            .order_by(OutboxMessage.id)).scalars()]


def deliver(app) -> str:
    result = app.test_cli_runner().invoke(args=["outbox", "deliver", "--once"])
    assert result.exit_code == 0, result.output
    return result.output


def pushed(fake, method: str) -> list[dict]:
    path = "/3/customers" if hasattr(fake, "invoice_order") else "/v2/customers"
    return [e["json"].get("Customer", e["json"]) for e in fake.requests_to(method, path)
            if e["status"] < 300 and e["json"]]


def test_nothing_is_queued_until_a_provider_is_connected_with_sync_on(app, fake_fortnox):
    new_customer(app, name="Före AB")
    assert rows(app) == []
    connect(app, "fortnox")
    with ctx(app):
        from app.services import integration_connections as connections

        connections.save_options("fortnox", {"sync_customers": False})
    new_customer(app, name="Avstängd AB")
    assert rows(app) == []


def test_web_form_create_update_and_private_customer_reach_fortnox(app, as_admin, fake_fortnox):
    connect(app, "fortnox")
    answer = as_admin.post("/customers/add", data={
        "name": "Rörfirman i Lund AB", "customer_type": "company", "identity_number": "556036-0793",
        "invoice_street": "Box 12", "invoice_postcode": "22100", "invoice_city": "Lund"})
    assert answer.status_code == 302
    with ctx(app):
        customer = db.session.execute(select(Customer)).scalar_one()
        customer_id, number = customer.id, customer.customer_number
    assert rows(app) == [("fortnox", number, "pending", "Rörfirman i Lund AB")]
    assert fake_fortnox.customers == {}  # saving never waits for Fortnox
    deliver(app)
    created = pushed(fake_fortnox, "POST")[0]
    assert (created["CustomerNumber"], created["Name"], created["Type"], created["OrganisationNumber"]) == (
        number, "Rörfirman i Lund AB", "COMPANY", "556036-0793")
    assert (created["Address1"], created["ZipCode"], created["City"], created["Active"]) == (
        "Box 12", "221 00", "Lund", True)
    assert rows(app) == [("fortnox", number, "sent", "Rörfirman i Lund AB")]

    as_admin.post(f"/customers/contacts/add?_flt_0_customer={customer_id}",
                  data={"name": "Karin Berg", "email": "karin@rorfirman.se", "phone": "046-123 45",
                        "is_main_contact": "y"})
    as_admin.post(f"/customers/{customer_id}/edit", data={
        "name": "Rörfirman Syd AB", "customer_type": "company", "identity_number": "556036-0793",
        "invoice_street": "Box 12", "invoice_postcode": "22100", "invoice_city": "Lund"})
    assert [r[2:] for r in rows(app)] == [("sent", "Rörfirman i Lund AB"), ("pending", "Rörfirman Syd AB")]
    deliver(app)
    updates = pushed(fake_fortnox, "PUT")
    assert len(updates) == 1  # two saves waiting: one row, the newest state
    assert (updates[0]["Name"], updates[0]["Email"], updates[0]["Phone1"], updates[0]["YourReference"]) == (
        "Rörfirman Syd AB", "karin@rorfirman.se", "046-123 45", "Karin Berg")
    assert fake_fortnox.customers[number]["Name"] == "Rörfirman Syd AB"

    answer = as_admin.post("/customers/add", data={"name": "Anna Svensson", "customer_type": "private",
                                                   "identity_number": "8112289874", "invoice_city": "Göteborg"})
    assert answer.status_code == 302
    deliver(app)
    private = pushed(fake_fortnox, "POST")[-1]
    assert (private["Name"], private["Type"], private["OrganisationNumber"]) == (
        "Anna Svensson", "PRIVATE", "19811228-9874")


def test_an_import_queues_every_customer_and_visma_gets_them_too(app, fake_fortnox, fake_visma):
    connect(app, "fortnox")
    connect(app, "visma")
    header = ["Kundnummer", "Namn", "Kundtyp", "Organisationsnummer", "Gatuadress", "Postnummer", "Ort",
              "Kontaktperson", "E-post", "Telefon"]
    data = [["5001", "Åkesson Rör AB", "Företag", "556036-0793", "Storgatan 1", "114 55", "Stockholm", "Anna Ek",
             "anna@akesson.se", "070-123 45 67"],
            ["5002", "Örjan Öberg", "Privat", "19811228-9874", "Ängsvägen 2", "41104", "Göteborg", "", "", ""]]
    report, _failed = do_import(app, csv_bytes([header, *data]))
    assert report.ok, report
    assert sorted((r[0], r[1]) for r in rows(app)) == [("fortnox", "5001"), ("fortnox", "5002"),
                                                        ("visma", "5001"), ("visma", "5002")]
    deliver(app)
    fortnox = {c["CustomerNumber"]: c for c in pushed(fake_fortnox, "POST")}
    assert (fortnox["5001"]["Email"], fortnox["5001"]["YourReference"], fortnox["5001"]["ZipCode"]) == (
        "anna@akesson.se", "Anna Ek", "114 55")
    assert (fortnox["5002"]["Type"], fortnox["5002"]["OrganisationNumber"]) == ("PRIVATE", "19811228-9874")
    visma = {c["CustomerNumber"]: c for c in pushed(fake_visma, "POST")}
    assert (visma["5002"]["IsPrivatePerson"], visma["5002"]["CorporateIdentityNumber"]) == (True, "19811228-9874")
    assert visma["5001"]["EmailAddress"] == "anna@akesson.se"
    assert {r[2] for r in rows(app)} == {"sent"}
    # again, unchanged: an import that changes nothing sends nothing
    do_import(app, csv_bytes([header, *data]), mode="update")
    assert {r[2] for r in rows(app)} == {"sent"} and len(rows(app)) == 4
