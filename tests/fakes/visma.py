"""A fake Visma eAccounting: identity server at /connect and API v2 at /v2.

Followed from Visma's published documentation:
- `GET /connect/authorize?client_id&redirect_uri&scope&state&response_type=code` (scopes
  `ea:api offline_access ea:sales`) → here consent is immediate: 302 to redirect_uri?code&state;
- `POST /connect/token`, form-encoded, client via HTTP Basic; grants authorization_code and
  refresh_token; every token request returns a new refresh token and the old one cannot be used
  again; the access token lives an hour;
- `/v2/customers` GET (OData `$filter`, `$page`, `$pagesize`; answer `{"Meta": {CurrentPage,
  PageSize, TotalNumberOfPages, TotalNumberOfResults, ServerTimeUtc}, "Data": [...]}`), POST,
  `/v2/customers/{id}` GET and PUT; customers carry Id (GUID), CustomerNumber, IsPrivatePerson,
  CorporateIdentityNumber, Invoice*/Delivery* address fields, TermsOfPaymentId (required),
  ChangedUtc, IsActive; `/v2/termsofpayment`; `/v2/orders` and `/v2/customerinvoicedrafts` POST
  with OurReference/YourReference;
- error codes 2000 (validation), 3000 (not found), 4000 (duplicate), 4005 (not authorised).

Assumptions (Visma publishes no exact body): errors are
`{"ErrorCode": N, "ErrorId": "<guid>", "DeveloperErrorMessage": "…"}`; `$filter` here supports
`CustomerNumber eq '…'` and `ChangedUtc gt <ISO time>`; an expired token gets 401.
"""

import datetime
import re
import secrets
import time
import uuid
from urllib.parse import urlencode

from werkzeug.wrappers import Response

from .base import FakeServer, basic_credentials, bearer, json_response


def utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def visma_error(status: int, code: int, message: str) -> Response:
    return json_response({"ErrorCode": code, "ErrorId": str(uuid.uuid4()), "DeveloperErrorMessage": message}, status)


