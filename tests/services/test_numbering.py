import threading

import pytest
from sqlalchemy import select

from app.commands import create_customer
from app.errors import Invalid
from app.extensions import db
from app.models import Customer
from app.security.access import SYSTEM
from tests.conftest import ctx, new_customer, set_settings


def numbers(app):
    with ctx(app):
        return sorted(db.session.execute(select(Customer.customer_number)).scalars())


def test_generated_numbers_follow_the_minimum_length_and_skip_numbers_in_use(app):
    new_customer(app, name="Manuell", customer_number="1001")
    first = new_customer(app, name="Första")
    second = new_customer(app, name="Andra")
    with ctx(app):
        assert db.session.get(Customer, first).customer_number == "1002"  # after the highest numeric one
        assert db.session.get(Customer, second).customer_number == "1003"
    new_customer(app, name="Manuell 2", customer_number="1004")
    third = new_customer(app, name="Tredje")
    with ctx(app):
        assert db.session.get(Customer, third).customer_number == "1005"


def test_raising_the_minimum_length_moves_generation_on(app):
    new_customer(app, name="A")
    set_settings(app, customer_number_min_length=6)
    later = new_customer(app, name="B")
    with ctx(app):
        assert db.session.get(Customer, later).customer_number == "100000"


@pytest.mark.parametrize("number", ["12", "12345678901", "12 34", "ÅÄÖ1"])
def test_typed_numbers_must_follow_the_rules(app, number):
    with ctx(app), pytest.raises(Invalid) as error:
        create_customer({"name": "X", "customer_number": number}, by=SYSTEM)
    assert "customer_number" in error.value.errors
    assert numbers(app) == []


def test_a_number_in_use_is_refused_and_nothing_is_saved(app):
    new_customer(app, name="Först", customer_number="5000")
    with ctx(app), pytest.raises(Invalid) as error:
        create_customer({"name": "Sen", "customer_number": "5000"}, by=SYSTEM)
    assert "customer_number" in error.value.errors
    assert numbers(app) == ["5000"]


def test_without_auto_generation_a_number_is_required(app):
    set_settings(app, auto_customer_number=False)
    with ctx(app), pytest.raises(Invalid) as error:
        create_customer({"name": "X"}, by=SYSTEM)
    assert "customer_number" in error.value.errors


def test_simultaneous_creations_never_get_the_same_number(app):
    """Eight threads, each with its own connection, create customers at once."""
    per_thread, threads_count = 5, 8
    barrier = threading.Barrier(threads_count)
    errors = []

    def worker(index):
        with app.app_context():
            barrier.wait()
            try:
                for n in range(per_thread):
                    create_customer({"name": f"Samtidig {index}-{n}"}, by=SYSTEM)
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    created = numbers(app)
    assert len(created) == per_thread * threads_count
    assert len(set(created)) == len(created)
