"""GDPR extract and erasure (issue 15): the extract holds every seeded datum of the person and
nothing of another; after the erasure the person's personnummer, phone, e-mail and name are found
in no column of any table and in no stored object, while the customer number and its articles stay."""

import io
import json

import pytest
from sqlalchemy import LargeBinary, String, Text, select

from app import commands
from app.commands import gdpr
from app.errors import Invalid, NotAllowed, NotFound
from app.extensions import db
from app.models import (
    Article,
    Customer,
    CustomerArticle,
    CustomerHistory,
    CustomFieldDefinition,
    Document,
    ImportJob,
)
from app.security.access import SYSTEM
from tests.conftest import ctx, new_customer, set_settings

PERSONNUMMER, PHONE, EMAIL, NAME = "19811218-9876", "070-555 12 34", "asa.oberg@exempel.se", "Åsa Öbergsson"
PORTAL_EMAIL = "asa.portal@exempel.se"
MARKERS = [PERSONNUMMER, "811218-9876", "8112189876", PHONE, EMAIL, PORTAL_EMAIL, NAME, "Ringvägen 12"]
OTHER = {"personnummer": "19790101-1234", "email": "bo.bengtsson@exempel.se", "name": "Bo Bengtsson"}


def seed(app) -> dict:
    """The person as a private customer, everywhere their data can be stored; and another person."""
    from app.commands import documents as document_commands
    from tests.uploads.samples import pdf

    set_settings(app, use_rot_rut=True, show_service_articles=True)
    with ctx(app):
        field = CustomFieldDefinition(label="Portkod", field_type="text")
        article = Article(article_number="A1", name="Service", unit="st", price=100, vat_rate=25)
        db.session.add_all([field, article])
        db.session.commit()
        field_id, article_id = field.id, article.id
    person = new_customer(app, name=NAME, customer_type="private", identity_number="8112189876",
                          customer_number="7001", tax_reduction_personnummer=PERSONNUMMER,
                          invoice_street="Ringvägen 12", invoice_postcode="11455", invoice_city="Stockholm",
                          comment=f"Ring {PHONE}", **{f"cf_{field_id}": "1234"})
    other = new_customer(app, name=OTHER["name"], customer_type="private", identity_number=OTHER["personnummer"],
                         customer_number="7002")
    company = new_customer(app, name="Fastighets AB", customer_number="7003")
    with ctx(app):
        customer = db.session.get(Customer, person)
        commands.save_contact(customer, {"name": NAME, "phone": PHONE, "email": EMAIL, "is_main_contact": True},
                              by=SYSTEM)
        commands.save_contact(customer, {"name": NAME, "phone": PHONE, "email": EMAIL},
                              by=SYSTEM, contact=customer.contacts[0])  # a change: old and new in history
        commands.save_address(customer, "visiting", {"street": "Ringvägen 12", "city": "Stockholm"}, by=SYSTEM)
        commands.add_customer_article(customer, {"kind": "service", "article_id": article_id, "quantity": "1"},
                                      by=SYSTEM)
        commands.create_customer_user(customer, {"email": PORTAL_EMAIL, "first_name": "Åsa", "last_name": "Öbergsson"},
                                      by=SYSTEM)
        commands.assign_technician([person], app.user_ids["tech"], by=SYSTEM)  # a notification names her
        document_commands.upload_documents(customer, None, [("kontrakt.pdf", io.BytesIO(pdf()))], by=SYSTEM)
        # she is also the contact person of a company, with the same e-mail
        commands.save_contact(db.session.get(Customer, company), {"name": NAME, "email": EMAIL}, by=SYSTEM)
        commands.save_contact(db.session.get(Customer, other), {"name": OTHER["name"], "email": OTHER["email"]},
                              by=SYSTEM)
        db.session.add(ImportJob(user_id=app.user_ids["admin"], filename="kunder.csv", status="done",
                                 content=f"Namn;Personnummer\n{NAME};{PERSONNUMMER}\n".encode()))
        db.session.commit()
        key = db.session.execute(select(Document.storage_key)).scalar()
    return {"person": person, "other": other, "company": company, "article": article_id, "key": key}


def every_text(app) -> list[tuple[str, str, str]]:
    """(table, column, value) of every text or binary value stored in any table."""
    found = []
    with ctx(app):
        for table in db.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | Text | LargeBinary)]
            if not columns:
                continue
            for row in db.session.execute(select(*columns)):
                for column, value in zip(columns, row, strict=True):
                    if isinstance(value, bytes):
                        value = value.decode("utf-8", "replace")
                    if value:
                        found.append((table.name, column.name, value))
    return found


def traces(app, markers) -> list:
    return sorted({(t, c, m) for t, c, v in every_text(app) for m in markers if m in v})


