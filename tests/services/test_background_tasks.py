"""The periodic tasks' work and the outbox's kinds, run in the test's process."""

import datetime

from sqlalchemy import select

from app import tasks
from app.extensions import db
from app.models import ExportJob, ImportJob, Invitation, OutboxMessage
from app.services import outbox
from tests.conftest import ctx


def _days_ago(days: int) -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None) - datetime.timedelta(days=days)


def test_clean_up_removes_week_old_jobs_with_their_files_and_expired_invitations(app):
    admin = app.user_ids["admin"]
    with ctx(app):
        for days in (8, 1):
            db.session.add(ImportJob(user_id=admin, filename=f"{days}.csv", content=b"x", status="done",
                                     created_at=_days_ago(days)))
            db.session.add(ExportJob(user_id=admin, fmt="csv", args="{}", status="done", content=b"y",
                                     created_at=_days_ago(days), done_rows=0, attempts=0))
            db.session.add(Invitation(user_id=admin, token_hash=f"{days:064d}", expires_at=_days_ago(days)))
        db.session.add(ImportJob(user_id=admin, filename="running.csv", status="running", created_at=_days_ago(9)))
        db.session.commit()
        tasks.clean_up.apply()
        assert sorted(db.session.execute(select(ImportJob.filename)).scalars()) == ["1.csv", "running.csv"]
        assert [j.created_at.date() for j in db.session.execute(select(ExportJob)).scalars()] == [
            _days_ago(1).date()]
        assert db.session.execute(select(Invitation.token_hash)).scalars().all() == [f"{1:064d}"]


def test_a_new_outbox_kind_is_one_registration(app):
    delivered = []
    outbox.register_kind("test-sync", lambda message, config: delivered.append(message.recipient))
    try:
        with ctx(app):
            db.session.add(OutboxMessage(kind="test-sync", recipient="kund-17", subject="s", body="b",
                                         status="pending", attempts=0, next_attempt_at=_days_ago(1)))
            db.session.commit()
            assert outbox.deliver() == (1, 0) and outbox.deliver() == (0, 0)
            assert db.session.execute(select(OutboxMessage.status)).scalar() == "sent"
    finally:
        outbox.KINDS.pop("test-sync")
    assert delivered == ["kund-17"]


def test_a_message_leased_by_another_sender_is_left_alone(app, smtp_server):
    from tests.conftest import mail_config

    app.config.update(mail_config(smtp_server))
    with ctx(app):
        outbox.queue_email("a@exempel.se", "S", "B")
        db.session.commit()
        message = db.session.execute(select(OutboxMessage)).scalar()
        message.claimed_by, message.claimed_until = "other-host:1", _days_ago(-1)  # leased for a day
        db.session.commit()
        assert outbox.deliver() == (0, 0)
        message.claimed_until = _days_ago(1)  # the lease ran out: the sender died
        db.session.commit()
        assert outbox.deliver() == (1, 0)
    assert [m["To"] for m in smtp_server.messages] == ["a@exempel.se"]


def test_flask_outbox_deliver_once_still_sends_synchronously(app, smtp_server):
    from tests.conftest import mail_config

    app.config.update(mail_config(smtp_server))
    with ctx(app):
        outbox.queue_email("skript@exempel.se", "Från skriptet", "B")
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["outbox", "deliver", "--once"])
    assert result.exit_code == 0 and "Sent 1" in result.output
    assert [m["To"] for m in smtp_server.messages] == ["skript@exempel.se"]


def test_the_documents_check_task_reports_without_repairing(app):
    import os

    from app.uploads.storage import get_storage, new_key

    with ctx(app):
        storage, key = get_storage(), new_key()
        storage.save(key, __import__("io").BytesIO(b"left behind"), "text/plain")
        old = datetime.datetime.now().timestamp() - 2 * 3600
        os.utime(storage.local_path(key), (old, old))
        result = tasks.check_documents.apply().get()
        assert result["orphan_objects"] == 1 and storage.exists(key)


def test_the_broker_is_configured_redis_else_the_embedded_one(monkeypatch):
    from config import _broker_url

    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "memory://")
    assert _broker_url() == "filesystem://"
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://redis.internal:6379/2")
    assert _broker_url() == "redis://redis.internal:6379/2"
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://broker:6379/0")
    assert _broker_url() == "redis://broker:6379/0"
