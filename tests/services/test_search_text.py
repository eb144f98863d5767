"""The search document (services/search_text.py) and the searches it answers (F21, issue 18):
organisation numbers, phone numbers in any form, personnummer only for those who may see them,
documents that follow every write, and broad terms answered by walking the list in order."""

import pytest
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import select

from app import commands
from app.errors import Invalid
from app.extensions import db
from app.models import Contact, Customer, CustomerSearchText
from app.security.access import SYSTEM
from app.services import search
from app.services.custom_fields import active_fields
from app.services.search import parse_search, search_page
from app.services.search_text import document_for, phone_forms
from tests.conftest import ctx, new_customer


def page(app, user_name="admin", **args):
    with ctx(app):
        user = db.session.get(User, app.user_ids[user_name])
        fields = active_fields(db.session)
        result = search_page(db.session, parse_search(args, fields), user, fields)
        return [c.name for c in result.customers], result.total, result.exact


def names(app, user_name="admin", **args):
    return sorted(page(app, user_name, **args)[0])


def document(app, customer_id) -> str:
    with ctx(app):
        return db.session.get(CustomerSearchText, customer_id).document


def test_the_document_holds_name_number_organisation_number_and_contacts_folded():
    text = document_for("Åkesson Rör AB", "10042", "company", "556036-0793",
                        [("Örjan Ärlig", "Orjan@Exempel.se", "+46 70-123 45 67")])
    assert text.split("\n") == ["åkesson rör ab", "10042", "556036-0793", "5560360793", "örjan ärlig",
                                "orjan@exempel.se", "+46 70-123 45 67", "46701234567", "0701234567"]
    assert phone_forms("0046 8 123 456 78") == ["46812345678", "0812345678"]
    # A personnummer is never part of the searchable text.
    assert "9876" not in document_for("Per Person", "10043", "private", "19811218-9876", [])


def test_organisation_number_and_phone_are_found_in_any_written_form(app):
    company = new_customer(app, name="Ångström Fastigheter AB", identity_number="5560360793")
    new_customer(app, name="Annat AB")
    with ctx(app):
        commands.save_contact(db.session.get(Customer, company),
                              {"name": "Eva Ek", "phone": "+46 70-123 45 67"}, by=SYSTEM)
    for term in ("556036-0793", "5560360793", "0701234567", "070-123 45 67", "+46701234567", "eva ek"):
        assert names(app, q=term) == ["Ångström Fastigheter AB"], term


def test_a_personnummer_finds_its_customer_only_for_those_who_see_it_in_full(app):
    new_customer(app, name="Per Person", customer_type="private", identity_number="19811218-9876")
    assert names(app, q="811218-9876") == ["Per Person"]  # any accepted form of the number
    assert names(app, q="198112189876") == ["Per Person"]
    # The read-only user sees personnummer masked: the number is no search key for it.
    assert names(app, "reader", q="19811218-9876") == []
    assert names(app, "reader", q="Per Person") == ["Per Person"]


def test_the_document_follows_every_write(app):
    customer_id = new_customer(app, name="Gamla Namnet AB")
    with ctx(app):
        customer = db.session.get(Customer, customer_id)
        commands.update_customer(customer, {"name": "Nya Namnet AB", "version": customer.version}, by=SYSTEM)
        commands.save_contact(customer, {"name": "Kim Kontakt", "email": "kim@example.se"}, by=SYSTEM)
    assert names(app, q="nya namnet") == ["Nya Namnet AB"] and names(app, q="gamla") == []
    assert names(app, q="kim@example") == ["Nya Namnet AB"]
    with ctx(app):
        contact = db.session.execute(select(Contact)).scalar_one()
        commands.delete_contact(contact, by=SYSTEM)
        commands.change_customer_number(db.session.get(Customer, customer_id), "77001", by=SYSTEM)
    assert names(app, q="kim@example") == []
    assert names(app, q="77001") == ["Nya Namnet AB"]
    assert "kim" not in document(app, customer_id)
    with ctx(app):
        commands.delete_customer(db.session.get(Customer, customer_id), by=SYSTEM)
        assert db.session.get(CustomerSearchText, customer_id) is None


def test_a_failed_write_leaves_the_document_as_it_was(app):
    customer_id = new_customer(app, name="Stabil AB")
    with ctx(app):
        customer = db.session.get(Customer, customer_id)
        with pytest.raises(Invalid):
            commands.update_customer(customer, {"name": "", "version": customer.version}, by=SYSTEM)
    assert document(app, customer_id).startswith("stabil ab")


def test_a_broad_term_walks_the_list_in_order_and_says_more_than(app, monkeypatch):
    """More matches than FEW_MATCHES: the page comes from walking the list by name, and the
    count is a lower bound until the whole list was walked."""
    monkeypatch.setattr(search, "FEW_MATCHES", 3)
    monkeypatch.setattr(search, "WALK_START", 4)
    for number in range(12):
        new_customer(app, name=f"Bred {number:02d} AB")
    new_customer(app, name="Annan AB")
    first, total, exact = page(app, q="bred", size="25")
    assert first == [f"Bred {n:02d} AB" for n in range(12)]
    assert (total, exact) == (12, True)  # the window grew until the list ended
    first, total, exact = page(app, q="bred", sort="name", dir="desc")
    assert first[0] == "Bred 11 AB" and first[-1] == "Bred 00 AB"
    monkeypatch.setattr(search, "WALK_START", 25)
    for number in range(12, 40):
        new_customer(app, name=f"Bred {number:02d} AB")
    first, total, exact = page(app, q="bred")
    assert first == [f"Bred {n:02d} AB" for n in range(25)]
    assert exact is True and total == 40
    second, total, exact = page(app, q="bred", page="2")
    assert second == [f"Bred {n:02d} AB" for n in range(25, 40)]


def test_a_broad_term_on_a_long_list_counts_what_the_window_found(app, monkeypatch):
    monkeypatch.setattr(search, "FEW_MATCHES", 3)
    monkeypatch.setattr(search, "WALK_START", 10)
    monkeypatch.setattr(search, "WALK_PROBE", 10)
    with ctx(app):  # 130 customers in one commit; the search hook writes their documents
        db.session.add_all(Customer(customer_number=str(50000 + n), name=f"Bred {n:03d} AB") for n in range(130))
        db.session.commit()
    first, total, exact = page(app, q="bred")  # a window of 4 x 25 rows holds page 1
    assert first == [f"Bred {n:03d} AB" for n in range(25)]
    assert (total, exact) == (100, False)  # "more than 100 customers"
    fifth, total, exact = page(app, q="bred", page="6")  # page 6 needs a window of 150: the whole list
    assert fifth == [f"Bred {n:03d} AB" for n in range(125, 130)]
    assert (total, exact) == (130, True)
