"""Schemathesis against the served OpenAPI document, for an administrator and a customer user:
every operation of the register's resources with a small, fixed (derandomized) budget of
generated requests; no 5xx, and every answer matches its documented status, type and schema.
Cases it found are kept as plain regression tests in test_found_cases.py."""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app import commands
from app.extensions import db
from app.models import Customer
from app.security.access import SYSTEM
from tests.api.conftest import bearer, customer_user_token, personal_token
from tests.conftest import ctx, new_customer

# Hypothesis runs derandomized (a fixed seed): the same cases on every run; raise the budget locally
# with SCHEMATHESIS_EXAMPLES to search wider.
EXAMPLES_PER_OPERATION = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "6"))
RESOURCES = ("/api/v1/customer", "/api/v1/contact", "/api/v1/address", "/api/v1/discount_letter",
             "/api/v1/custom_field")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]


def seed(app) -> int:
    """A few customers with contacts and addresses, so generated small ids find rows."""
    ids = [new_customer(app, name=f"Fuzz {n} AB", invoice_street="Gatan 1", invoice_postcode="11455",
                        invoice_city="Stockholm") for n in range(3)]
    with ctx(app):
        for customer_id in ids:
            customer = db.session.get(Customer, customer_id)
            commands.save_contact(customer, {"name": "Kontakt", "email": "k@exempel.se"}, by=SYSTEM)
    return ids[0]


def fuzz(app, token: str) -> int:
    headers = bearer(token)
    schema = schemathesis.openapi.from_wsgi("/api/v1/_openapi", app, headers=headers)
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if not operation.path.startswith(RESOURCES):
            continue
        operations += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
        def check(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        check()
    return operations


@pytest.mark.parametrize("who", ["admin", "manager", "tech", "reader", "customer user"])
def test_schemathesis_finds_no_errors(app, who):
    customer_id = seed(app)
    token = customer_user_token(app, customer_id, "fuzz@kund.se", edit=True) if who == "customer user" else \
        personal_token(app, who)
    assert fuzz(app, token) == 27
