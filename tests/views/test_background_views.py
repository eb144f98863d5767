"""Large exports as jobs, and the administrators' page of background work (tasks run in the
test's process here; tests/background runs real workers)."""

import csv
import io
import json

from sqlalchemy import select

from app.extensions import db
from app.models import BackgroundTask, ExportJob, ImportJob
from app.models.background import TASK_FAILED
from tests.conftest import ctx, new_customer


def test_a_large_export_is_a_job_with_a_download_link_for_its_owner_only(app, client, auth):
    app.config["EXPORT_BACKGROUND_FROM"] = 2
    for name in ("Alfa AB", "Beta AB", "Gamma AB"):
        new_customer(app, name=name)
    auth.login("manager")
    small = client.get("/customers/export?format=csv&q=alfa")  # one customer: streamed as before
    assert small.status_code == 200 and small.is_streamed and "Alfa AB" in small.get_data(as_text=True)
    response = client.get("/customers/export?format=xlsx&columns=all")
    assert response.status_code == 302
    job_url = response.location
    page = client.get(job_url).get_data(as_text=True)
    assert 'id="export-download"' in page and "3" in page
    download = client.get(f"{job_url}/file")
    assert download.status_code == 200 and download.headers["Cache-Control"] == "no-store"
    import openpyxl

    rows = list(openpyxl.load_workbook(io.BytesIO(download.get_data())).active.iter_rows(values_only=True))
    assert sorted(r[1] for r in rows[1:]) == ["Alfa AB", "Beta AB", "Gamma AB"]
    assert client.get(f"{job_url}/status").get_json()["status"] == "done"
    auth.logout()
    auth.login("admin")  # another user's job is not found, whatever their role
    assert client.get(job_url).status_code == 404 and client.get(f"{job_url}/file").status_code == 404


def test_a_background_export_keeps_the_users_row_rights_and_masking(app, client, auth):
    app.config["EXPORT_BACKGROUND_FROM"] = 1
    mine = new_customer(app, name="Min AB")
    new_customer(app, name="Annans AB")
    with ctx(app):
        from app.models import Customer

        db.session.get(Customer, mine).assigned_to_id = app.user_ids["tech"]
        db.session.commit()
    auth.login("tech")
    job_url = client.get("/customers/export?format=csv&columns=all&status=all").location
    content = client.get(f"{job_url}/file").get_data().decode("utf-8-sig")
    names = [row[1] for row in csv.reader(io.StringIO(content), delimiter=";")][1:]
    assert names == ["Min AB"]
    with ctx(app):
        job = db.session.execute(select(ExportJob)).scalar()
        assert job.user_id == app.user_ids["tech"] and json.loads(job.args)["status"] == ["all"]


def test_the_background_page_is_for_administrators_and_retries_a_failed_import(app, client, auth):
    from tests.views.test_import_export import ROWS, csv_file, upload

    auth.login("manager")
    assert client.get("/admin/background/").status_code in (302, 403)
    auth.logout()
    auth.login("admin")
    job_url = upload(client, csv_file(ROWS[:2])).location
    job_id = int(job_url.rstrip("/").rsplit("/", 1)[1])
    with ctx(app):  # a run that failed (say the database went away mid-run)
        job = db.session.get(ImportJob, job_id)
        job.status, job.mode = "failed", "insert"
        db.session.add(BackgroundTask(task_id="t-1", name="app.tasks.run_import", args=json.dumps([job_id]),
                                      status=TASK_FAILED, attempts=1, error="OperationalError: gone",
                                      queued_at=job.created_at))
        db.session.commit()
    page = client.get("/admin/background/").get_data(as_text=True)
    assert 'id="background-tasks"' in page and "OperationalError: gone" in page and "Misslyckades" in page
    record_id = page.split('action="/admin/background/')[1].split("/")[0]
    response = client.post(f"/admin/background/{record_id}/retry")
    assert response.status_code == 302
    with ctx(app):
        assert db.session.get(ImportJob, job_id).status == "done"
        statuses = dict(db.session.execute(select(BackgroundTask.task_id, BackgroundTask.status)).all())
        assert statuses["t-1"] == "retried" and "done" in statuses.values()
    auth.logout()
    auth.login("manager")
    assert client.post(f"/admin/background/{record_id}/retry").status_code in (302, 403)
