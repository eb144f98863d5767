"""The real Visma eAccounting client and sync engine against the fake eAccounting over HTTP."""

from sqlalchemy import select

from app.extensions import db
from app.integrations.crypto import decrypt
from app.integrations.mapping import AddressSnapshot, CustomerSnapshot, OrderRow, OrderSnapshot
from app.models.integrations import IntegrationConnection
from app.services import accounting_sync as sync
from app.services import integration_connections as connections
from app.services.accounting_sync import LocalState
from tests.conftest import ctx
from tests.integrations.conftest import connect


def private() -> CustomerSnapshot:
    return CustomerSnapshot(customer_number="2001", name="Anna Svensson", customer_type="private",
                            identity_number="19811218-9876",
                            invoice_address=AddressSnapshot("Ågatan 3", "", "41118", "Göteborg"),
                            postal_address=AddressSnapshot("Box 5", "", "41101", "Göteborg"),
                            email="anna@exempel.se", phone="070-123 45 67", your_reference="Anna Svensson",
                            our_reference="Tore Tekniker")


def test_a_private_customer_is_created_then_updated_by_id(app, fake_visma):
    connect(app, "visma")
    with ctx(app):
        created = sync.push_customer("visma", private())
        updated = sync.push_customer("visma", CustomerSnapshot(**{**private().__dict__, "name": "Anna Berg"}))
    post = fake_visma.requests_to("POST", "/v2/customers")[0]["json"]
    assert post["IsPrivatePerson"] is True and post["CorporateIdentityNumber"] == "19811218-9876"
    assert (post["InvoiceAddress1"], post["InvoicePostalCode"], post["InvoiceCity"]) == ("Ågatan 3", "411 18",
                                                                                        "Göteborg")
    assert (post["DeliveryAddress1"], post["EmailAddress"], post["Telephone"]) == ("Box 5", "anna@exempel.se",
                                                                                  "070-123 45 67")
    assert post["TermsOfPaymentId"] == fake_visma.terms_of_payment[0]["Id"]
    assert "OurReference" not in post  # eAccounting keeps our reference on sales documents
    assert created.created and not updated.created and created.remote_id == updated.remote_id
    assert fake_visma.requests_to("PUT", f"/v2/customers/{created.remote_id}")
    assert [c["Name"] for c in fake_visma.customers.values()] == ["Anna Berg"]


def test_a_change_in_visma_comes_back_through_changed_utc(app, fake_visma):
    connect(app, "visma")
    applied = []
    with ctx(app):
        sync.push_customer("visma", private())
        first = sync.pull_and_apply("visma", local_state=lambda n: LocalState(private(), False),
                                    apply_change=applied.append)
    assert first.echoes == 1 and applied == []
    fake_visma.edit_customer("2001", InvoiceCity="Mölndal")
    with ctx(app):
        sync.pull_and_apply("visma", local_state=lambda n: LocalState(private(), False), apply_change=applied.append)
    assert [c.snapshot.invoice_address.city for c in applied] == ["Mölndal"]
    assert "ChangedUtc gt" in fake_visma.requests_to("GET", "/v2/customers")[-1]["args"]["$filter"]


def test_an_expired_token_is_refreshed_and_rotated(app, fake_visma):
    connect(app, "visma")
    with ctx(app):
        before = decrypt(db.session.execute(select(IntegrationConnection)).scalar_one().refresh_token_encrypted,
                         app.config["SECRET_KEY"])
    fake_visma.expire_access_tokens()
    with ctx(app):
        sync.push_customer("visma", private())
        after = decrypt(db.session.execute(select(IntegrationConnection)).scalar_one().refresh_token_encrypted,
                        app.config["SECRET_KEY"])
    assert before != after and before not in fake_visma.refresh_tokens and after in fake_visma.refresh_tokens
    assert len(fake_visma.customers) == 1


def test_the_assigned_user_goes_as_our_reference_only_with_the_option(app, fake_visma):
    connect(app, "visma")
    order = OrderSnapshot(order_number="A-1", customer_number="2001", rows=(OrderRow("Service", 1, 900.0),),
                          your_reference="Anna Svensson", our_reference="Tore Tekniker")
    with ctx(app):
        sync.push_customer("visma", private())
        sync.send_order("visma", order)
        connections.save_options("visma", {"assigned_as_our_reference": True})
        sync.send_order("visma", order)
        draft = sync.send_order("visma", OrderSnapshot(**{**order.__dict__, "always_invoice": True}))
    assert [o.get("OurReference") for o in fake_visma.orders] == [None, "Tore Tekniker"]
    assert draft.kind == "invoice" and fake_visma.invoice_drafts[0]["OurReference"] == "Tore Tekniker"
    assert fake_visma.orders[0]["CustomerId"] == next(iter(fake_visma.customers))


def test_visma_refusing_the_data_is_rejected_with_its_reason(app, fake_visma):
    connect(app, "visma")
    snapshot = CustomerSnapshot(customer_number="9", name="Utan adress AB")
    with ctx(app):
        outcome = sync.deliver_customer("visma", snapshot)
    assert outcome.status is sync.Delivery.REJECTED and "InvoiceCity" in outcome.message
    assert fake_visma.customers == {}
