from app import commands as svc
from app.extensions import db
from app.models import CustomFieldDefinition
from app.security.access import SYSTEM
from app.services.custom_fields import active_fields
from app.services.search import parse_search, search_customers
from tests.conftest import ctx, new_customer


def names(app, user_name="admin", **args):
    from flask_appbuilder.security.sqla.models import User

    with ctx(app):
        user = db.session.get(User, app.user_ids[user_name])
        fields = active_fields(db.session)
        found, total = search_customers(db.session, parse_search(args, fields), user, fields)
        assert total == len(found)  # every test's matches fit on the first page
        return sorted(c.name for c in found)


def add_contact(app, customer_id, **raw):
    from app.models import Customer

    with ctx(app):
        svc.save_contact(db.session.get(Customer, customer_id), raw, by=SYSTEM)


def test_one_box_matches_name_contact_and_email_ignoring_case(app):
    new_customer(app, name="Åkesson Rör AB")
    second = new_customer(app, name="Bygg Öst AB")
    new_customer(app, name="Annat AB")
    add_contact(app, second, name="Örjan Ärlig", email="Orjan.Arlig@Exempel.se")
    assert names(app, q="åkesson") == ["Åkesson Rör AB"]
    assert names(app, q="ÖRJAN") == ["Bygg Öst AB"]
    assert names(app, q="orjan.arlig@exempel") == ["Bygg Öst AB"]
    # One or two characters match the start of a name or number only (too short for a substring search).
    assert names(app, q="åk") == ["Åkesson Rör AB"]
    assert names(app, q="ö") == []
    assert names(app, q="%") == []  # LIKE wildcards are literal


def test_inactive_customers_are_hidden_unless_asked_for(app):
    new_customer(app, name="Aktiv AB")
    inactive = new_customer(app, name="Vilande AB")
    with ctx(app):
        svc.set_active([inactive], False, by=SYSTEM)
    assert names(app) == ["Aktiv AB"]
    assert names(app, status="inactive") == ["Vilande AB"]
    assert names(app, status="all") == ["Aktiv AB", "Vilande AB"]


def test_filters_by_type_technician_and_custom_field(app):
    from app.models import Customer

    with ctx(app):
        field = CustomFieldDefinition(label="Bransch", field_type="choice", choices="Fastighet\nIndustri")
        db.session.add(field)
        db.session.commit()
        field_id = field.id
    company = new_customer(app, name="Fastighet AB", **{f"cf_{field_id}": "Fastighet"})
    new_customer(app, name="Industri AB", **{f"cf_{field_id}": "Industri"})
    new_customer(app, name="Per Person", customer_type="private")
    with ctx(app):
        db.session.get(Customer, company).assigned_to_id = app.user_ids["tech"]
        db.session.commit()
    assert names(app, type="private") == ["Per Person"]
    assert names(app, assigned=str(app.user_ids["tech"])) == ["Fastighet AB"]
    assert names(app, assigned="none") == ["Industri AB", "Per Person"]
    assert names(app, **{f"cf_{field_id}": "Industri"}) == ["Industri AB"]
    assert names(app, **{f"cf_{field_id}": "Skog"}) == []


def test_hostile_arguments_fall_back_to_defaults(app):
    new_customer(app, name="A AB")
    assert names(app, sort="password", dir="sideways", page="-4", size="100000", status="x", type="y") == ["A AB"]


def test_a_technician_with_only_assigned_rights_sees_only_assigned_customers(app):
    from app.models import Customer

    mine = new_customer(app, name="Min AB")
    new_customer(app, name="Annans AB")
    with ctx(app):
        db.session.get(Customer, mine).assigned_to_id = app.user_ids["tech"]
        db.session.commit()
    assert names(app, "tech") == ["Min AB"]
    assert names(app, "tech2") == []
    assert names(app, "reader") == ["Annans AB", "Min AB"]


def test_inactive_customers_cannot_be_chosen_for_new_orders(app):
    from flask_appbuilder.security.sqla.models import User

    from app.services.scope import selectable_customers

    active = new_customer(app, name="Aktiv AB")
    inactive = new_customer(app, name="Vilande AB")
    with ctx(app):
        svc.set_active([inactive], False, by=SYSTEM)
        user = db.session.get(User, app.user_ids["manager"])
        chosen = [c.id for c in db.session.execute(selectable_customers(user)).scalars()]
    assert chosen == [active]