def test_the_extract_holds_the_person_and_nothing_of_another(app):
    seeded = seed(app)
    with ctx(app):
        data = gdpr.extract_person(by=SYSTEM, personnummer="811218-9876")
    text = json.dumps(data, ensure_ascii=False)
    for marker in (PERSONNUMMER, PHONE, EMAIL, PORTAL_EMAIL, NAME, "Ringvägen 12", "kontrakt.pdf", "1234"):
        assert marker in text, marker
    for marker in OTHER.values():
        assert marker not in text
    [customer] = data["customers"]
    assert (customer["customer_number"], customer["identity_number"], customer["custom_fields"]) == (
        "7001", PERSONNUMMER, {"Portkod": "1234"})
    assert [d["name"] for d in customer["documents"]] == ["kontrakt.pdf"]
    assert any(h["field"] == "phone" or PHONE in (h["new_value"] or "") for h in customer["history"])
    assert [u["email"] for u in data["customer_users"]] == [PORTAL_EMAIL]
    assert [m["recipient"] for m in data["outbox"] if m["recipient"] == PORTAL_EMAIL] == [PORTAL_EMAIL]
    assert [j["filename"] for j in data["import_jobs"]] == ["kunder.csv"]
    with ctx(app):
        by_email = gdpr.extract_person(by=SYSTEM, email=EMAIL.upper())
    assert sorted(c["customer_number"] for c in by_email["contacts"]) == ["7001", "7003"]
    assert by_email["customers"] == [] and seeded["company"]


def test_the_erasure_leaves_no_trace_and_keeps_the_order_facts(app):
    seeded = seed(app)
    assert traces(app, MARKERS)  # the scan finds them before
    with ctx(app):
        done = gdpr.erase_person(by=SYSTEM, customer_number="7001")
    assert done["customers"] == 1 and done["logins"] == 1 and done["documents"] == 1
    # the contact of the company has the same e-mail: erased by e-mail (so the company's search
    # document, which lists its contacts, still holds the address too)
    assert traces(app, MARKERS) == [("contact", "email", EMAIL), ("contact", "name", NAME),
                                    ("customer_search_text", "document", EMAIL)]
    with ctx(app):
        gdpr.erase_person(by=SYSTEM, email=EMAIL)
    assert traces(app, MARKERS) == []
    with ctx(app):
        kept = db.session.get(Customer, seeded["person"])
        assert (kept.customer_number, kept.name, kept.active) == ("7001", "Raderad person 7001", False)
        assert db.session.execute(select(CustomerArticle.article_id).where(
            CustomerArticle.customer_id == seeded["person"])).scalars().all() == [seeded["article"]]
        notes = db.session.execute(select(CustomerHistory.customer_id, CustomerHistory.old_value,
                                          CustomerHistory.new_value)
                                   .where(CustomerHistory.action == "erase")).all()
        assert sorted(notes) == sorted([(seeded["person"], None, None), (seeded["company"], None, None)])
        other = db.session.get(Customer, seeded["other"])
        assert (other.name, other.identity_number, other.contacts[0].email) == (
            OTHER["name"], OTHER["personnummer"], OTHER["email"])
        from app.uploads.storage import get_storage

        assert not get_storage().exists(seeded["key"])


def test_erasure_refuses_a_company_and_needs_the_right(app):
    seed(app)
    with ctx(app):
        with pytest.raises(Invalid):
            gdpr.erase_person(by=SYSTEM, customer_number="7003")
        with pytest.raises(NotFound):
            gdpr.erase_person(by=SYSTEM, email="nobody@exempel.se")
        with pytest.raises(NotAllowed):
            gdpr.erase_person(by=app.appbuilder.sm.find_user("manager"), customer_number="7001")
        with pytest.raises(NotAllowed):
            gdpr.extract_person(by=app.appbuilder.sm.find_user("manager"), email=EMAIL)
        assert db.session.execute(select(Customer.name).where(Customer.customer_number == "7001")).scalar() == NAME


def test_the_cli_extracts_and_erases_with_exit_codes(app, tmp_path):
    seed(app)
    runner = app.test_cli_runner()
    out = tmp_path / "person.json"
    result = runner.invoke(args=["gdpr", "extract", "--personnummer", PERSONNUMMER, str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text(encoding="utf-8"))["customers"][0]["identity_number"] == PERSONNUMMER
    assert runner.invoke(args=["gdpr", "extract", "--email", "nobody@exempel.se", str(out)]).exit_code == 1
    assert runner.invoke(args=["gdpr", "extract", str(out)]).exit_code == 2
    assert runner.invoke(args=["gdpr", "extract", "--personnummer", "19811218-9875", str(out)]).exit_code == 1
    result = runner.invoke(args=["gdpr", "erase", "--customer", "7001"], input="n\n")
    assert result.exit_code == 1 and "Nothing was erased." in result.output
    assert runner.invoke(args=["gdpr", "erase", "--customer", "7003", "--yes"]).exit_code == 1
    result = runner.invoke(args=["gdpr", "erase", "--customer", "7001", "--yes"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["gdpr", "erase", "--email", EMAIL, "--yes"]).exit_code == 0
    assert traces(app, MARKERS) == []
