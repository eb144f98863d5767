"""Orders through the commands: rules, rights, notifications, history and numbering (issue 12)."""

import datetime
import json
import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.commands import assign_technician, set_active
from app.commands import orders as commands
from app.errors import Invalid, NotAllowed, NotFound
from app.extensions import db
from app.models import (
    Article,
    Customer,
    CustomerArticle,
    CustomerHistory,
    DiscountLetter,
    DiscountLetterRow,
    Facility,
    Notification,
    Order,
    OrderRow,
    OutboxMessage,
)
from app.security.access import SYSTEM
from app.services.orders import order_totals
from app.services.settings import get_settings
from tests.conftest import ctx, new_customer, set_settings

TODAY = datetime.date(2026, 12, 1)


def count(app, model, **where):
    with ctx(app):
        query = select(func.count()).select_from(model)
        for key, value in where.items():
            query = query.where(getattr(model, key) == value)
        return db.session.execute(query).scalar()


def user(app, name):
    """The FAB user `name`, inside an app context."""
    return app.appbuilder.sm.find_user(username=name)


def create(app, customer_id, by=SYSTEM, **values):
    values.setdefault("kind", "work_order")
    with ctx(app):
        return commands.create_order({"customer_id": customer_id, **values}, by=by).id


def articles(app):
    with ctx(app):
        time = Article(article_number="1001", name="Arbetstid", article_group="Arbete", unit="tim",
                       price=Decimal("650"), vat_rate=Decimal("25"), is_time_article=True)
        part = Article(article_number="3001", name="Filter", article_group="Material", unit="st",
                       price=Decimal("199.00"), vat_rate=Decimal("25"))
        db.session.add_all([time, part])
        db.session.commit()
        return time.id, part.id


def test_numbers_run_per_kind_and_the_order_inherits_from_the_customer(app):
    customer_id = new_customer(app, name="Bolaget AB")
    with ctx(app):
        customer = db.session.get(Customer, customer_id)
        customer.cost_centre = "KS-12"
        customer.always_invoice = True
        customer.customer_order_number = "PO-77"
        db.session.commit()
    first = create(app, customer_id)
    second = create(app, customer_id)
    fault = create(app, customer_id, kind="fault_report", description="Läcker")
    with ctx(app):
        a, b, c = (db.session.get(Order, i) for i in (first, second, fault))
        assert (a.number, b.number, c.number) == ("1", "2", "1")
        assert (a.kind, c.kind, a.status) == ("work_order", "fault_report", "new")
        assert (a.cost_centre, a.customer_order_number, a.always_invoice) == ("KS-12", "PO-77", True)


def test_the_facilitys_order_number_wins_and_editing_the_order_leaves_the_source_alone(app):
    customer_id = new_customer(app, name="Bolaget AB")
    with ctx(app):
        customer = db.session.get(Customer, customer_id)
        customer.customer_order_number = "KUND-1"
        db.session.commit()
        facility = commands.save_facility(customer, {"name": "Pannrummet", "customer_order_number": "ANL-9"},
                                          by=SYSTEM)
        facility_id = facility.id
    order_id = create(app, customer_id, facility_id=facility_id)
    with ctx(app):
        order = db.session.get(Order, order_id)
        assert order.customer_order_number == "ANL-9"
        commands.update_order(order, {"customer_order_number": "ÄNDRAT"}, by=SYSTEM)
    with ctx(app):
        assert db.session.get(Order, order_id).customer_order_number == "ÄNDRAT"
        assert db.session.get(Facility, facility_id).customer_order_number == "ANL-9"
        assert db.session.get(Customer, customer_id).customer_order_number == "KUND-1"


def test_an_inactive_customer_cannot_get_new_orders_but_keeps_its_old_ones(app):
    customer_id = new_customer(app, name="Vilande AB")
    old = create(app, customer_id)
    with ctx(app):
        set_active([customer_id], False, by=SYSTEM)
    with ctx(app):
        with pytest.raises(Invalid) as error:
            commands.create_order({"customer_id": customer_id, "kind": "fault_report"}, by=SYSTEM)
        assert str(error.value.errors["customer_id"]) == "Vilande AB är inaktiv och kan inte väljas för nya order."
    assert count(app, Order) == 1
    with ctx(app):  # the old order is still there and can be worked on
        commands.set_status(db.session.get(Order, old), "started", by=SYSTEM)
        assert db.session.get(Order, old).status == "started"


