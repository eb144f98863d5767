"""The accounting sync wired in (F28, F29): every saved customer change goes through the outbox to
the fake Fortnox / Visma over HTTP, changes made there come back through the commands, and
outages delay records without losing any."""

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
    with ctx(app):
        version = db.session.get(Customer, customer_id).version
    as_admin.post(f"/customers/{customer_id}/edit", data={
        "name": "Rörfirman Syd AB", "customer_type": "company", "identity_number": "556036-0793",
        "invoice_street": "Box 12", "invoice_postcode": "22100", "invoice_city": "Lund", "version": str(version)})
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


def customer_with(app, **raw) -> tuple[int, str]:
    customer_id = new_customer(app, **raw)
    with ctx(app):
        return customer_id, db.session.get(Customer, customer_id).customer_number


def edit(app, customer_id: int, **values) -> None:
    from app.commands import update_customer
    from app.security.access import SYSTEM

    with ctx(app):
        update_customer(db.session.get(Customer, customer_id), values, by=SYSTEM)


def sync_once(app, expect: int = 0) -> str:
    result = app.test_cli_runner().invoke(args=["integrations", "sync", "--once"])
    assert result.exit_code == expect, result.output
    return result.output


def test_a_change_made_in_fortnox_comes_back_with_history_fortnox(app, fake_fortnox):
    connect(app, "fortnox")
    customer_id, number = customer_with(app, name="Hemma AB", invoice_city="Lund")
    deliver(app)
    fake_fortnox.edit_customer(number, Name="Ändrad i Fortnox AB", City="Malmö", Email="info@andrad.se",
                               YourReference="Per Persson", VisitingAddress="Torget 1", VisitingCity="Malmö")
    output = sync_once(app)
    assert "fortnox: applied 1, conflicts 0" in output
    with ctx(app):
        customer = db.session.get(Customer, customer_id)
        assert (customer.name, customer.address("invoice").city, customer.address("visiting").street) == (
            "Ändrad i Fortnox AB", "Malmö", "Torget 1")
        assert (customer.main_contact.name, customer.main_contact.email) == ("Per Persson", "info@andrad.se")
        authors = {(h.field, h.changed_by) for h in db.session.execute(
            select(CustomerHistory).where(CustomerHistory.customer_id == customer_id,
                                          CustomerHistory.action == "update")).scalars()}
    assert ("name", "Fortnox") in authors
    # not sent back to Fortnox (it has it), and the next pull sees nothing new
    assert [r[2] for r in rows(app)] == ["sent"]
    assert "fortnox: applied 0, conflicts 0" in sync_once(app)


def test_a_customer_changed_on_both_sides_keeps_ours_and_is_listed(app, as_admin, fake_fortnox):
    connect(app, "fortnox")
    customer_id, number = customer_with(app, name="Båda AB", invoice_city="Lund")
    deliver(app)
    fake_fortnox.edit_customer(number, Name="Fortnox-namnet AB")
    edit(app, customer_id, name="Vårt namn AB")
    sync_once(app)
    assert fake_fortnox.customers[number]["Name"] == "Vårt namn AB"
    with ctx(app):
        assert db.session.get(Customer, customer_id).name == "Vårt namn AB"
        conflict = db.session.execute(select(AccountingConflict)).scalar_one()
        assert (conflict.customer_number, conflict.ours["name"], conflict.theirs["name"]) == (
            number, "Vårt namn AB", "Fortnox-namnet AB")
    page = as_admin.get("/integrations/").get_data(as_text=True)
    assert "Fortnox-namnet AB" in page and "Vårt namn AB" in page


def test_5xx_429_and_an_expired_token_delay_records_and_lose_none(app, fake_fortnox):
    app.config.update(OUTBOX_RETRY_BASE_SECONDS=0, ACCOUNTING_OUTAGE_PAUSE_SECONDS=0)
    connect(app, "fortnox")
    fake_fortnox.inject(503, 500, 503, 502)  # more than the client's own four attempts
    first_id, first = customer_with(app, name="Första AB")
    deliver(app)
    with ctx(app):
        message = db.session.execute(select(OutboxMessage).where(OutboxMessage.kind == "accounting")).scalar_one()
        assert (message.status, message.attempts) == ("pending", 1)
        assert "Fortnox" in message.last_error
    assert first not in fake_fortnox.customers
    deliver(app)
    assert fake_fortnox.customers[first]["Name"] == "Första AB"

    fake_fortnox.expire_access_tokens()
    edit(app, first_id, name="Första Ändrad AB")
    deliver(app)
    assert fake_fortnox.customers[first]["Name"] == "Första Ändrad AB"
    assert [e for e in fake_fortnox.requests_to("POST", "/oauth-v1/token")
            if e["form"].get("grant_type") == "refresh_token"]

    fake_fortnox.rate_limit = (3, 1.0)
    numbers = [customer_with(app, name=f"Kund {i} AB")[1] for i in range(6)]
    for _ in range(20):
        deliver(app)
        if all(number in fake_fortnox.customers for number in numbers):
            break
    assert fake_fortnox.rate_limited > 0
    created = [c["CustomerNumber"] for c in pushed(fake_fortnox, "POST")]
    assert sorted(created) == sorted([first, *numbers])  # each created exactly once
    assert {r[2] for r in rows(app)} == {"sent"}


