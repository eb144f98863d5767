"""Links written into notifications and e-mails, also when no request is running (CLI, jobs)."""

from urllib.parse import urlencode

from flask import current_app, has_request_context, request


def customers_of(technician_id: int) -> str:
    return "/customers/?" + urlencode({"assigned": technician_id})


def customer(customer_id: int) -> str:
    return f"/customers/{customer_id}"


def absolute(path: str) -> str:
    """An absolute URL: PUBLIC_URL when configured, else the current request's host."""
    base = current_app.config.get("PUBLIC_URL", "").rstrip("/")
    if not base and has_request_context():
        base = request.host_url.rstrip("/")
    return f"{base}{path}"
