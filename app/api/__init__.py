"""The REST API under /api/v1/ (FAB ModelRestApi): an entry point like the views and the CLI.

Resources `customer`, `contact` and `address` (names fixed in DESIGN.md), and read-only
`customer_article`, `customer_history`, `discount_letter` and `custom_field`, authenticated with
`Authorization: Bearer` (FAB's JWT from /api/v1/security/login, or a personal API token),
under the F27 rights and `CustomerScope`; every write goes through `app/commands`. The
OpenAPI document is at /api/v1/_openapi and its Swagger UI at /swagger/v1.
"""

from flask import jsonify, request
from flask_babel import force_locale

from .base import api_locale, error_body
from .children import AddressApi, ContactApi
from .customers import CustomerApi
from .registers import CustomerArticleApi, CustomerHistoryApi, CustomFieldApi, DiscountLetterApi

APIS = (CustomerApi, ContactApi, AddressApi, CustomerArticleApi, CustomerHistoryApi, DiscountLetterApi, CustomFieldApi)


def register_apis(appbuilder) -> None:
    for api in APIS:
        appbuilder.add_api(api)


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def api_error(status: int, code: str, headers=None):
    """An error answered outside a resource (no route, wrong method, rate limit) in the API's shape."""
    with force_locale(api_locale()):
        response = jsonify(error_body(code))
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response