def test_fortnox_down_for_a_while_then_everything_arrives_once_in_order(app, as_admin, fake_fortnox):
    app.config.update(OUTBOX_RETRY_BASE_SECONDS=0, ACCOUNTING_OUTAGE_PAUSE_SECONDS=0)
    connect(app, "fortnox")
    fake_fortnox.go_down("refused")
    a_id, a = customer_with(app, name="A AB")
    b_id, b = customer_with(app, name="B AB")
    edit(app, a_id, name="A två AB")
    deliver(app)
    page = as_admin.get("/integrations/").get_data(as_text=True)
    assert f"<td>{a}</td>" in page and "<td>A två AB</td>" in page and f"<td>{b}</td>" in page  # listed
    assert "Försenad" in page
    edit(app, a_id, name="A tre AB")
    fake_fortnox.come_back()
    deliver(app)
    assert [(c["CustomerNumber"], c["Name"]) for c in pushed(fake_fortnox, "POST")] == [(a, "A tre AB"),
                                                                                       (b, "B AB")]
    assert pushed(fake_fortnox, "PUT") == []

    # A worker took A's next change and died holding it; A's later change waits behind it.
    from app.services.outbox import _claim_next

    edit(app, a_id, name="A fyra AB")
    with ctx(app):
        assert _claim_next(db.session, ["accounting"], set()) is not None
    edit(app, a_id, name="A fem AB")
    assert [r[2:] for r in rows(app)][-2:] == [("pending", "A fyra AB"), ("pending", "A fem AB")]
    deliver(app)
    assert pushed(fake_fortnox, "PUT") == []  # not overtaken while the first is held
    with ctx(app):
        held = db.session.execute(select(OutboxMessage).where(OutboxMessage.claimed_by.is_not(None))).scalar_one()
        held.claimed_until = held.created_at  # the lease runs out
        db.session.commit()
    deliver(app)
    assert [c["Name"] for c in pushed(fake_fortnox, "PUT")] == ["A fyra AB", "A fem AB"]
    assert fake_fortnox.customers[a]["Name"] == "A fem AB"


def test_renumbering_and_deleting_reach_fortnox(app, fake_fortnox):
    from app.commands import change_customer_number, delete_customer
    from app.security.access import SYSTEM

    connect(app, "fortnox")
    customer_id, number = customer_with(app, name="Numret AB", customer_number="7001")
    deliver(app)
    with ctx(app):
        change_customer_number(db.session.get(Customer, customer_id), "7100", by=SYSTEM)
    deliver(app)
    assert (fake_fortnox.customers["7100"]["Name"], fake_fortnox.customers["7100"]["Active"]) == ("Numret AB", True)
    assert fake_fortnox.customers["7001"]["Active"] is False  # Fortnox cannot renumber: the old one retires
    from app.commands import set_active

    with ctx(app):
        set_active([customer_id], False, by=SYSTEM)
    deliver(app)
    assert fake_fortnox.customers["7100"]["Active"] is False
    with ctx(app):
        set_active([customer_id], True, by=SYSTEM)
    deliver(app)
    assert fake_fortnox.customers["7100"]["Active"] is True
    with ctx(app):
        delete_customer(db.session.get(Customer, customer_id), by=SYSTEM)
    deliver(app)
    assert fake_fortnox.customers["7100"]["Active"] is False
    assert "applied 0" in sync_once(app)  # our own changes are not pulled back as new customers
    with ctx(app):
        assert db.session.execute(select(Customer)).first() is None


def test_a_refused_record_fails_visibly_and_retry_sends_it(app, as_admin, fake_fortnox):
    from app.services import integration_connections as connections

    connect(app, "fortnox")
    _customer_id, number = customer_with(app, name="Väntar AB")
    with ctx(app):
        connections.disconnect("fortnox")
    deliver(app)
    assert [r[2] for r in rows(app)] == ["failed"]
    page = as_admin.get("/integrations/").get_data(as_text=True)
    assert f"<td>{number}</td>" in page and "Misslyckad" in page
    connect(app, "fortnox")
    deliver(app)
    assert number not in fake_fortnox.customers  # a failed record waits for a person
    with ctx(app):
        message_id = db.session.execute(select(OutboxMessage.id)).scalar()
    done = as_admin.post("/integrations/fortnox/retry", data={"message": str(message_id)}, follow_redirects=True)
    assert "1 ändringar skickas igen" in done.get_data(as_text=True)
    deliver(app)
    assert fake_fortnox.customers[number]["Name"] == "Väntar AB"
    assert "troubled-fortnox" not in as_admin.get("/integrations/").get_data(as_text=True)


