"""Upload register (F24) and export (F22) on the web: the job with its progress and report, rights."""

import csv
import io
import re
import time

import openpyxl
import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Customer, CustomFieldDefinition, ImportJob
from app.models.import_job import RUNNING
from tests.conftest import ctx, new_customer

ROWS = [
    ["Kundnummer", "Namn", "Organisationsnummer", "Postnummer", "Ort", "Kontaktperson", "E-post"],
    ["4001", "Första AB", "556036-0793", "11455", "Stockholm", "Anna", "anna@forsta.se"],
    ["4002", "Andra AB", "556036-0794", "11455", "Stockholm", "Bo", "bo@andra.se"],
    ["4003", "Tredje AB", "", "999", "Umeå", "", ""],
]


def csv_file(rows=ROWS) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";").writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def upload(client, content: bytes, filename="kunder.csv"):
    return client.post("/customers/import", data={"file": (io.BytesIO(content), filename)},
                       content_type="multipart/form-data")


def wait_for(client, job_url: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = client.get(f"{job_url}/status").get_json()
        if state["status"] not in ("queued", "running"):
            return state
        time.sleep(0.1)
    raise AssertionError("the import job did not finish")


def customer_count(app) -> int:
    with ctx(app):
        return db.session.execute(select(func.count()).select_from(Customer)).scalar()


def error_rows(page: str) -> list[tuple[str, str]]:
    body = re.search(r'id="import-errors".*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    return [(row, column) for row, column, _message in
            re.findall(r"<tr><td>(\d+)</td><td>(.*?)</td><td>(.*?)</td></tr>", body)]


def test_upload_preview_check_fix_and_import(app, as_admin):
    response = upload(as_admin, csv_file())
    assert response.status_code == 302
    job_url = response.location
    preview = as_admin.get(job_url).get_data(as_text=True)
    assert 'id="column-mapping"' in preview and 'id="preview-rows"' in preview and "Tredje AB" in preview
    assert customer_count(app) == 0

    response = as_admin.post(f"{job_url}/run", data={"mode": "insert", "dry_run": "1"})
    assert response.status_code == 302
    assert wait_for(as_admin, job_url)["status"] == "done"
    report = as_admin.get(job_url).get_data(as_text=True)
    assert sorted(error_rows(report)) == [("3", "Organisationsnummer"), ("4", "Postnummer")]
    assert customer_count(app) == 0 and 'id="run-form"' in report  # a dry run: nothing saved, run again

    failed = as_admin.get(f"{job_url}/failed-rows")
    assert failed.status_code == 200 and failed.mimetype == "text/csv"
    lines = list(csv.reader(io.StringIO(failed.get_data().decode("utf-8-sig")), delimiter=";"))
    assert [line[0] for line in lines] == ["Kundnummer", "4002", "4003"] and lines[1][-1]

    as_admin.post(f"{job_url}/run", data={"mode": "insert"})  # all or nothing: nothing is written
    wait_for(as_admin, job_url)
    assert 'id="import-errors"' in as_admin.get(job_url).get_data(as_text=True) and customer_count(app) == 0

    # (not Första AB's organisation number: that would be a possible duplicate, issue 15)
    fixed = [ROWS[0], ROWS[1], ["4002", "Andra AB", "556677-8899", "11455", "Stockholm", "Bo", "bo@andra.se"],
             ["4003", "Tredje AB", "", "90325", "Umeå", "", ""]]
    job_url = upload(as_admin, csv_file(fixed)).location
    as_admin.post(f"{job_url}/run", data={"mode": "insert"})
    assert wait_for(as_admin, job_url)["status"] == "done"
    report = as_admin.get(job_url).get_data(as_text=True)
    assert 'id="import-summary"' in report and 'id="import-errors"' not in report
    assert customer_count(app) == 3


def test_valid_rows_only(app, as_admin):
    job_url = upload(as_admin, csv_file()).location
    as_admin.post(f"{job_url}/run", data={"mode": "insert", "valid_only": "y"})
    wait_for(as_admin, job_url)
    assert len(error_rows(as_admin.get(job_url).get_data(as_text=True))) == 2
    with ctx(app):
        assert list(db.session.execute(select(Customer.customer_number)).scalars()) == ["4001"]


def test_the_progress_survives_a_reload(app, as_admin):
    job_url = upload(as_admin, csv_file()).location
    job_id = int(job_url.rstrip("/").rsplit("/", 1)[1])
    with ctx(app):
        job = db.session.get(ImportJob, job_id)
        job.status, job.phase, job.total_rows, job.done_rows = RUNNING, "writing", 200, 50
        from app.services.import_jobs import _now

        job.heartbeat_at = _now()
        db.session.commit()
    page = as_admin.get(job_url).get_data(as_text=True)
    assert 'id="import-progress"' in page and 'aria-valuenow="25"' in page
    assert as_admin.get(f"{job_url}/status").get_json() == {
        "status": "running", "phase": "writing", "done": 50, "total": 200, "percent": 25,
        "phase_label": "Importerar", "waiting": False, "waiting_message": ""}


def test_a_job_whose_worker_died_waits_and_is_resumed(app, as_admin):
    """Issue 17 #11: not "running" for ten minutes, not failed: the page says it waits, and the
    recovery task (beat) finishes it."""
    from app import tasks

    job_url = upload(as_admin, csv_file(ROWS[:2])).location
    job_id = int(job_url.rstrip("/").rsplit("/", 1)[1])
    with ctx(app):
        job = db.session.get(ImportJob, job_id)
        job.status, job.claimed_by, job.claim_token = RUNNING, "a-dead-host:4242", "0" * 32
        db.session.commit()
    state = as_admin.get(f"{job_url}/status").get_json()
    assert state["status"] == "running" and state["waiting"] and "väntar" in state["waiting_message"]
    page = as_admin.get(job_url).get_data(as_text=True)
    assert 'id="background-waiting"' in page and 'id="background-waiting" hidden' not in page
    with ctx(app):
        tasks.recover_jobs.apply()
    assert as_admin.get(f"{job_url}/status").get_json()["status"] == "done"
    assert customer_count(app) == 1


@pytest.mark.parametrize("content,filename", [
    (bytes(range(256)) * 100, "kunder.xlsx"),
    (b"PK\x03\x04junk", "kunder.xlsx"),
    (b"", "kunder.csv"),
    (("Namn;" * 1000 + "\n").encode(), "bred.csv"),
])
def test_a_file_that_cannot_be_read_is_refused_on_upload(app, as_admin, content, filename):
    response = upload(as_admin, content, filename)
    assert response.status_code == 400 and 'class="alert alert-danger import-error"' in response.get_data(as_text=True)
    with ctx(app):
        assert db.session.execute(select(func.count()).select_from(ImportJob)).scalar() == 0


@pytest.mark.parametrize("user", ["reader", "tech"])
def test_only_users_who_may_create_or_edit_may_import(app, client, auth, user):
    job_url = upload(client, csv_file())  # anonymous
    assert job_url.status_code == 302 and "/login/" in job_url.location
    auth.login(user)
    assert client.get("/customers/import").status_code == 403
    assert upload(client, csv_file()).status_code == 403
    assert client.get("/customers/import/template.xlsx").status_code == 403
    assert customer_count(app) == 0


def test_a_job_is_its_owners_only(app, client, auth):
    auth.login("admin")
    job_url = upload(client, csv_file()).location
    auth.logout()
    auth.login("manager")
    assert client.get(job_url).status_code == 404
    assert client.post(f"{job_url}/run", data={"mode": "insert"}).status_code == 404
    assert client.get(f"{job_url}/status").status_code == 404


def test_the_mode_needs_its_own_right(app, client, auth):
    with ctx(app):
        sm = app.appbuilder.sm
        role = sm.add_role("Creator")
        for permission in ("can_create", "can_view"):
            sm.add_permission_role(role, sm.find_permission_view_menu(permission, "Customer"))
        sm.add_user("creator", "Cre", "Ator", "creator@exempel.se", [role], password="Test-lösen-123")
    auth.login("creator")
    job_url = upload(client, csv_file()).location
    page = client.get(job_url).get_data(as_text=True)
    assert 'id="mode-insert"' in page and 'id="mode-update"' not in page
    response = client.post(f"{job_url}/run", data={"mode": "update"})  # not offered: back to the job page
    assert (response.status_code, response.location) == (302, job_url)
    with ctx(app):
        assert db.session.execute(select(ImportJob.status)).scalar() == "uploaded"


def test_templates(app, as_admin):
    with ctx(app):
        db.session.add(CustomFieldDefinition(label="Avtalsnummer", field_type="text"))
        db.session.commit()
    response = as_admin.get("/customers/import/template.xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(response.get_data()))
    header = [c.value for c in workbook.worksheets[0][1]]
    assert header[:2] == ["Kundnummer", "Namn"] and "Avtalsnummer" in header and len(workbook.worksheets) == 2
    response = as_admin.get("/customers/import/template.csv")
    assert response.get_data().startswith(b"\xef\xbb\xbfKundnummer;Namn;")
    assert as_admin.get("/customers/import/template.pdf").status_code == 404
    job_url = upload(as_admin, response.get_data(), "mall.csv").location  # the template itself uploads
    assert as_admin.get(job_url).status_code == 200


# -- export -----------------------------------------------------------------------------------------


def test_export_csv_is_the_filtered_list_streamed(app, as_admin):
    new_customer(app, name="Alfa Bygg AB")
    new_customer(app, name="Beta Rör AB")
    response = as_admin.get("/customers/export?format=csv&q=bygg")
    assert response.status_code == 200 and response.is_streamed
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    content = response.get_data()
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert [r[1] for r in rows[1:]] == ["Alfa Bygg AB"]


def test_export_xlsx_and_all_columns(app, as_admin):
    new_customer(app, name="Excel AB")
    response = as_admin.get("/customers/export?format=xlsx&columns=all")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][1] == "Excel AB" and len(rows[0]) > 20
    assert as_admin.get("/customers/export?format=pdf").status_code == 400


def test_export_rights(app, client, auth):
    mine = new_customer(app, name="Min AB")
    new_customer(app, name="Annans AB", customer_type="private", identity_number="19811228-9874")
    with ctx(app):
        db.session.get(Customer, mine).assigned_to_id = app.user_ids["tech"]
        db.session.commit()
    assert client.get("/customers/export").status_code == 302  # anonymous: to the login
    auth.login("tech")
    content = client.get("/customers/export?format=csv&columns=all&status=all").get_data().decode("utf-8-sig")
    assert "Min AB" in content and "Annans AB" not in content
    auth.logout()
    auth.login("reader")
    content = client.get("/customers/export?format=csv&columns=all").get_data().decode("utf-8-sig")
    assert "Annans AB" in content and "19811228-XXXX" in content and "9874" not in content


def test_running_twice_imports_once(app, as_admin):
    rows = [ROWS[0], ROWS[1]]
    job_url = upload(as_admin, csv_file(rows)).location
    as_admin.post(f"{job_url}/run", data={"mode": "insert"})
    as_admin.post(f"{job_url}/run", data={"mode": "insert"})
    wait_for(as_admin, job_url)
    assert customer_count(app) == 1
