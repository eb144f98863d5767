"""Beat sends the periodic tasks; `make run`'s server-less broker carries the same work."""

import csv
import io

from sqlalchemy import func, select

from app.extensions import db
from app.models import Customer, ExportJob, ImportJob
from tests.background.conftest import job_row, live_worker_names, wait_until, worker_env
from tests.background.test_import_worker import logged_in, register, start_import
from tests.background.test_outbox_worker import mail_env, outbox, queue
from tests.conftest import init_database, make_app


def test_beat_delivers_the_outbox_on_its_schedule(background, smtp_server):
    """Nobody sends a task: the mail goes out because beat sends `deliver_outbox` every second."""
    app = background.app
    queue(app, 1)
    background.worker("w1", **mail_env(smtp_server))
    background.beat(OUTBOX_DELIVER_EVERY=1)
    wait_until(lambda: smtp_server.messages, 60, 0.2, "the scheduled delivery")
    # the worker marks the message sent just after the SMTP server has it
    wait_until(lambda: outbox(app)[0].status == "sent", 10, 0.1, "the message marked sent")
    assert len(smtp_server.messages) == 1
    assert "app.tasks.deliver_outbox" in background.log("beat")


def test_make_runs_embedded_broker_imports_and_exports_end_to_end(background, tmp_path):
    """No Redis: the filesystem broker in instance/broker, one prefork worker and beat as
    `make run` starts them; a web import and a large export (a download link) go through it."""
    database_url = f"sqlite:///{tmp_path / 'embedded.db'}"
    instance = tmp_path / "embedded-instance"
    instance.mkdir()
    app = make_app(database_url, CELERY_TASK_ALWAYS_EAGER=False, CELERY_BROKER_URL="filesystem://",
                   CELERY_BROKER_FOLDER=str(instance / "broker"), BACKGROUND_WORKER_TIMEOUT=3,
                   EXPORT_BACKGROUND_FROM=3)
    app.user_ids = init_database(app)
    env = worker_env(database_url, instance)  # no CELERY_BROKER_URL, limiter in memory: filesystem://
    background.env = env
    background.start("worker", "worker", "--concurrency", "1", "--loglevel", "INFO")
    background.start("beat", "beat", "--loglevel", "INFO")
    wait_until(lambda: live_worker_names(app), 60, message="the embedded worker")

    client = logged_in(app)
    job_url, job_id = start_import(client, register(12))
    wait_until(lambda: job_row(app, ImportJob, job_id).status == "done", 90, 0.2, "the import")
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Customer)).scalar() == 12
        db.session.remove()
    assert list((instance / "broker" / "queue").iterdir()) == []  # every message was taken

    response = client.get("/customers/export?format=csv&columns=all")
    assert response.status_code == 302 and "/customers/export/" in response.location
    export_id = int(response.location.rstrip("/").rsplit("/", 1)[1])
    wait_until(lambda: job_row(app, ExportJob, export_id).status == "done", 90, 0.2, "the export")
    page = client.get(response.location).get_data(as_text=True)
    assert 'id="export-download"' in page
    download = client.get(f"{response.location}/file")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(download.get_data().decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 13 and {r[1] for r in rows[1:]} == {f"Kund {n} AB" for n in range(12)}
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