def test_a_change_in_visma_comes_back_as_visma_and_is_not_sent_back_but_goes_to_fortnox(
        app, fake_fortnox, fake_visma):
    connect(app, "fortnox")
    connect(app, "visma")
    customer_id, number = customer_with(app, name="Vismakund AB", invoice_postcode="90325", invoice_city="Umeå")
    deliver(app)
    sync_once(app)  # the first pull reads everything: our own records are echoes
    fake_visma.edit_customer(number, Name="Ändrad i Visma AB", InvoiceCity="Luleå")
    output = sync_once(app)
    assert "visma: applied 1, conflicts 0" in output
    with ctx(app):
        customer = db.session.get(Customer, customer_id)
        assert (customer.name, customer.address("invoice").city) == ("Ändrad i Visma AB", "Luleå")
        history = db.session.execute(select(CustomerHistory.changed_by).where(
            CustomerHistory.customer_id == customer_id, CustomerHistory.field == "name",
            CustomerHistory.action == "update")).scalars().all()
    assert history == ["Visma"]
    assert [(r[0], r[2], r[3]) for r in rows(app)][-1] == ("fortnox", "pending", "Ändrad i Visma AB")
    assert [r[0] for r in rows(app)].count("visma") == 1  # not queued back to Visma
    deliver(app)
    assert fake_fortnox.customers[number]["City"] == "Luleå"


def test_a_pull_meets_our_waiting_change_lists_one_conflict_and_keeps_ours(app, as_admin, fake_fortnox):
    from app.commands.accounting import pull_all

    connect(app, "fortnox")
    customer_id, number = customer_with(app, name="Vänta AB")
    deliver(app)
    fake_fortnox.edit_customer(number, Name="Deras namn AB")
    edit(app, customer_id, name="Vårt nya namn AB")
    with ctx(app):
        report = pull_all().reports["fortnox"]
        assert report.conflicts == [number] and report.applied == []
        assert db.session.get(Customer, customer_id).name == "Vårt nya namn AB"
    deliver(app)  # ours goes over theirs; the same conflict is not listed twice
    assert fake_fortnox.customers[number]["Name"] == "Vårt nya namn AB"
    with ctx(app):
        conflict = db.session.execute(select(AccountingConflict)).scalar_one()
    page = as_admin.get("/integrations/").get_data(as_text=True)
    assert "Deras namn AB" in page and "Vår (behölls)" in page
    as_admin.post(f"/integrations/conflicts/{conflict.id}/resolve")
    assert "Deras namn AB" not in as_admin.get("/integrations/").get_data(as_text=True)


def test_a_change_the_accounting_system_does_not_hold_sends_nothing(app, fake_fortnox):
    connect(app, "fortnox")
    customer_id, _number = customer_with(app, name="Kommentar AB")
    deliver(app)
    edit(app, customer_id, comment="Ring före besök")
    assert [r[2] for r in rows(app)] == ["sent"]


