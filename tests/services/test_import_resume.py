"""An import interrupted between two batches resumes after the last committed batch
(issue 17 #11): every row written once, the report and the failed rows whole."""

import csv
import io

import pytest
from sqlalchemy import func, select

from app.commands.imports import write_batch
from app.extensions import db
from app.models import Customer
from app.services.importer import Importer, ImportReport, ResumePoint, open_table
from tests.conftest import ctx


class Crash(Exception):
    pass


def register() -> bytes:
    rows = [["Kundnummer", "Namn", "Postnummer", "Ort"]]
    for n in range(30):  # every fifth row has a bad postcode
        rows.append([str(81000 + n), f"Kund {n} AB", "999" if n % 5 == 0 else "11455", "Stockholm"])
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";").writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


@pytest.mark.parametrize("valid_only", [True, False])
def test_a_resumed_import_writes_each_row_once(app, valid_only):
    content = register() if valid_only else register().replace(b";999;", b";11455;")
    saved = {}
    calls = {"n": 0}

    def progress(phase, done, total):  # like import_jobs: the state is saved in the batch's transaction
        calls["n"] += 1
        if phase == "writing":
            if calls["n"] == (2 if valid_only else 5):
                raise Crash()  # the process dies before this batch commits
            saved.update(done=done, report=importer.report.to_json(), failed=importer.failed_rows_file())

    with ctx(app):
        importer = Importer(db.session, None, "insert", valid_only=valid_only, progress=progress, batch_size=10,
                            writer=write_batch)
        with pytest.raises(Crash):
            importer.run(open_table(lambda: io.BytesIO(content), "k.csv"))
        db.session.rollback()
        assert db.session.execute(select(func.count()).select_from(Customer)).scalar() == (8 if valid_only else 10)

        point = ResumePoint(saved["done"], ImportReport.from_json(saved["report"]), saved["failed"])
        resumed = Importer(db.session, None, "insert", valid_only=valid_only, batch_size=10, resume=point,
                           writer=write_batch)
        report = resumed.run(open_table(lambda: io.BytesIO(content), "k.csv"))
        numbers = db.session.execute(select(Customer.customer_number)).scalars().all()
        failed = resumed.failed_rows_file()
    expected = 24 if valid_only else 30
    assert len(numbers) == len(set(numbers)) == expected
    assert report.created == expected and report.written and report.rows == 30
    if valid_only:
        assert report.failed_customers == 6 and report.error_count == 6
        lines = list(csv.reader(io.StringIO(failed.decode("utf-8-sig")), delimiter=";"))
        assert lines[0][0] == "Kundnummer" and sorted(line[0] for line in lines[1:]) == [
            str(81000 + n) for n in range(0, 30, 5)]
    else:
        assert report.error_count == 0 and failed is None
