"""Fortnox API v3 (https://api.fortnox.se/3) with OAuth2 (https://apps.fortnox.se/oauth-v1).

As Fortnox documents it:
- authorization code flow: `/oauth-v1/auth?client_id&redirect_uri&scope&state&response_type=code`
  with `access_type=offline`, and `account_type=service` for a service account (an integration
  not tied to one Fortnox user; only a system administrator of the customer may authorise it);
- `/oauth-v1/token` with HTTP Basic client authentication; the access token lives an hour, and
  every refresh returns a new refresh token — the old one is then invalid;
- 25 requests per 5 seconds per access token (sliding window), 429 beyond that;
- errors as `{"ErrorInformation": {"error": 1, "message": "…", "code": 2000637}}` with a Swedish
  message; we translate the codes we know and keep Fortnox's text as the detail;
- lists are paged (`page`, `limit` ≤ 500, `MetaInformation.@TotalPages`); `lastmodified`
  ("YYYY-MM-DD HH:MM", Swedish local time) selects records changed since then. List rows are
  partial customers, so each changed one is read in full.
"""

import datetime
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l

from .errors import AuthorizationFailed, IntegrationError, ProviderUnavailable, RemoteNotFound, RemoteRejected
from .http import ApiClient, OAuth2Client

LABEL = "Fortnox"
SCOPES = "customer order invoice companyinformation"
RATE_LIMIT = (25, 5.0)  # requests per seconds, per access token
STOCKHOLM = ZoneInfo("Europe/Stockholm")

# Fortnox error codes we can explain better than "refused".
_AUTH_CODES = {2000310, 2000311}
_LICENCE_CODES = {2001103, 2001101}
_VALUE_CODES = {2000106, 2000108, 2000134, 2000359}


def oauth_client(config) -> OAuth2Client:
    base = config["FORTNOX_AUTH_URL"].rstrip("/")
    return OAuth2Client(LABEL, f"{base}/token", config["FORTNOX_CLIENT_ID"] or "",
                        config["FORTNOX_CLIENT_SECRET"] or "", authorize_url=f"{base}/auth")


def authorize_url(oauth: OAuth2Client, *, redirect_uri: str, state: str, service_account: bool = False) -> str:
    return oauth.authorize_url(redirect_uri=redirect_uri, state=state, scope=SCOPES, access_type="offline",
                               account_type="service" if service_account else "")


def translate_error(status: int, body: dict | None, text: str = "") -> IntegrationError:
    """`ErrorInformation` (code + Swedish message) as an error with a message in the user's language."""
    info = (body or {}).get("ErrorInformation") or (body or {}).get("errorInformation") or {}
    code = info.get("code") or info.get("Code")
    detail = info.get("message") or info.get("Message") or text[:500]
    try:
        code = int(code) if code is not None else None
    except (TypeError, ValueError):
        pass
    if status in (401, 403) or code in _AUTH_CODES:
        return AuthorizationFailed(_l("Fortnox did not accept the login. Connect Fortnox again."),
                                   code=code, status=status, detail=detail)
    if code in _LICENCE_CODES:
        return RemoteRejected(_l("The Fortnox account has no licence for this part of the API."),
                              code=code, status=status, detail=detail)
    if code == 2000637:
        return RemoteRejected(_l("The customer number is already used in Fortnox (perhaps by a deleted "
                                 "customer). Change the customer number and save again."),
                              code=code, status=status, detail=detail)
    if code in _VALUE_CODES:
        return RemoteRejected(_l("Fortnox refused a value: %(detail)s", detail=detail),
                              code=code, status=status, detail=detail)
    if code == 1000003 or status >= 500:
        return ProviderUnavailable(_l("Fortnox had an internal error; the change is sent again later."),
                                   code=code, status=status, detail=detail)
    if status == 404:
        return RemoteNotFound(_l("Fortnox has no such record."), code=code, status=status, detail=detail)
    return RemoteRejected(_l("Fortnox refused the record: %(detail)s (code %(code)s)", detail=detail, code=code),
                          code=code, status=status, detail=detail)


def lastmodified_param(since: datetime.datetime) -> str:
    """Fortnox's `lastmodified` is minute-precise local time; step back a minute so nothing
    changed in the same minute is missed (the engine ignores what it has already seen)."""
    local = since.replace(tzinfo=datetime.UTC).astimezone(STOCKHOLM) - datetime.timedelta(minutes=1)
    return local.strftime("%Y-%m-%d %H:%M")


class FortnoxClient(ApiClient):
    label = LABEL

    def error_from_response(self, response):
        try:
            body = response.json()
        except ValueError:
            body = None
        return translate_error(response.status_code, body, response.text)

    # -- customers ----------------------------------------------------------------------
    def get_customer(self, customer_number: str) -> dict | None:
        try:
            return self.request("GET", f"customers/{customer_number}")["Customer"]
        except RemoteNotFound:
            return None

    def create_customer(self, customer: dict) -> dict:
        return self.request("POST", "customers", json={"Customer": customer})["Customer"]

    def update_customer(self, customer_number: str, customer: dict) -> dict:
        return self.request("PUT", f"customers/{customer_number}", json={"Customer": customer})["Customer"]

    def list_customers(self, lastmodified: datetime.datetime | None = None, limit: int = 500) -> list[dict]:
        """Every page of the (partial) customer list, optionally only those changed since then."""
        params = {"limit": limit}
        if lastmodified is not None:
            params["lastmodified"] = lastmodified_param(lastmodified)
        rows, page = [], 1
        while True:
            data = self.request("GET", "customers", params={**params, "page": page})
            rows.extend(data.get("Customers") or [])
            total_pages = int((data.get("MetaInformation") or {}).get("@TotalPages") or 1)
            if page >= total_pages:
                return rows
            page += 1

    # -- documents ----------------------------------------------------------------------
    def create_order(self, order: dict) -> dict:
        return self.request("POST", "orders", json={"Order": order})["Order"]

    def create_invoice(self, invoice: dict) -> dict:
        return self.request("POST", "invoices", json={"Invoice": invoice})["Invoice"]

    def get_order(self, document_number: str) -> dict:
        return self.request("GET", f"orders/{document_number}")["Order"]

    def get_invoice(self, document_number: str) -> dict:
        return self.request("GET", f"invoices/{document_number}")["Invoice"]

    def test(self) -> None:
        """A cheap authenticated call: the first customer."""
        self.request("GET", "customers", params={"limit": 1})