def test_initial_sync_links_by_number_and_offers_the_rest(app, as_admin, fake_fortnox):
    fake_fortnox.add_customer(CustomerNumber="3001", Name="Finns på båda Aktiebolag")
    fake_fortnox.add_customer(CustomerNumber="3002", Name="Bara i Fortnox AB", City="Kiruna", Email="x@kiruna.se")
    fake_fortnox.add_customer(CustomerNumber="3004", Name="Anna Svensson", Type="COMPANY",
                              OrganisationNumber="811228-9874")  # a private person entered as a company
    new_customer(app, name="Finns på båda AB", customer_number="3001")
    new_customer(app, name="Bara här AB", customer_number="3003")
    new_customer(app, name="Anna Svensson", customer_number="3004", customer_type="private",
                 identity_number="19811228-9874")
    connect(app, "fortnox")
    assert rows(app) == []  # connecting sends nothing by itself
    page = as_admin.post("/integrations/fortnox/initial-sync").get_data(as_text=True)
    assert "2 kunder har samma kundnummer" in page
    assert 'value="3003"' in page and 'value="3002"' in page and 'value="3001"' not in page
    as_admin.post("/integrations/fortnox/send-ours", data={"number": ["3003"]})
    done = as_admin.post("/integrations/fortnox/create-theirs", data={"number": ["3002"]}, follow_redirects=True)
    assert "1 kunder skapades från Fortnox." in done.get_data(as_text=True)
    with ctx(app):
        created = db.session.execute(select(Customer).where(Customer.customer_number == "3002")).scalar_one()
        assert (created.name, created.address("invoice").city, created.main_contact.email) == (
            "Bara i Fortnox AB", "Kiruna", "x@kiruna.se")
        authors = set(db.session.execute(select(CustomerHistory.changed_by).where(
            CustomerHistory.customer_id == created.id)).scalars())
    assert authors == {"Fortnox"}
    # ours for the matched one (our register is the master), the one sent on request; 3002 came from
    # Fortnox and is not sent back
    assert [(r[1], r[2]) for r in rows(app)] == [("3001", "pending"), ("3004", "pending"), ("3003", "pending")]
    assert "fortnox: applied 0, conflicts 0" in sync_once(app)  # Fortnox's 3001 does not overwrite ours
    assert fake_fortnox.customers["3003"]["Name"] == "Bara här AB"
    assert fake_fortnox.customers["3001"]["Name"] == "Finns på båda AB"
    assert [c["CustomerNumber"] for c in pushed(fake_fortnox, "PUT")] == ["3001", "3004"]
    assert (fake_fortnox.customers["3004"]["Type"], fake_fortnox.customers["3004"]["OrganisationNumber"]) == (
        "PRIVATE", "19811228-9874")  # corrected on the first sync
    with ctx(app):
        assert db.session.execute(select(Customer.name).where(Customer.customer_number == "3001")).scalar() == \
            "Finns på båda AB"
    assert "fortnox: applied 0" in sync_once(app)  # everything linked: nothing new to pull


def test_while_fortnox_is_down_the_other_rows_wait_without_a_call_each(app, fake_fortnox):
    app.config.update(OUTBOX_RETRY_BASE_SECONDS=0, ACCOUNTING_OUTAGE_PAUSE_SECONDS=30)
    connect(app, "fortnox")
    fake_fortnox.go_down("503")
    for n in range(3):
        new_customer(app, name=f"Paus {n} AB")
    before = len(fake_fortnox.log)
    deliver(app)
    assert len(fake_fortnox.log) - before == app.config["INTEGRATION_MAX_ATTEMPTS"]  # one row's retries
    with ctx(app):
        delayed = db.session.execute(select(OutboxMessage).where(OutboxMessage.kind == "accounting")).scalars().all()
        assert [(m.status, m.attempts) for m in delayed] == [("pending", 1)] * 3
        assert all("Fortnox" in m.last_error for m in delayed)


def test_only_administrators_retry_resolve_or_run_the_initial_sync(app, client, auth, fake_fortnox):
    connect(app, "fortnox")
    auth.login("manager")
    for path in ("/integrations/fortnox/retry", "/integrations/conflicts/1/resolve",
                 "/integrations/fortnox/initial-sync", "/integrations/fortnox/send-ours",
                 "/integrations/fortnox/create-theirs"):
        assert client.post(path, data={"number": ["1"]}).status_code in (302, 403), path
    assert fake_fortnox.requests_to("GET", "/3/customers") == []


def test_the_page_lets_the_connect_form_go_on_to_the_providers_sign_in(as_admin, fake_fortnox, fake_visma):
    policy = as_admin.get("/integrations/").headers["Content-Security-Policy"]
    assert f"form-action 'self' {fake_fortnox.url} {fake_visma.url};" in policy


def test_before_the_initial_sync_the_pull_touches_only_linked_customers(app, as_admin, fake_fortnox):
    fake_fortnox.add_customer(CustomerNumber="4001", Name="Samma nummer i Fortnox AB")
    fake_fortnox.add_customer(CustomerNumber="4002", Name="Bara i Fortnox AB")
    new_customer(app, name="Vår 4001 AB", customer_number="4001")
    connect(app, "fortnox")
    assert "applied 0, conflicts 0, not applied 0, left for the initial sync 2" in sync_once(app)
    with ctx(app):
        names = dict(db.session.execute(select(Customer.customer_number, Customer.name)).all())
    assert names == {"4001": "Vår 4001 AB"}  # neither overwritten nor imported unasked

    as_admin.post("/integrations/fortnox/initial-sync")
    fake_fortnox.add_customer(CustomerNumber="4003", Name="Ny i Fortnox AB", City="Visby")
    output = sync_once(app)
    assert "applied 1, conflicts 0" in output
    with ctx(app):
        created = db.session.execute(select(Customer).where(Customer.customer_number == "4003")).scalar_one()
        assert (created.name, created.address("invoice").city) == ("Ny i Fortnox AB", "Visby")
        assert set(db.session.execute(select(CustomerHistory.changed_by).where(
            CustomerHistory.customer_id == created.id)).scalars()) == {"Fortnox"}
    assert fake_fortnox.customers["4001"]["Name"] == "Vår 4001 AB"  # ours, the master, was sent
