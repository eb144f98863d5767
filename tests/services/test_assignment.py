import pytest
from sqlalchemy import func, select

from app.commands import assign_technician
from app.errors import Invalid
from app.extensions import db
from app.models import Customer, Notification, OutboxMessage
from app.security.access import SYSTEM
from app.services.assignment import assign_new_order
from app.services.history import acting_as
from app.services.notifications import mark_read, unread_count
from tests.conftest import ctx, new_customer


def count(app, model, **where):
    with ctx(app):
        query = select(func.count()).select_from(model)
        for key, value in where.items():
            query = query.where(getattr(model, key) == value)
        return db.session.execute(query).scalar()


def test_bulk_assignment_notifies_each_technician_once(app):
    ids = [new_customer(app, name=f"Kund {i}") for i in range(12)]
    tech, tech2 = app.user_ids["tech"], app.user_ids["tech2"]
    with ctx(app):
        assert assign_technician(ids, tech, by=SYSTEM) == 12
    assert count(app, Notification, user_id=tech) == 1
    assert count(app, OutboxMessage, recipient="tech@exempel.se") == 1
    with ctx(app):
        assert assign_technician(ids[:5], tech2, by=SYSTEM) == 5
        assert unread_count(tech) == 2 and unread_count(tech2) == 1
        lost = db.session.execute(select(Notification).where(Notification.user_id == tech,
                                                             Notification.kind == "unassigned")).scalar()
        assert '"count": 5' in lost.params
        assert db.session.get(Customer, ids[0]).assigned_to_id == tech2
    assert count(app, Notification, user_id=app.user_ids["manager"]) == 0  # nobody else hears about it


def test_removing_the_assignment_notifies_the_previous_technician(app):
    customer_id = new_customer(app, name="A")
    with ctx(app):
        assign_technician([customer_id], app.user_ids["tech"], by=SYSTEM)
        assign_technician([customer_id], "none", by=SYSTEM)
        assert db.session.get(Customer, customer_id).assigned_to_id is None
    assert count(app, Notification, user_id=app.user_ids["tech"], kind="unassigned") == 1


@pytest.mark.parametrize("technician", ["999999", "abc"])
def test_an_unknown_technician_changes_nothing(app, technician):
    customer_id = new_customer(app, name="A")
    with ctx(app), pytest.raises(Invalid):
        assign_technician([customer_id], technician, by=SYSTEM)
    with ctx(app):
        assert db.session.get(Customer, customer_id).assigned_to_id is None
    assert count(app, Notification) == 0


def test_a_new_order_goes_to_the_assigned_technician(app):
    with_tech = new_customer(app, name="Med tekniker")
    without = new_customer(app, name="Utan tekniker")
    with ctx(app):
        assign_technician([with_tech], app.user_ids["tech"], by=SYSTEM)
        mark_read(app.user_ids["tech"])
        assert assign_new_order(db.session.get(Customer, without), "Felanmälan 17") is None
        assert assign_new_order(db.session.get(Customer, with_tech), "Serviceorder 12") == app.user_ids["tech"]
        db.session.commit()
        assert unread_count(app.user_ids["tech"]) == 1


def test_mark_read_only_touches_the_users_own_notifications(app):
    customer_id = new_customer(app, name="A")
    with ctx(app):
        assign_technician([customer_id], app.user_ids["tech"], by=SYSTEM)
        notification_id = db.session.execute(select(Notification.id)).scalar()
        assert mark_read(app.user_ids["tech2"], [notification_id]) == 0
        assert unread_count(app.user_ids["tech"]) == 1


def test_the_technician_receives_the_assignment_email(app, smtp_server):
    from app.services.outbox import deliver
    from tests.conftest import mail_config

    app.config.update(mail_config(smtp_server))
    ids = [new_customer(app, name=f"Kund {i}") for i in range(3)]
    with ctx(app):
        assign_technician(ids, app.user_ids["tech"], by=SYSTEM)
        assert deliver() == (1, 0)
    [mail] = smtp_server.messages
    assert mail["To"] == "tech@exempel.se"
    assert "3" in mail.get_content() and f"/customers/?assigned={app.user_ids['tech']}" in mail.get_content()


def history_of(customer_id) -> list[tuple]:
    from app.models import CustomerHistory

    rows = db.session.execute(select(CustomerHistory).where(CustomerHistory.customer_id == customer_id,
                                                            CustomerHistory.action == "update")
                              .order_by(CustomerHistory.id)).scalars()
    return [(r.record_type, r.action, r.field, r.old_value, r.new_value, r.changed_by) for r in rows]


def test_set_based_assignment_writes_the_rows_and_history_of_single_changes(app):
    """The bulk path (one UPDATE per chunk) and an ORM change of one customer (the session
    hook) leave identical customers and identical history rows."""
    bulk, single = new_customer(app, name="Bulk AB"), new_customer(app, name="Enkel AB")
    tech, tech2 = app.user_ids["tech"], app.user_ids["tech2"]
    with ctx(app), acting_as("anna"):
        assert assign_technician([bulk], tech, by=SYSTEM) == 1
        assert assign_technician([bulk], tech2, by=SYSTEM) == 1
        customer = db.session.get(Customer, single)
        customer.assigned_to_id = tech
        db.session.commit()
        customer.assigned_to_id = tech2
        db.session.commit()
    with ctx(app):
        assert history_of(bulk) == history_of(single) == [
            ("customer", "update", "assigned_to_id", None, str(tech), "anna"),
            ("customer", "update", "assigned_to_id", str(tech), str(tech2), "anna"),
        ]
        one, other = db.session.get(Customer, bulk), db.session.get(Customer, single)
        assert (one.assigned_to_id, one.version) == (other.assigned_to_id, other.version) == (tech2, 3)


def test_an_assignment_refreshes_customers_already_loaded_in_the_session(app):
    customer_id = new_customer(app, name="Laddad AB")
    with ctx(app):
        customer = db.session.get(Customer, customer_id)
        version = customer.version
        assign_technician([customer_id], app.user_ids["tech"], by=SYSTEM)
        assert customer.assigned_to_id == app.user_ids["tech"] and customer.version == version + 1
