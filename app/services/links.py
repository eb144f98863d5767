"""Links written into notifications and e-mails, also when no request is running (CLI, jobs).

Built with `url_for` from the views' endpoints, never by hand, so a moved route moves its
links too. Outside a request, a request context for the app's root is made just to build them.
"""

import contextlib

from flask import current_app, has_request_context, request, url_for
from flask_babel import lazy_gettext as _l

from ..errors import Invalid

NO_PUBLIC_URL = _l("Links for e-mails cannot be made: the administrator must set PUBLIC_URL "
                   "(the address users reach the register on).")


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


def trusted_request_base() -> str | None:
    """The current request's own address, when it may be written into an e-mail: the `Host` header
    is whatever the client sent, so only in debug or when Flask has checked it against
    TRUSTED_HOSTS (a forged host is then a 400 before any view runs)."""
    if not has_request_context():
        return None
    if current_app.debug or current_app.config.get("TRUSTED_HOSTS"):
        return request.host_url.rstrip("/")
    return None


def absolute(path: str) -> str:
    """An absolute URL for e-mails: PUBLIC_URL when configured, else the current request's host
    when it can be trusted (see above). Otherwise Invalid: a link to an attacker's domain
    (from a forged `Host`) must never be mailed."""
    base = (current_app.config.get("PUBLIC_URL") or "").rstrip("/") or trusted_request_base()
    if not base:
        raise Invalid({"public_url": NO_PUBLIC_URL})
    return f"{base}{path}"


def order(order_id: int) -> str:
    return _url("OrderView.show", pk=order_id)
