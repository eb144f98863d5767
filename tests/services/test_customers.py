import pytest
from sqlalchemy import func, select

from app import commands as svc
from app.errors import Invalid
from app.extensions import db
from app.models import Address, Contact, Customer, CustomFieldDefinition, DiscountLetter
from app.security.access import SYSTEM
from tests.conftest import ctx, new_customer, set_settings


def count(app, model):
    with ctx(app):
        return db.session.execute(select(func.count()).select_from(model)).scalar()


def test_a_new_customer_is_a_company_and_stores_canonical_values(app):
    customer_id = new_customer(
        app, name="  Ångström Fastigheter AB ", identity_number="5560360793",
        invoice_street="Storgatan 1", invoice_postcode="114 55", invoice_city="Stockholm",
    )
    with ctx(app):
        customer = db.session.get(Customer, customer_id)
        assert customer.customer_type == "company"
        assert customer.name == "Ångström Fastigheter AB"
        assert customer.identity_number == "556036-0793"
        assert customer.active is True
        invoice = customer.address("invoice")
        assert (invoice.postcode, invoice.postcode_display, invoice.city) == ("11455", "114 55", "Stockholm")


def test_bad_input_saves_nothing_and_names_every_field(app):
    with ctx(app), pytest.raises(Invalid) as error:
        svc.create_customer({"name": "", "customer_type": "private", "identity_number": "19811228-9873",
                             "invoice_postcode": "999"}, by=SYSTEM)
    assert set(error.value.errors) == {"name", "identity_number", "invoice_postcode"}
    assert count(app, Customer) == 0
    assert count(app, Address) == 0


def test_private_customer_gets_a_personnummer(app):
    customer_id = new_customer(app, name="Åsa Öberg", customer_type="private", identity_number="811228-9874")
    with ctx(app):
        assert db.session.get(Customer, customer_id).identity_number == "19811228-9874"


def test_the_customer_number_does_not_change_in_a_normal_update(app):
    customer_id = new_customer(app, name="A", customer_number="7777")
    with ctx(app):
        customer = db.session.get(Customer, customer_id)
        svc.update_customer(customer, {"name": "B", "customer_number": "8888"}, by=SYSTEM)
    with ctx(app):
        customer = db.session.get(Customer, customer_id)
        assert (customer.name, customer.customer_number) == ("B", "7777")


def test_fields_hidden_by_a_setting_are_neither_read_nor_cleared(app):
    set_settings(app, show_vat_type=True, show_language=True, show_cost_centre=True)
    customer_id = new_customer(app, name="A", vat_type="NormalVAT", language="en", cost_centre="K1")
    set_settings(app, show_vat_type=False, show_language=False, show_cost_centre=False)
    with ctx(app):
        svc.update_customer(db.session.get(Customer, customer_id), {"name": "A", "vat_type": "NoVAT"}, by=SYSTEM)
    with ctx(app):
        customer = db.session.get(Customer, customer_id)
        assert (customer.vat_type, customer.language, customer.cost_centre) == ("NormalVAT", "en", "K1")


def test_only_offered_languages_and_vat_types(app):
    set_settings(app, show_vat_type=True, show_language=True)
    with ctx(app), pytest.raises(Invalid) as error:
        svc.create_customer({"name": "A", "vat_type": "Half", "language": "xx"}, by=SYSTEM)
    assert set(error.value.errors) == {"vat_type", "language"}


def test_tax_reduction_data_is_validated_when_rot_rut_is_on(app):
    set_settings(app, use_rot_rut=True)
    with ctx(app), pytest.raises(Invalid) as error:
        svc.create_customer({"name": "A", "housing_coop_org_number": "769600-0000", "apartment_number": "12"}, by=SYSTEM)
    assert set(error.value.errors) == {"housing_coop_org_number", "apartment_number"}
    customer_id = new_customer(app, name="B", housing_coop_org_number="556036-0793", apartment_number="1102",
                               property_designation="Solrosen 4", tax_reduction_personnummer="811228-9874")
    with ctx(app):
        customer = db.session.get(Customer, customer_id)
        assert customer.apartment_number == "1102"
        assert customer.tax_reduction_personnummer == "19811228-9874"


