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
