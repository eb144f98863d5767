"""Links written into notifications and e-mails, also when no request is running (CLI, jobs).

Built with `url_for` from the views' endpoints, never by hand, so a moved route moves its
links too. Outside a request, a request context for the app's root is made just to build them.
"""

import contextlib

from flask import current_app, has_request_context, request, url_for


def _url(endpoint: str, **values) -> str:
    context = contextlib.nullcontext() if has_request_context() else current_app.test_request_context("/")
    with context:
        return url_for(endpoint, **values)


def customers_of(technician_id: int) -> str:
    """The customer list filtered on the technician."""
    return _url("CustomerView.list", assigned=technician_id)


def customer(customer_id: int) -> str:
    return _url("CustomerView.show", pk=customer_id)


def invitation(token: str) -> str:
    return _url("InvitationView.accept", token=token)


def absolute(path: str) -> str:
    """An absolute URL: PUBLIC_URL when configured, else the current request's host."""
    base = current_app.config.get("PUBLIC_URL", "").rstrip("/")
    if not base and has_request_context():
        base = request.host_url.rstrip("/")
    return f"{base}{path}"


def order(order_id: int) -> str:
    return _url("OrderView.show", pk=order_id)
