from sqlalchemy import func, select

from app.commands.demo import load_demo
from app.extensions import db
from app.models import Contact, Customer, CustomFieldValue, DiscountLetter
from app.services.identity import parse_identity
from tests.conftest import ctx


def test_demo_data_is_valid_and_loaded_once(app):
    with ctx(app):
        assert load_demo(40, seed=7) == 40
        assert load_demo(40, seed=7) == 0
        customers = db.session.execute(select(Customer)).scalars().all()
        assert len(customers) == 40
        for customer in customers:
            if customer.identity_number:
                assert parse_identity(customer.customer_type, customer.identity_number) == customer.identity_number
        assert {c.customer_type for c in customers} == {"company", "private"}
        for model in (Contact, DiscountLetter, CustomFieldValue):
            assert db.session.execute(select(func.count()).select_from(model)).scalar() > 0


def test_demo_data_has_facilities_and_orders_of_every_kind_and_status(app):
    from app.models import Facility, Order

    with ctx(app):
        load_demo(120, seed=11)
        pairs = set(db.session.execute(select(Order.kind, Order.status)).all())
        assert {kind for kind, _status in pairs} == {"service_order", "work_order", "fault_report", "quote"}
        assert {status for _kind, status in pairs} == {"new", "started", "ready_for_invoicing", "invoiced",
                                                      "cancelled"}
        assert db.session.execute(select(func.count()).select_from(Order)).scalar() > 120
        assert db.session.execute(select(func.count()).select_from(Facility)).scalar() > 10
        inactive_orders = db.session.execute(select(func.count()).select_from(Order).join(Order.customer)
                                             .where(Customer.active.is_(False))).scalar()
        assert inactive_orders > 0  # an inactive customer's orders stay
