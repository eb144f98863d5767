"""The snapshot the write path fills from a Customer, and its round trip through both providers."""

from app.commands import save_address, save_contact
from app.extensions import db
from app.integrations import mapping
from app.models import Customer
from app.security.access import SYSTEM
from app.services import accounting_sync
from tests.conftest import ctx, new_customer


def test_a_saved_customer_becomes_the_documented_snapshot_and_fortnox_body(app):
    customer_id = new_customer(app, name="Värmeteknik i Väst AB", identity_number="556002-1361",
                               invoice_street="Box 7", invoice_postcode="411 01", invoice_city="Göteborg")
    with ctx(app):
        customer = db.session.get(Customer, customer_id)
        save_contact(customer, {"name": "Karin Berg", "email": "karin@vtv.se", "phone": "031-12 34 56",
                                "is_main_contact": "y"}, by=SYSTEM)
        save_contact(customer, {"name": "Olle Ek", "email": "olle@vtv.se"}, by=SYSTEM)
        save_address(customer, "visiting", {"street": "Hamngatan 2", "postcode": "41106", "city": "Göteborg"}, by=SYSTEM)
        snapshot = accounting_sync.snapshot_from_customer(db.session.get(Customer, customer_id))
        number = customer.customer_number
    assert snapshot.customer_number == number and snapshot.customer_type == "company"
    assert (snapshot.email, snapshot.phone, snapshot.your_reference) == ("karin@vtv.se", "031-12 34 56", "Karin Berg")
    assert snapshot.invoice_address == mapping.AddressSnapshot("Box 7", "", "41101", "Göteborg")
    assert snapshot.visiting_address.street == "Hamngatan 2" and snapshot.postal_address.is_empty()
    assert snapshot.prices_include_vat is False  # F4: a company with an organisation number
    assert mapping.CustomerSnapshot.from_dict(snapshot.to_dict()) == snapshot  # what the outbox row stores
    body = mapping.to_fortnox(snapshot)
    assert (body["Type"], body["OrganisationNumber"], body["ZipCode"], body["VisitingAddress"]) == (
        "COMPANY", "556002-1361", "411 01", "Hamngatan 2")
    assert mapping.from_fortnox(body) == snapshot.__class__(**{**snapshot.__dict__, "our_reference": ""})


def test_visma_round_trip_keeps_what_visma_holds():
    snapshot = mapping.CustomerSnapshot(
        customer_number="7", name="Per Persson", customer_type="private", identity_number="19811218-9876",
        invoice_address=mapping.AddressSnapshot("Ågatan 3", "lgh 1101", "41118", "Göteborg"),
        email="per@exempel.se", phone="070-1", your_reference="Per Persson", active=False)
    back = mapping.from_visma(mapping.to_visma(snapshot, "terms"))
    assert back == snapshot
