"""The real Fortnox client and sync engine against the fake Fortnox over HTTP."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.integrations import fortnox
from app.integrations.crypto import decrypt
from app.integrations.errors import AuthorizationFailed
from app.integrations.mapping import AddressSnapshot, CustomerSnapshot, OrderRow, OrderSnapshot
from app.models.integrations import AccountingConflict, IntegrationConnection
from app.services import accounting_sync as sync
from app.services.accounting_sync import Delivery, LocalState
from tests.conftest import ctx
from tests.integrations.conftest import connect


def company(number="1001", **changes) -> CustomerSnapshot:
    values = dict(
        customer_number=number, name="Rörfirman i Lund AB", customer_type="company",
        identity_number="556002-1361", prices_include_vat=False,
        invoice_address=AddressSnapshot("Box 12", "Att: Ekonomi", "22100", "Lund"),
        visiting_address=AddressSnapshot("Stora Södergatan 4", "", "22223", "Lund"),
        postal_address=AddressSnapshot("Industrigatan 9", "", "22470", "Lund"),
        email="ekonomi@rorfirman.se", phone="046-123 45", your_reference="Karin Berg")
    values.update(changes)
    return CustomerSnapshot(**values)


def private(number="2001") -> CustomerSnapshot:
    return CustomerSnapshot(customer_number=number, name="Anna Svensson", customer_type="private",
                            identity_number="19811218-9876", prices_include_vat=True,
                            invoice_address=AddressSnapshot("Ågatan 3", "", "41118", "Göteborg"))


def test_a_company_is_created_in_fortnox_with_the_mapped_body(app, fake_fortnox):
    connect(app, "fortnox")
    with ctx(app):
        result = sync.push_customer("fortnox", company())
    assert result.created and result.remote_id == "1001"
    sent = fake_fortnox.requests_to("POST", "/3/customers")[0]["json"]["Customer"]
    assert sent["CustomerNumber"] == "1001" and sent["Type"] == "COMPANY"
    assert sent["OrganisationNumber"] == "556002-1361"
    assert (sent["Address1"], sent["Address2"], sent["ZipCode"], sent["City"]) == (
        "Box 12", "Att: Ekonomi", "221 00", "Lund")
    assert (sent["VisitingAddress"], sent["VisitingZipCode"], sent["VisitingCity"]) == (
        "Stora Södergatan 4", "222 23", "Lund")
    assert (sent["DeliveryAddress1"], sent["DeliveryZipCode"]) == ("Industrigatan 9", "224 70")
    assert (sent["Email"], sent["Phone1"], sent["YourReference"]) == ("ekonomi@rorfirman.se", "046-123 45",
                                                                      "Karin Berg")
    assert sent["VATType"] == "SEVAT" and sent["ShowPriceVATIncluded"] is False and sent["Active"] is True
    assert fake_fortnox.customers["1001"]["Name"] == "Rörfirman i Lund AB"


def test_an_update_is_a_put_and_a_private_customer_is_corrected_to_private(app, fake_fortnox):
    # Entered in Fortnox earlier as a company, although it is a private person.
    fake_fortnox.add_customer(CustomerNumber="2001", Name="Anna Svensson", Type="COMPANY",
                              OrganisationNumber="811218-9876")
    connect(app, "fortnox")
    with ctx(app):
        plan = sync.initial_match("fortnox", ["2001", "3001"])
        assert plan.matched == ["2001"] and plan.only_here == ["3001"]
        result = sync.push_customer("fortnox", private())
    assert not result.created and not result.overwrote_remote_change
    put = fake_fortnox.requests_to("PUT", "/3/customers/2001")[0]["json"]["Customer"]
    assert put["Type"] == "PRIVATE" and put["OrganisationNumber"] == "19811218-9876"
    assert put["ShowPriceVATIncluded"] is True
    assert fake_fortnox.customers["2001"]["Type"] == "PRIVATE"
    assert not fake_fortnox.requests_to("POST", "/3/customers")


def test_a_change_made_in_fortnox_comes_back_and_our_own_echo_does_not(app, fake_fortnox):
    connect(app, "fortnox")
    applied = []
    with ctx(app):
        sync.push_customer("fortnox", company())
        report = sync.pull_and_apply("fortnox", local_state=lambda n: LocalState(company(), False),
                                     apply_change=applied.append)
    assert applied == [] and report.echoes == 1  # what we pushed is not a change from Fortnox

    fake_fortnox.edit_customer("1001", Name="Rörfirman Syd AB", Phone1="046-999 99")
    with ctx(app):
        report = sync.pull_and_apply("fortnox", local_state=lambda n: LocalState(company(), False),
                                     apply_change=applied.append)
    assert report.applied == ["1001"]
    assert [(c.customer_number, c.snapshot.name, c.snapshot.phone) for c in applied] == [
        ("1001", "Rörfirman Syd AB", "046-999 99")]
    assert applied[0].snapshot.invoice_address == AddressSnapshot("Box 12", "Att: Ekonomi", "22100", "Lund")

    with ctx(app):  # applied once: the next pull does not bring it again
        report = sync.pull_and_apply("fortnox", local_state=lambda n: LocalState(company(), False),
                                     apply_change=applied.append)
    assert len(applied) == 1 and report.applied == []


def test_changed_on_both_sides_keeps_ours_and_lists_the_conflict(app, fake_fortnox):
    connect(app, "fortnox")
    with ctx(app):
        sync.push_customer("fortnox", company())
    fake_fortnox.edit_customer("1001", Name="Ändrat i Fortnox AB")
    ours = company(name="Ändrat hos oss AB")
    applied = []
    with ctx(app):
        report = sync.pull_and_apply("fortnox", local_state=lambda n: LocalState(ours, True),
                                     apply_change=applied.append)
        assert report.conflicts == ["1001"] and applied == []
        result = sync.push_customer("fortnox", ours)
        conflicts = db.session.execute(select(AccountingConflict)).scalars().all()
        assert [(c.ours["name"], c.theirs["name"]) for c in conflicts][0] == ("Ändrat hos oss AB",
                                                                             "Ändrat i Fortnox AB")
    assert result.overwrote_remote_change
    assert fake_fortnox.customers["1001"]["Name"] == "Ändrat hos oss AB"


def test_a_push_over_an_unseen_fortnox_change_is_listed_as_a_conflict(app, fake_fortnox):
    connect(app, "fortnox")
    with ctx(app):
        sync.push_customer("fortnox", company())
    fake_fortnox.edit_customer("1001", City="Malmö")
    with ctx(app):
        result = sync.push_customer("fortnox", company(name="Nytt namn AB"))
        assert result.overwrote_remote_change
        assert db.session.execute(select(AccountingConflict.customer_number)).scalars().all() == ["1001"]
    assert fake_fortnox.customers["1001"]["City"] == "Lund"


def test_rate_limit_answers_429_are_waited_out_and_nothing_is_lost(app, fake_fortnox):
    fake_fortnox.rate_limit = (3, 1.0)  # much stricter than the client's limit
    app.config["FORTNOX_RATE_LIMIT"] = (25, 1.0)
    connect(app, "fortnox")
    with ctx(app):
        for n in range(6):
            sync.push_customer("fortnox", company(number=str(5000 + n), name=f"Kund {n}"))
    assert fake_fortnox.rate_limited > 0
    assert sorted(fake_fortnox.customers) == [str(5000 + n) for n in range(6)]


def test_the_client_side_limiter_stays_under_the_limit(app, fake_fortnox):
    fake_fortnox.rate_limit = (4, 1.0)
    app.config["FORTNOX_RATE_LIMIT"] = (4, 1.0)
    connect(app, "fortnox")
    with ctx(app):
        for n in range(5):  # two requests each
            sync.push_customer("fortnox", company(number=str(6000 + n)))
    assert fake_fortnox.rate_limited == 0 and len(fake_fortnox.customers) == 5


def test_server_errors_are_retried(app, fake_fortnox):
    connect(app, "fortnox")
    fake_fortnox.inject(503, 500)
    with ctx(app):
        outcome = sync.deliver_customer("fortnox", company())
    assert outcome.status is Delivery.DELIVERED
    assert [e["status"] for e in fake_fortnox.log if e["path"].startswith("/3/")][:2] == [503, 500]
    assert list(fake_fortnox.customers) == ["1001"]


def test_an_expired_access_token_is_refreshed_and_the_old_refresh_token_is_dead(app, fake_fortnox):
    connect(app, "fortnox")
    with ctx(app):
        row = db.session.execute(select(IntegrationConnection)).scalar_one()
        first_refresh = decrypt(row.refresh_token_encrypted, app.config["SECRET_KEY"])
    fake_fortnox.expire_access_tokens()
    with ctx(app):
        sync.push_customer("fortnox", company())
        row = db.session.execute(select(IntegrationConnection)).scalar_one()
        second_refresh = decrypt(row.refresh_token_encrypted, app.config["SECRET_KEY"])
        assert second_refresh != first_refresh and first_refresh in fake_fortnox.used_refresh_tokens
        with pytest.raises(AuthorizationFailed):
            fortnox.oauth_client(app.config).refresh(first_refresh)  # rotated: the old one is refused
    assert list(fake_fortnox.customers) == ["1001"]
    assert any(e["status"] == 401 for e in fake_fortnox.log)


def test_a_token_about_to_expire_is_refreshed_before_it_is_used(app, fake_fortnox):
    fake_fortnox.access_token_lifetime = 60  # inside the client's refresh margin
    connect(app, "fortnox")
    with ctx(app):
        sync.push_customer("fortnox", company())
    paths = [(e["path"], e["form"].get("grant_type")) for e in fake_fortnox.log]
    first_api = next(i for i, (path, _) in enumerate(paths) if path.startswith("/3/"))
    assert ("/oauth-v1/token", "refresh_token") in paths[:first_api]
    assert all(e["status"] != 401 for e in fake_fortnox.log)


@pytest.mark.parametrize("mode", ["refused", "503"])
def test_an_outage_delays_delivery_and_records_why(app, fake_fortnox, mode):
    connect(app, "fortnox")
    fake_fortnox.go_down(mode)
    with ctx(app):
        outcome = sync.deliver_customer("fortnox", company(), client=None)
        assert outcome.status is Delivery.RETRY and "Fortnox" in outcome.message
        row = db.session.execute(select(IntegrationConnection)).scalar_one()
        assert "Fortnox" in row.last_error
    fake_fortnox.come_back()
    with ctx(app):
        assert sync.deliver_customer("fortnox", company()).status is Delivery.DELIVERED
        assert db.session.execute(select(IntegrationConnection)).scalar_one().last_error is None
    assert list(fake_fortnox.customers) == ["1001"]


def test_fortnox_refusing_the_data_is_a_clear_message_and_not_retried(app, fake_fortnox):
    connect(app, "fortnox")
    with ctx(app):
        outcome = sync.deliver_customer("fortnox", company(identity_number="556002-1362"))
    assert outcome.status is Delivery.REJECTED
    assert "Fortnox" in outcome.message and "Ogiltigt organisationsnummer" in outcome.message
    assert fake_fortnox.customers == {}
    with ctx(app):  # Fortnox's own words are kept; the user reads ours, in Swedish
        error = fortnox.translate_error(400, {"ErrorInformation": {"error": 1, "code": 2000637,
                                                                   "message": "Kundnummer 1001 används redan."}})
        assert not error.retryable and "Kundnumret används redan i Fortnox" in error.message
        assert error.detail == "Kundnummer 1001 används redan."


def test_customer_lists_are_read_page_by_page_and_filtered_by_lastmodified(app, fake_fortnox):
    import datetime

    for n in range(7):
        fake_fortnox.add_customer(CustomerNumber=str(100 + n), Name=f"Kund {n}")
    old = datetime.datetime(2024, 1, 1, 12, 0)
    for n in range(5):
        fake_fortnox.modified[str(100 + n)] = old
    connect(app, "fortnox")
    with ctx(app):
        client = sync.connections.client_for("fortnox")
        assert [c["CustomerNumber"] for c in client.list_customers(limit=3)] == [str(100 + n) for n in range(7)]
        assert len(fake_fortnox.requests_to("GET", "/3/customers")) == 3
        changes = sync.pull_changes("fortnox", datetime.datetime(2025, 6, 1))
    assert sorted(c.customer_number for c in changes) == ["105", "106"]
    assert fake_fortnox.requests_to("GET", "/3/customers")[-3]["args"]["lastmodified"] == "2025-06-01 01:57"


def test_orders_and_invoices_and_their_status(app, fake_fortnox):
    connect(app, "fortnox")
    order = OrderSnapshot(order_number="A-17", customer_number="1001", your_reference="Karin Berg",
                          our_reference="Tore Tekniker",
                          rows=(OrderRow("Service av värmepump", 2, 850.0, "TIM"), OrderRow("Filter", 1, 240.0)))
    with ctx(app):
        sync.push_customer("fortnox", company())
        sent = sync.send_order("fortnox", order)
        assert sent.kind == "order"
        assert sync.invoice_state(sent) == sync.InvoiceState(invoiced=False, booked=False, paid=False)
        invoice_number = fake_fortnox.invoice_order(sent.number)
        assert sync.invoice_state(sent) == sync.InvoiceState(invoiced=True, booked=False, paid=False)
        fake_fortnox.book_and_pay(invoice_number)
        assert sync.invoice_state(sent) == sync.InvoiceState(invoiced=True, booked=True, paid=True)
        invoice = sync.send_order("fortnox", OrderSnapshot(**{**order.__dict__, "always_invoice": True}))
    body = fake_fortnox.requests_to("POST", "/3/orders")[0]["json"]["Order"]
    assert body["CustomerNumber"] == "1001" and body["OurReference"] == "Tore Tekniker"
    assert body["OrderRows"][0] == {"ArticleNumber": "TIM", "Description": "Service av värmepump",
                                    "OrderedQuantity": 2, "DeliveredQuantity": 2, "Price": 850.0}
    assert invoice.kind == "invoice" and fake_fortnox.invoices[invoice.number]["Total"] == 1940.0


def test_a_service_account_is_requested_with_offline_access(app, fake_fortnox):
    connect(app, "fortnox", service_account=True)
    assert fake_fortnox.last_authorize["access_type"] == "offline"
    assert fake_fortnox.last_authorize["account_type"] == "service"
    assert set(fake_fortnox.last_authorize["scope"].split()) >= {"customer", "order", "invoice"}
    with ctx(app):
        assert db.session.execute(select(IntegrationConnection)).scalar_one().account_type == "service"
