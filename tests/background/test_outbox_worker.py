"""The outbox delivered by real Celery workers against a real SMTP server (aiosmtpd)."""

import asyncio

from sqlalchemy import select

from app import tasks
from app.extensions import db
from app.models import BackgroundTask, OutboxMessage
from app.services.outbox import queue_email
from tests.background.conftest import live_worker_names, wait_until


def queue(app, count: int) -> None:
    with app.app_context():
        for n in range(count):
            queue_email(f"mottagare{n}@exempel.se", f"Meddelande {n}", f"Brödtext {n}")
        db.session.commit()
        db.session.remove()


def outbox(app) -> list[OutboxMessage]:
    with app.app_context():
        rows = db.session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars().all()
        db.session.expunge_all()
        db.session.remove()
    return rows


def send_delivery_task(app) -> str:
    with app.app_context():
        task_id = tasks.enqueue(tasks.deliver_outbox)
        db.session.remove()
    return task_id


def mail_env(smtp_server) -> dict:
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_server.port, "MAIL_FROM": "kundregister@exempel.se"}


def test_the_outbox_task_survives_an_smtp_outage_and_delivers_after_it(background, smtp_server):
    app = background.app
    smtp_server.stop()
    queue(app, 1)
    background.worker("w1", OUTBOX_RETRY_BASE_SECONDS=0.5, **mail_env(smtp_server))
    send_delivery_task(app)
    wait_until(lambda: outbox(app)[0].attempts >= 2, 60, 0.2, "two failed attempts")
    [message] = outbox(app)
    assert message.status == "pending" and "Connection" in (message.last_error or "")
    assert smtp_server.messages == []

    smtp_server.start()  # the task retries by itself when the message is due again
    wait_until(lambda: outbox(app)[0].status == "sent", 60, 0.2, "the delivery after the outage")
    assert [m["To"] for m in smtp_server.messages] == ["mottagare0@exempel.se"]


def test_two_workers_deliver_forty_mails_exactly_once(background_any_database, smtp_server):
    """Issue 17 #3: with two workers at once each message is sent once (40 queued, 40 received)."""
    background = background_any_database
    app = background.app
    received_by_slow_server = smtp_server.handle_DATA

    async def slow_handle_data(server, session, envelope):  # a server that takes a moment per mail
        await asyncio.sleep(0.05)
        return await received_by_slow_server(server, session, envelope)

    smtp_server.handle_DATA = slow_handle_data
    queue(app, 40)
    background.worker("w1", **mail_env(smtp_server))
    background.worker("w2", **mail_env(smtp_server))
    wait_until(lambda: len(live_worker_names(app)) >= 2, 60, message="two workers")
    first, second = send_delivery_task(app), send_delivery_task(app)
    wait_until(lambda: all(m.status == "sent" for m in outbox(app)), 120, 0.2, "every message sent")

    subjects = sorted(m["Subject"] for m in smtp_server.messages)
    assert len(subjects) == 40 and subjects == sorted(f"Meddelande {n}" for n in range(40))

    def task_records():
        with app.app_context():
            records = {r.task_id: r for r in db.session.execute(select(BackgroundTask)).scalars()}
            db.session.expunge_all()
            db.session.remove()
        return records if all(records.get(t) and records[t].status == "done" for t in (first, second)) else None

    # The last message is marked sent a moment before its task records that it is done.
    runs = wait_until(task_records, 30, 0.2, "both tasks recorded as done")
    # Both tasks ran, in different workers, at the same time.
    assert runs[first].worker != runs[second].worker
    assert runs[first].status == runs[second].status == "done"
    later, earlier = sorted([runs[first], runs[second]], key=lambda r: r.started_at, reverse=True)
    assert later.started_at < earlier.finished_at
