"""Visma eAccounting API v2 (https://eaccountingapi.vismaonline.com/v2) with OAuth2 at its
identity server (https://identity.vismaonline.com/connect/authorize and /connect/token).

As Visma documents it: authorization code flow with the scopes `ea:api offline_access ea:sales`;
the refresh token is replaced on every token request and cannot be used twice. Customers carry
`IsPrivatePerson`, `CorporateIdentityNumber` and `ChangedUtc`; lists are OData with `$filter`,
`$page`, `$pagesize` and `{"Meta": {"TotalNumberOfPages", "ServerTimeUtc", …}, "Data": […]}`.
Errors have an `ErrorCode` (2000 validation, 3000 not found, 4000 conflict, 4002 cannot be
created/updated, 4005/4006 not authorised) and a `DeveloperErrorMessage`.
eAccounting keeps "our reference" (`OurReference`) on sales documents — orders and customer
invoice drafts — not on the customer.
"""

import datetime

from flask_babel import lazy_gettext as _l

from .errors import AuthorizationFailed, IntegrationError, ProviderUnavailable, RemoteNotFound, RemoteRejected
from .http import ApiClient, OAuth2Client

LABEL = "Visma eAccounting"
SCOPES = "ea:api offline_access ea:sales"
RATE_LIMIT = (600, 60.0)  # assumption: Visma states a per-minute ceiling; 429 is handled anyway


def oauth_client(config) -> OAuth2Client:
    base = config["VISMA_AUTH_URL"].rstrip("/")
    return OAuth2Client(LABEL, f"{base}/connect/token", config["VISMA_CLIENT_ID"] or "",
                        config["VISMA_CLIENT_SECRET"] or "", authorize_url=f"{base}/connect/authorize")


def authorize_url(oauth: OAuth2Client, *, redirect_uri: str, state: str) -> str:
    return oauth.authorize_url(redirect_uri=redirect_uri, state=state, scope=SCOPES)


def translate_error(status: int, body: dict | None, text: str = "") -> IntegrationError:
    body = body or {}
    code = body.get("ErrorCode")
    detail = body.get("DeveloperErrorMessage") or body.get("ErrorMessage") or body.get("Message") or text[:500]
    if status in (401, 403) or code in (4005, 4006):
        return AuthorizationFailed(_l("Visma eAccounting did not accept the login. Connect Visma again."),
                                   code=code, status=status, detail=detail)
    if status >= 500:
        return ProviderUnavailable(_l("Visma eAccounting had an internal error; the change is sent again later."),
                                   code=code, status=status, detail=detail)
    if status == 404 or code == 3000:
        return RemoteNotFound(_l("Visma eAccounting has no such record."), code=code, status=status, detail=detail)
    if code == 4000:
        return RemoteRejected(_l("The record already exists in Visma eAccounting: %(detail)s", detail=detail),
                              code=code, status=status, detail=detail)
    if code in (4003, 4004):
        return RemoteRejected(_l("The Visma eAccounting company is not active or not set up yet."),
                              code=code, status=status, detail=detail)
    return RemoteRejected(_l("Visma eAccounting refused the record: %(detail)s", detail=detail),
                          code=code, status=status, detail=detail)


def changed_filter(since: datetime.datetime) -> str:
    return f"ChangedUtc gt {since.replace(microsecond=0).isoformat()}Z"


class VismaClient(ApiClient):
    label = LABEL

    def error_from_response(self, response):
        try:
            body = response.json()
        except ValueError:
            body = None
        return translate_error(response.status_code, body, response.text)

    def _all_pages(self, path: str, params: dict) -> tuple[list[dict], dict]:
        rows, page, meta = [], 1, {}
        while True:
            data = self.request("GET", path, params={**params, "$page": page, "$pagesize": 500})
            rows.extend(data.get("Data") or [])
            meta = data.get("Meta") or {}
            if page >= int(meta.get("TotalNumberOfPages") or 1):
                return rows, meta
            page += 1

    def find_customer(self, customer_number: str) -> dict | None:
        number = customer_number.replace("'", "''")
        rows, _ = self._all_pages("customers", {"$filter": f"CustomerNumber eq '{number}'"})
        return rows[0] if rows else None

    def get_customer(self, customer_id: str) -> dict | None:
        try:
            return self.request("GET", f"customers/{customer_id}")
        except RemoteNotFound:
            return None

    def create_customer(self, customer: dict) -> dict:
        return self.request("POST", "customers", json=customer)

    def update_customer(self, customer_id: str, customer: dict) -> dict:
        return self.request("PUT", f"customers/{customer_id}", json=customer)

    def changed_customers(self, since: datetime.datetime | None) -> tuple[list[dict], datetime.datetime | None]:
        """Customers changed after `since` (all when None) and the server's clock at the time."""
        params = {"$filter": changed_filter(since)} if since else {}
        rows, meta = self._all_pages("customers", params)
        server_time = meta.get("ServerTimeUtc")
        parsed = None
        if server_time:
            parsed = datetime.datetime.fromisoformat(server_time.replace("Z", "+00:00"))
            parsed = parsed.astimezone(datetime.UTC).replace(tzinfo=None) if parsed.tzinfo else parsed
        return rows, parsed

    def default_terms_of_payment(self) -> str:
        rows, _ = self._all_pages("termsofpayment", {})
        if not rows:
            raise RemoteRejected(_l("Visma eAccounting has no terms of payment to give new customers."))
        return rows[0]["Id"]

    def create_order(self, body: dict) -> dict:
        return self.request("POST", "orders", json=body)

    def create_invoice_draft(self, body: dict) -> dict:
        return self.request("POST", "customerinvoicedrafts", json=body)

    def test(self) -> None:
        self.request("GET", "customers", params={"$page": 1, "$pagesize": 1})