class FakeVisma(FakeServer):
    def __init__(self, client_id: str = "visma-client", client_secret: str = "visma-secret"):
        super().__init__()
        self.clients = {client_id: client_secret}
        self.codes: dict[str, str] = {}
        self.refresh_tokens: set[str] = set()
        self.access_tokens: dict[str, float] = {}
        self.access_token_lifetime = 3600
        self.customers: dict[str, dict] = {}  # Id -> record
        self.terms_of_payment = [{"Id": str(uuid.uuid4()), "Name": "30 dagar netto", "NumberOfDays": 30}]
        self.orders: list[dict] = []
        self.invoice_drafts: list[dict] = []

    def expire_access_tokens(self) -> None:
        with self.lock:
            for token in self.access_tokens:
                self.access_tokens[token] = 0

    def by_number(self, number: str) -> dict | None:
        return next((c for c in self.customers.values() if c["CustomerNumber"] == number), None)

    def edit_customer(self, number: str, **fields) -> None:
        with self.lock:
            record = self.by_number(number)
            record.update(fields, ChangedUtc=utcnow().isoformat() + "Z")

    # -- dispatch -------------------------------------------------------------------------
    def is_api(self, request) -> bool:
        return request.path.startswith("/v2/")

    def handle(self, request, body) -> Response:
        if request.path == "/connect/authorize":
            args = request.args
            if args.get("client_id") not in self.clients:
                return Response("invalid_client", status=400)
            code = secrets.token_urlsafe(12)
            self.codes[code] = args.get("redirect_uri")
            return Response(status=302, headers={"Location": f"{args['redirect_uri']}?"
                                                 f"{urlencode({'code': code, 'state': args.get('state', '')})}"})
        if request.path == "/connect/token" and request.method == "POST":
            return self.token(request)
        if request.path.startswith("/v2/"):
            return self.api(request, body)
        return Response("not found", status=404)

    def _issue(self) -> Response:
        access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        self.access_tokens[access] = time.monotonic() + self.access_token_lifetime
        self.refresh_tokens.add(refresh)
        return json_response({"access_token": access, "refresh_token": refresh, "expires_in": self.access_token_lifetime,
                              "token_type": "Bearer", "scope": "ea:api offline_access ea:sales"})

    def token(self, request) -> Response:
        credentials = basic_credentials(request)
        if credentials is None or self.clients.get(credentials[0]) != credentials[1]:
            return json_response({"error": "invalid_client"}, 400)
        form = request.form
        if form.get("grant_type") == "authorization_code":
            if self.codes.pop(form.get("code", ""), object()) != form.get("redirect_uri"):
                return json_response({"error": "invalid_grant"}, 400)
            return self._issue()
        if form.get("grant_type") == "refresh_token":
            token = form.get("refresh_token", "")
            if token not in self.refresh_tokens:
                return json_response({"error": "invalid_grant"}, 400)
            self.refresh_tokens.discard(token)
            return self._issue()
        return json_response({"error": "unsupported_grant_type"}, 400)

    # -- API ------------------------------------------------------------------------------
    def api(self, request, body) -> Response:
        token = bearer(request)
        if token is None or self.access_tokens.get(token, 0) <= time.monotonic():
            return visma_error(401, 4005, "Not authorized")
        parts = request.path.strip("/").split("/")[1:]
        resource, ident = parts[0], parts[1] if len(parts) > 1 else None
        if resource == "customers":
            return self.customers_api(request.method, ident, request.args, body)
        if resource == "termsofpayment" and request.method == "GET":
            return self.page(self.terms_of_payment, request.args)
        if resource in ("orders", "customerinvoicedrafts") and request.method == "POST":
            if not isinstance(body, dict) or body.get("CustomerId") not in self.customers:
                return visma_error(400, 3000, "Customer not found")
            document = {**body, "Id": str(uuid.uuid4())}
            (self.orders if resource == "orders" else self.invoice_drafts).append(document)
            return json_response(document, 201)
        return visma_error(404, 3000, "Resource not found")

    def page(self, rows: list[dict], args) -> Response:
        size = min(int(args.get("$pagesize", 50)), 1000)
        page = max(int(args.get("$page", 1)), 1)
        total_pages = max((len(rows) + size - 1) // size, 1)
        return json_response({"Meta": {"CurrentPage": page, "PageSize": size, "TotalNumberOfPages": total_pages,
                                       "TotalNumberOfResults": len(rows), "ServerTimeUtc": utcnow().isoformat() + "Z"},
                              "Data": rows[(page - 1) * size: page * size]})

    def customers_api(self, method, ident, args, body) -> Response:
        if method == "GET" and ident is None:
            rows = sorted(self.customers.values(), key=lambda c: c["CustomerNumber"])
            flt = args.get("$filter", "")
            if match := re.fullmatch(r"CustomerNumber eq '(.*)'", flt):
                rows = [c for c in rows if c["CustomerNumber"] == match.group(1).replace("''", "'")]
            elif match := re.fullmatch(r"ChangedUtc gt (\S+)", flt):
                since = datetime.datetime.fromisoformat(match.group(1).rstrip("Z"))
                rows = [c for c in rows if datetime.datetime.fromisoformat(c["ChangedUtc"].rstrip("Z")) > since]
            elif flt:
                return visma_error(400, 2000, f"Unsupported filter: {flt}")
            return self.page(rows, args)
        if method == "GET":
            return json_response(self.customers[ident]) if ident in self.customers else \
                visma_error(404, 3000, "Customer not found")
        if not isinstance(body, dict):
            return visma_error(400, 2000, "No data")
        problem = self._validate(body)
        if problem:
            return problem
        if method == "POST" and ident is None:
            number = body.get("CustomerNumber") or str(len(self.customers) + 1)
            if self.by_number(number):
                return visma_error(400, 4000, f"Customer number {number} already exists")
            record = {**body, "Id": str(uuid.uuid4()), "CustomerNumber": number,
                      "ChangedUtc": utcnow().isoformat() + "Z"}
            self.customers[record["Id"]] = record
            return json_response(record, 201)
        if method == "PUT" and ident in self.customers:
            record = {**body, "Id": ident, "ChangedUtc": utcnow().isoformat() + "Z"}
            self.customers[ident] = record
            return json_response(record)
        return visma_error(404, 3000, "Customer not found")

    def _validate(self, body: dict) -> Response | None:
        if not (body.get("Name") or "").strip():
            return visma_error(400, 2000, "Name is required")
        if body.get("TermsOfPaymentId") not in {t["Id"] for t in self.terms_of_payment}:
            return visma_error(400, 2000, "TermsOfPaymentId is required")
        if not body.get("InvoiceCity") or not body.get("InvoicePostalCode"):
            return visma_error(400, 2000, "InvoiceCity and InvoicePostalCode are required")
        return None
