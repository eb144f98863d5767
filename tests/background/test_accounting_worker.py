"""Accounting syncs delivered by a real Celery worker (on Redis) to the fake Fortnox over HTTP:
an outage delays them, nothing is lost, each customer arrives once with its newest state."""

import time

from sqlalchemy import select

from app import tasks
from app.extensions import db
from app.models import OutboxMessage
from tests.background.conftest import live_worker_names, wait_until
from tests.conftest import new_customer
from tests.fakes.fortnox import FakeFortnox
from tests.integrations.conftest import connect


def accounting_rows(app) -> list[OutboxMessage]:
    with app.app_context():
        rows = db.session.execute(select(OutboxMessage).where(OutboxMessage.kind == "accounting")
                                  .order_by(OutboxMessage.id)).scalars().all()
        db.session.expunge_all()
        db.session.remove()
    return rows


def test_a_worker_delivers_every_customer_once_after_a_fortnox_outage(background):
    from app.commands import update_customer
    from app.models import Customer
    from app.security.access import SYSTEM

    fake = FakeFortnox().start()
    try:
        settings = {"FORTNOX_CLIENT_ID": "fortnox-client", "FORTNOX_CLIENT_SECRET": "fortnox-secret",
                    "FORTNOX_API_URL": f"{fake.url}/3", "FORTNOX_AUTH_URL": f"{fake.url}/oauth-v1"}
        app = background.app
        app.config.update(settings)
        connect(app, "fortnox")
        fake.go_down("refused")
        ids = [new_customer(app, name=f"Kund {n} AB") for n in range(3)]
        with app.app_context():
            update_customer(db.session.get(Customer, ids[0]), {"name": "Kund 0 Ändrad AB"}, by=SYSTEM)
            numbers = [db.session.get(Customer, i).customer_number for i in ids]
            db.session.remove()
        background.worker("w1", OUTBOX_RETRY_BASE_SECONDS=0.5, ACCOUNTING_OUTAGE_PAUSE_SECONDS=1,
                          INTEGRATION_RETRY_BACKOFF=0.05, INTEGRATION_MAX_ATTEMPTS=2, **settings)
        with app.app_context():
            tasks.enqueue(tasks.deliver_outbox)
            db.session.remove()
        wait_until(lambda: all(m.attempts >= 1 for m in accounting_rows(app)), 90, 0.2, "failed attempts")
        assert all(m.status == "pending" and "Fortnox" in (m.last_error or "") for m in accounting_rows(app))
        assert len(accounting_rows(app)) == 3  # the two saves of the first customer are one row

        fake.come_back()  # the task comes back by itself when the rows are due again
        wait_until(lambda: all(m.status == "sent" for m in accounting_rows(app)), 90, 0.2, "delivery")
        created = [(e["json"]["Customer"]["CustomerNumber"], e["json"]["Customer"]["Name"])
                   for e in fake.requests_to("POST", "/3/customers") if e["status"] == 201]
        assert sorted(created) == sorted(zip(numbers, ["Kund 0 Ändrad AB", "Kund 1 AB", "Kund 2 AB"], strict=True))
        assert [e for e in fake.requests_to("PUT", "/3/customers")] == []
    finally:
        fake.stop()


class SlowFortnox(FakeFortnox):
    """Takes a moment per request, so changes are saved while others are being sent."""

    def handle(self, request, body):
        time.sleep(0.03)
        return super().handle(request, body)


def test_two_workers_send_each_customers_changes_once_and_in_order(background_any_database):
    from app.commands import update_customer
    from app.models import Customer
    from app.security.access import SYSTEM

    background = background_any_database
    fake = SlowFortnox().start()
    try:
        settings = {"FORTNOX_CLIENT_ID": "fortnox-client", "FORTNOX_CLIENT_SECRET": "fortnox-secret",
                    "FORTNOX_API_URL": f"{fake.url}/3", "FORTNOX_AUTH_URL": f"{fake.url}/oauth-v1"}
        app = background.app
        app.config.update(settings)
        connect(app, "fortnox")
        ids = [new_customer(app, name=f"K{n} v0") for n in range(4)]
        background.worker("w1", **settings)
        background.worker("w2", **settings)
        wait_until(lambda: len(live_worker_names(app)) >= 2, 60, message="two workers")
        with app.app_context():
            tasks.enqueue(tasks.deliver_outbox)
            db.session.remove()
        wait_until(lambda: all(m.status == "sent" for m in accounting_rows(app)), 60, 0.2, "the first sends")
        for version in range(1, 4):
            with app.app_context():
                tasks.enqueue(tasks.deliver_outbox)
                tasks.enqueue(tasks.deliver_outbox)
                db.session.remove()
            time.sleep(0.15)
            for n, customer_id in enumerate(ids):
                with app.app_context():
                    update_customer(db.session.get(Customer, customer_id), {"name": f"K{n} v{version}"}, by=SYSTEM)
                    db.session.remove()
        with app.app_context():
            tasks.enqueue(tasks.deliver_outbox)
            db.session.remove()
        wait_until(lambda: all(m.status == "sent" for m in accounting_rows(app)), 120, 0.2, "every row sent")
        with app.app_context():
            numbers = {n: db.session.get(Customer, i).customer_number for n, i in enumerate(ids)}
            db.session.remove()
        sent = [(e["json"]["Customer"]["CustomerNumber"] if e["method"] == "POST" else e["path"].rsplit("/", 1)[1],
                 e["json"]["Customer"]["Name"]) for e in fake.log
                if e["method"] in ("POST", "PUT") and e["path"].startswith("/3/customers") and e["status"] < 300]
        for n, number in numbers.items():
            names = [name for sent_number, name in sent if sent_number == number]
            versions = [int(name.rsplit("v", 1)[1]) for name in names]
            assert versions == sorted(set(versions)), (number, names)  # in order, none twice
            # created first, then the changes (waiting ones coalesced), the newest last
            assert versions[0] == 0 and versions[-1] == 3, (number, names)
            assert fake.customers[number]["Name"] == f"K{n} v3"
        assert len({e["json"]["Customer"]["CustomerNumber"] for e in fake.requests_to("POST", "/3/customers")
                    if e["status"] == 201}) == 4  # each created once
    finally:
        fake.stop()
