"""Run by test_field_registry.py in its own process (it changes the Customer mapping).

Adds an ordinary field the way a developer would — a model column and one registry entry,
nothing else — and checks that it appears on the form, the card, the list, the list's
filters, the export, the import and the history. Exits non-zero with the failed assertion.
"""

import csv
import io
import sys
import tempfile
from pathlib import Path

from sqlalchemy import Column, String, select

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from app.models import Customer  # noqa: E402
from app.services import customer_fields as registry  # noqa: E402


def add_the_field() -> None:
    column = Column("segment", String(20))
    Customer.__table__.append_column(column)
    Customer.__mapper__.add_property("segment", column)
    registry.register(registry.CustomerField("segment", "Kundsegment", max_length=20, filterable=True,
                                             aliases=("segment",)), after="cost_centre")


def main() -> None:
    add_the_field()
    from app.extensions import db
    from tests.conftest import PASSWORD, bootstrap, make_app

    folder = Path(tempfile.mkdtemp(prefix="registry-probe-"))
    app = make_app(f"sqlite:///{folder / 'probe.db'}", UPLOAD_FOLDER=str(folder / "uploads"))
    app.user_ids = bootstrap(app)  # its own schema: the template has no such column
    client = app.test_client()
    assert client.post("/login/", data={"username": "admin", "password": PASSWORD}).status_code == 302

    form = client.get("/customers/add").get_data(as_text=True)
    assert 'name="segment"' in form and "Kundsegment" in form, "form"
    response = client.post("/customers/add", data={"name": "Segmenterad AB", "customer_number": "6001",
                                                   "segment": "Guld"})
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        customer_id = db.session.execute(select(Customer.id).where(Customer.customer_number == "6001")).scalar()
        assert db.session.get(Customer, customer_id).segment == "Guld", "saved"
        db.session.remove()

    card = client.get(f"/customers/{customer_id}").get_data(as_text=True)
    assert "Kundsegment" in card and "Guld" in card, "card"

    client.post("/customers/columns", data={"columns": ["name", "segment"]})
    listed = client.get("/customers/").get_data(as_text=True)
    assert "<th>Kundsegment</th>" in listed and "Guld" in listed, "list"
    assert 'name="f_segment"' in listed, "filter offered"
    assert "Segmenterad AB" in client.get("/customers/?f_segment=gul").get_data(as_text=True), "filter match"
    assert "Segmenterad AB" not in client.get("/customers/?f_segment=silver").get_data(as_text=True), "filter"

    exported = client.get("/customers/export?format=csv&columns=all").get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(exported), delimiter=";"))
    assert rows[1][rows[0].index("Kundsegment")] == "Guld", "export"

    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";").writerows([["Kundnummer", "Segment"], ["6001", "Silver"]])
    runner = app.test_cli_runner()
    path = folder / "update.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    result = runner.invoke(args=["customers", "import", str(path), "--mode", "update", "--user", "admin"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.get(Customer, customer_id).segment == "Silver", "import"
        db.session.remove()

    history = client.get(f"/customers/{customer_id}/history").get_data(as_text=True)
    assert "Kundsegment" in history and "Guld" in history and "Silver" in history, "history"
    print("the new field is on the form, card, list, filter, export, import and history")


if __name__ == "__main__":
    main()