def test_discount_letters_must_exist(app):
    with ctx(app):
        letter = DiscountLetter(name="Avtal")
        db.session.add(letter)
        db.session.commit()
        letter_id = letter.id
    customer_id = new_customer(app, name="A", discount_letters=[str(letter_id)])
    with ctx(app):
        assert [d.name for d in db.session.get(Customer, customer_id).discount_letters] == ["Avtal"]
        with pytest.raises(Invalid):
            svc.create_customer({"name": "B", "discount_letters": [str(letter_id + 99)]}, by=SYSTEM)


def test_custom_fields_are_validated_and_stored(app):
    with ctx(app):
        fields = [
            CustomFieldDefinition(label="Avtalsnummer", field_type="text", required=True),
            CustomFieldDefinition(label="Antal", field_type="number"),
            CustomFieldDefinition(label="Förnyas", field_type="date"),
            CustomFieldDefinition(label="Bransch", field_type="choice", choices="Fastighet\nIndustri"),
            CustomFieldDefinition(label="Nyckel", field_type="boolean"),
        ]
        db.session.add_all(fields)
        db.session.commit()
        ids = [f.id for f in fields]
    with ctx(app), pytest.raises(Invalid) as error:
        svc.create_customer({"name": "A", f"cf_{ids[1]}": "tolv", f"cf_{ids[2]}": "31/12", f"cf_{ids[3]}": "Skog"}, by=SYSTEM)
    assert set(error.value.errors) == {f"cf_{i}" for i in ids[:4]}
    customer_id = new_customer(app, name="A", **{f"cf_{ids[0]}": "AV-1", f"cf_{ids[1]}": "12,50",
                                                  f"cf_{ids[2]}": "2027-01-31", f"cf_{ids[3]}": "Industri",
                                                  f"cf_{ids[4]}": "1"})
    with ctx(app):
        customer = db.session.get(Customer, customer_id)
        assert [customer.custom_value(i) for i in ids] == ["AV-1", "12.5", "2027-01-31", "Industri", "1"]


def test_one_main_contact_per_customer(app):
    customer_id = new_customer(app, name="A")
    with ctx(app):
        customer = db.session.get(Customer, customer_id)
        first = svc.save_contact(customer, {"name": "Anna", "email": "anna@exempel.se", "is_main_contact": True}, by=SYSTEM)
        svc.save_contact(customer, {"name": "Bo", "is_main_contact": True}, by=SYSTEM)
        db.session.refresh(first)
        mains = [c.name for c in customer.contacts if c.is_main_contact]
        assert mains == ["Bo"]


def test_contact_rules(app):
    customer_id = new_customer(app, name="A")
    with ctx(app):
        customer = db.session.get(Customer, customer_id)
        with pytest.raises(Invalid) as error:
            svc.save_contact(customer, {"name": "", "email": "nej", "phone": "070-abc"}, by=SYSTEM)
        assert set(error.value.errors) == {"name", "email", "phone"}
        with pytest.raises(Invalid) as error:
            svc.save_contact(customer, {"name": "Anna", "send_service_protocol": True}, by=SYSTEM)
        assert set(error.value.errors) == {"email"}
    assert count(app, Contact) == 0


def test_visiting_and_postal_addresses_are_optional_and_separate(app):
    customer_id = new_customer(app, name="A")
    with ctx(app):
        customer = db.session.get(Customer, customer_id)
        svc.save_address(customer, "visiting", {"street": "Besöksvägen 2", "postcode": "41104", "city": "Göteborg"}, by=SYSTEM)
        with pytest.raises(Invalid):
            svc.save_address(customer, "postal", {"street": "Box 1", "postcode": "4110", "city": "Göteborg"}, by=SYSTEM)
        assert [a.kind for a in customer.addresses] == ["visiting"]
        svc.delete_address(customer, "visiting", by=SYSTEM)
        assert customer.addresses == []