@pytest.mark.parametrize(("rule", "field", "message"), [
    ("facility_required", "facility_id", "En anläggning är obligatorisk på kundens order: välj en."),
    ("cost_centre_required", "cost_centre", "Ett kostnadsställe är obligatoriskt på kundens order: fyll i det."),
])
def test_f13_mandatory_fields_refuse_saving_and_save_nothing(app, rule, field, message):
    customer_id = new_customer(app, name="Noggrann AB")
    with ctx(app):
        setattr(db.session.get(Customer, customer_id), rule, True)
        db.session.commit()
    with ctx(app):
        with pytest.raises(Invalid) as error:
            commands.create_order({"customer_id": customer_id, "kind": "service_order"}, by=SYSTEM)
        assert {k: str(v) for k, v in error.value.errors.items()} == {field: message}
    assert count(app, Order) == 0
    assert count(app, Notification) == 0


def test_f25_a_required_customer_order_number_refuses_saving(app):
    set_settings(app, require_customer_order_number=True)
    customer_id = new_customer(app, name="Kräver AB")
    with ctx(app):
        with pytest.raises(Invalid) as error:
            commands.create_order({"customer_id": customer_id, "kind": "quote"}, by=SYSTEM)
        assert str(error.value.errors["customer_order_number"]) == "Kundens ordernummer krävs på order: fyll i det."
    assert count(app, Order) == 0
    order_id = create(app, customer_id, kind="quote", customer_order_number="PO-1")
    with ctx(app), pytest.raises(Invalid):
        commands.update_order(db.session.get(Order, order_id), {"customer_order_number": ""}, by=SYSTEM)
    with ctx(app):
        assert db.session.get(Order, order_id).customer_order_number == "PO-1"


def test_facilities_disabled_refuses_adding_one(app):
    customer_id = new_customer(app, name="Utan anläggningar AB")
    with ctx(app):
        customer = db.session.get(Customer, customer_id)
        customer.facilities_disabled = True
        db.session.commit()
        with pytest.raises(Invalid) as error:
            commands.save_facility(customer, {"name": "Källaren"}, by=SYSTEM)
        assert str(error.value.errors["name"]) == "Anläggningar är avstängda för Utan anläggningar AB."
    assert count(app, Facility) == 0


def test_a_new_order_goes_to_the_customers_technician_who_is_notified_once(app):
    customer_id = new_customer(app, name="Tilldelad AB")
    tech = app.user_ids["tech"]
    with ctx(app):
        assign_technician([customer_id], tech, by=SYSTEM)
    before = count(app, Notification, user_id=tech)
    order_id = create(app, customer_id, kind="fault_report")
    with ctx(app):
        assert db.session.get(Order, order_id).assigned_to_id == tech
        notes = db.session.execute(select(Notification).where(Notification.user_id == tech,
                                                              Notification.kind == "order_assigned")).scalars().all()
        assert len(notes) == 1 and before == 1
        assert json.loads(notes[0].params) == {"order": "Felanmälan 1", "customer": "Tilldelad AB"}
    assert count(app, OutboxMessage, recipient="tech@exempel.se") == 2  # the assignment and the order
    quote = create(app, customer_id, kind="quote")  # a quote is not an order: not assigned
    with ctx(app):
        assert db.session.get(Order, quote).assigned_to_id is None
    assert count(app, Notification, user_id=tech) == 2
    assert count(app, Notification, user_id=app.user_ids["manager"]) == 0


