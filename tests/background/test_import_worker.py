"""Web imports run in a real Celery worker, survive a killed worker, and the page tells when
no worker is there."""

import collections
import json

from sqlalchemy import func, select

from app.extensions import db
from app.models import Customer, CustomerHistory, ImportJob
from tests.background.conftest import job_row, live_worker_names, wait_until
from tests.conftest import Auth
from tests.views.test_import_export import csv_file, upload


def register(count: int, start: int = 70001) -> bytes:
    rows = [["Kundnummer", "Namn", "Postnummer", "Ort", "Kontaktperson", "E-post"]]
    rows += [[str(start + n), f"Kund {n} AB", "11455", "Stockholm", f"Person {n}", f"p{n}@kund.se"]
             for n in range(count)]
    return csv_file(rows)


def logged_in(app):
    client = app.test_client()
    Auth(client).login("admin")
    return client


def start_import(client, content: bytes) -> tuple[str, int]:
    job_url = upload(client, content).location
    response = client.post(f"{job_url}/run", data={"mode": "insert"})
    assert response.status_code == 302
    return job_url, int(job_url.rstrip("/").rsplit("/", 1)[1])


def test_a_web_import_completes_in_the_worker(background):
    app = background.app
    client = logged_in(app)
    job_url, job_id = start_import(client, register(30))
    job = job_row(app, ImportJob, job_id)
    assert job.status == "queued" and job.task_id  # sent, not run by the request
    state = client.get(f"{job_url}/status").get_json()
    assert state["status"] == "queued"

    background.worker("w1")
    wait_until(lambda: job_row(app, ImportJob, job_id).status == "done", 90, message="the import")
    page = client.get(job_url).get_data(as_text=True)
    assert 'id="import-summary"' in page and "30" in page
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Customer)).scalar() == 30
        author = db.session.execute(select(CustomerHistory.changed_by).limit(1)).scalar()
        assert author == "admin"  # the worker acted as the user who started the import
        db.session.remove()


def test_killing_the_worker_mid_import_and_starting_another_imports_each_row_once(background):
    """A worker is killed (SIGKILL) while it writes; a new worker finds the job (its claimant is
    gone) and resumes after the last committed batch: every customer once, history once."""
    app = background.app
    client = logged_in(app)
    count = 1500
    job_url, job_id = start_import(client, register(count))
    background.worker("w1", IMPORT_BATCH_SIZE=10)
    job = wait_until(lambda: (lambda j: j if j.phase == "writing" and j.done_rows >= 100 else None)(
        job_row(app, ImportJob, job_id)), 120, 0.02, "the writing pass")
    background.kill("w1")
    stopped = job_row(app, ImportJob, job_id)
    assert stopped.status == "running" and 0 < stopped.done_rows < count, "killed too late to test a resume"

    # The dead worker's heartbeat ages out; the page then says the job waits for a worker.
    wait_until(lambda: not live_worker_names(app), 30, 0.2, "the dead worker's heartbeat to age out")
    state = client.get(f"{job_url}/status").get_json()
    assert state["status"] == "running" and state["waiting"]

    background.worker("w2", IMPORT_BATCH_SIZE=10)
    done = wait_until(lambda: (lambda j: j if j.status == "done" else None)(job_row(app, ImportJob, job_id)),
                      180, message="the resumed import")
    assert done.attempts == 2 and done.claimed_by != job.claimed_by
    report = json.loads(done.report)
    assert report["created"] == count and report["error_count"] == 0
    with app.app_context():
        numbers = db.session.execute(select(Customer.customer_number)).scalars().all()
        assert len(numbers) == count and len(set(numbers)) == count
        history = db.session.execute(select(CustomerHistory.customer_id, CustomerHistory.record_type,
                                            CustomerHistory.record_id, CustomerHistory.action,
                                            CustomerHistory.field)).all()
        db.session.remove()
    duplicated = [entry for entry, n in collections.Counter(history).items() if n > 1]
    assert duplicated == []
    created = {entry[0] for entry in history if entry[1] == "customer" and entry[3] == "insert"}
    assert len(created) == count


def test_without_a_worker_the_page_says_that_work_is_waiting(background):
    app = background.app
    app.config["BACKGROUND_WAITING_AFTER"] = 0
    client = logged_in(app)
    job_url, _job_id = start_import(client, register(2))
    state = client.get(f"{job_url}/status").get_json()
    assert state["status"] == "queued" and state["waiting"] and "väntar" in state["waiting_message"]
    page = client.get(job_url).get_data(as_text=True)
    assert 'id="background-waiting"' in page and 'id="background-waiting" hidden' not in page
    background.worker("w1")
    wait_until(lambda: live_worker_names(app), 60, message="a worker")
    assert client.get(f"{job_url}/status").get_json()["waiting"] is False