def test_rows_take_article_price_and_the_customers_discount(app):
    time_id, part_id = articles(app)
    customer_id = new_customer(app, name="Rabatt AB", identity_number="556036-0793")
    with ctx(app):
        letter = DiscountLetter(name="Fastighet", rows=[DiscountLetterRow(article_group="Material", percent=10),
                                                        DiscountLetterRow(article_group=None, percent=5)])
        db.session.add(letter)
        db.session.get(Customer, customer_id).discount_letters = [letter]
        db.session.commit()
    order_id = create(app, customer_id)
    with ctx(app):
        order = db.session.get(Order, order_id)
        part = commands.add_row(order, {"article_id": part_id, "quantity": "3"}, by=SYSTEM, today=TODAY)
        time = commands.add_row(order, {"article_id": time_id}, by=SYSTEM, today=TODAY)
        assert (part.text, part.unit, part.unit_price, part.discount_percent) == (
            "Filter", "st", Decimal("199.00"), Decimal("10.00"))
        assert (time.quantity, time.is_time_row, time.discount_percent) == (Decimal("0"), True, Decimal("5.00"))
        assert order.work_date is None  # no hours yet
        # 3 × 199 less 10 %: 537,30 kr without VAT (a company with organisation number)
        totals = order_totals(order, get_settings())
        assert (totals.includes_vat, totals.net, totals.vat, totals.shown) == (
            False, Decimal("537.30"), Decimal("134.33"), Decimal("537.30"))


def test_hours_on_the_time_row_set_the_work_date_and_editing_moves_it(app):
    time_id, _part = articles(app)
    customer_id = new_customer(app, name="Tid AB")
    order_id = create(app, customer_id)
    with ctx(app):
        order = db.session.get(Order, order_id)
        row = commands.add_row(order, {"article_id": time_id}, by=SYSTEM, today=TODAY)
        commands.update_row(row, {"quantity": "2,5"}, by=SYSTEM, today=TODAY)
        assert (row.quantity, order.work_date) == (Decimal("2.50"), TODAY)
        later = TODAY + datetime.timedelta(days=3)
        commands.update_order(order, {"work_date": TODAY}, by=SYSTEM)
        commands.update_row(row, {"text": "Arbetstid, montör"}, by=SYSTEM, today=later)
        assert order.work_date == TODAY  # the hours did not change
        commands.update_row(row, {"quantity": "3"}, by=SYSTEM, today=later)
        assert order.work_date == later
        assert (row.article_id, row.is_time_row, row.text) == (time_id, True, "Arbetstid, montör")


def test_loading_the_customers_articles_adds_them_as_rows(app):
    set_settings(app, show_work_order_articles=True, show_service_articles=True)
    time_id, part_id = articles(app)
    customer_id = new_customer(app, name="Artiklar AB")
    with ctx(app):
        db.session.add_all([CustomerArticle(customer_id=customer_id, article_id=part_id, kind="work_order",
                                            quantity=Decimal("2")),
                            CustomerArticle(customer_id=customer_id, article_id=time_id, kind="work_order",
                                            quantity=Decimal("4")),
                            CustomerArticle(customer_id=customer_id, article_id=part_id, kind="service",
                                            quantity=Decimal("7"))])
        db.session.commit()
        order = commands.create_order({"customer_id": customer_id, "kind": "work_order"}, by=SYSTEM,
                                      load_articles=True)
        assert [(r.text, r.quantity) for r in order.rows] == [("Filter", Decimal("2.00")), ("Arbetstid", Decimal("0"))]
        quote = commands.create_order({"customer_id": customer_id, "kind": "quote"}, by=SYSTEM, load_articles=True)
        assert quote.rows == []
    set_settings(app, show_work_order_articles=False)
    with ctx(app):
        order = commands.create_order({"customer_id": customer_id, "kind": "work_order"}, by=SYSTEM,
                                      load_articles=True)
        assert order.rows == []


def test_status_changes_and_assignment_are_in_the_customers_history(app):
    customer_id = new_customer(app, name="Historik AB")
    order_id = create(app, customer_id)
    with ctx(app):
        order = db.session.get(Order, order_id)
        commands.set_status(order, "ready_for_invoicing", by=SYSTEM)
        commands.update_order(order, {"assigned_to_id": app.user_ids["tech2"]}, by=SYSTEM)
        rows = db.session.execute(select(CustomerHistory).where(CustomerHistory.record_type == "order")
                                  .order_by(CustomerHistory.id)).scalars().all()
        assert [(r.action, r.field, r.old_value, r.new_value) for r in rows] == [
            ("insert", None, None, "number=1; kind=work_order; status=new"),
            ("update", "status", "new", "ready_for_invoicing"),
            ("update", "assigned_to_id", None, str(app.user_ids["tech2"])),
        ]
    assert count(app, Notification, user_id=app.user_ids["tech2"]) == 1


def test_a_technician_sees_and_changes_only_the_orders_assigned_to_it(app):
    customer_id = new_customer(app, name="Delad AB")
    mine = create(app, customer_id, assigned_to_id=app.user_ids["tech"])
    theirs = create(app, customer_id, assigned_to_id=app.user_ids["tech2"])
    with ctx(app):
        tech = user(app, "tech")
        commands.set_status(db.session.get(Order, mine), "started", by=tech)
        with pytest.raises(NotFound):
            commands.set_status(db.session.get(Order, theirs), "started", by=tech)
        with pytest.raises(NotAllowed):
            commands.delete_order(db.session.get(Order, mine), by=tech)
        assert db.session.get(Order, theirs).status == "new"


def test_a_reader_cannot_create_and_nobody_orders_for_a_customer_out_of_sight(app):
    customer_id = new_customer(app, name="Annan AB")
    with ctx(app), pytest.raises(NotAllowed):
        commands.create_order({"customer_id": customer_id, "kind": "quote"}, by=user(app, "reader"))
    with ctx(app), pytest.raises(Invalid) as error:  # tech sees only assigned customers
        commands.create_order({"customer_id": customer_id, "kind": "quote"}, by=user(app, "tech"))
    assert "customer_id" in error.value.errors
    assert count(app, Order) == 0


def test_a_technician_who_sees_only_its_own_orders_gets_the_ones_it_creates(app):
    customer_id = new_customer(app, name="Egen AB")
    with ctx(app):
        assign_technician([customer_id], app.user_ids["tech"], by=SYSTEM)
    with ctx(app):
        db.session.get(Customer, customer_id).assigned_to_id = None  # no technician on the customer
        db.session.commit()
    with ctx(app):
        tech = app.appbuilder.sm.find_user(username="tech")
        with pytest.raises(Invalid):  # the customer is no longer in the technician's sight
            commands.create_order({"customer_id": customer_id, "kind": "quote"}, by=tech)


def test_deleting_a_row_and_an_order(app):
    customer_id = new_customer(app, name="Bort AB")
    order_id = create(app, customer_id)
    with ctx(app):
        order = db.session.get(Order, order_id)
        row = commands.add_row(order, {"text": "Resa", "quantity": "1", "unit_price": "450"}, by=SYSTEM)
        commands.delete_row(row, by=SYSTEM)
        assert order.rows == []
        commands.add_row(order, {"text": "Resa", "quantity": "1", "unit_price": "450"}, by=SYSTEM)
        commands.delete_order(order, by=SYSTEM)
    assert count(app, Order) == 0 and count(app, OrderRow) == 0


def test_bad_row_input_is_refused_with_messages_and_saves_nothing(app):
    customer_id = new_customer(app, name="Fel AB")
    order_id = create(app, customer_id)
    with ctx(app), pytest.raises(Invalid) as error:
        commands.add_row(db.session.get(Order, order_id), {"text": "", "quantity": "två", "discount_percent": "150"},
                         by=SYSTEM)
    assert set(error.value.errors) == {"text", "quantity", "discount_percent"}
    assert count(app, OrderRow) == 0


def test_simultaneous_creations_never_get_the_same_number(app):
    """Eight threads, each with its own connection, create work orders at once."""
    customer_id = new_customer(app, name="Samtidig AB")
    per_thread, threads_count = 4, 8
    barrier = threading.Barrier(threads_count)
    errors = []

    def worker():
        with app.app_context():
            barrier.wait()
            try:
                for _ in range(per_thread):
                    commands.create_order({"customer_id": customer_id, "kind": "work_order"}, by=SYSTEM)
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with ctx(app):
        numbers = sorted(int(n) for n in db.session.execute(select(Order.number)).scalars())
    assert numbers == list(range(1, per_thread * threads_count + 1))
