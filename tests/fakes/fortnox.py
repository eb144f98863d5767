"""A fake Fortnox: OAuth2 at /oauth-v1 and API v3 at /3, following Fortnox's published contract.

Followed from Fortnox's developer documentation:
- `GET /oauth-v1/auth?client_id&redirect_uri&scope&state&response_type=code[&access_type=offline]
  [&account_type=service]` → here the user "consents" at once: 302 to redirect_uri?code&state;
- `POST /oauth-v1/token`, client authenticated with HTTP Basic, form-encoded
  `grant_type=authorization_code&code&redirect_uri` or `grant_type=refresh_token&refresh_token`;
  answer `{access_token, refresh_token, scope, expires_in: 3600, token_type: "bearer"}`. The
  authorization code is single-use; a refresh token is rotated: once used it is rejected;
- API requests carry `Authorization: Bearer <access token>`; 25 requests per 5 seconds per
  access token as a sliding window, 429 beyond it;
- `/3/customers` GET (list: `page`, `limit` ≤ 500, `lastmodified` "YYYY-MM-DD HH:MM",
  `MetaInformation` with `@TotalPages`, `@CurrentPage`, `@TotalResources`; list rows are partial
  customers, sorted by customer number), `/3/customers/{n}` GET and PUT, POST `/3/customers`;
  bodies wrapped as `{"Customer": {...}}`;
- `/3/orders`, `/3/invoices` POST and GET by DocumentNumber (`{"Order": …}`, `{"Invoice": …}`);
  invoices carry Booked, Balance, Total, FinalPayDate, Cancelled; an order that has been
  invoiced carries InvoiceReference;
- errors as `{"ErrorInformation": {"error": 1, "message": "…", "code": N}}` — 2000637 for a used
  customer number, 2000310 for an invalid login.

Assumptions where Fortnox publishes no detail (kept small and plausible):
- an expired or unknown access token gets 401 with ErrorInformation code 2000310;
- the 429 answer carries no Retry-After unless `retry_after` is set, and rejected requests do
  not count in the window;
- an invalid OrganisationNumber gets 400 "Ogiltigt organisationsnummer" with code 2000756; a
  missing customer 404 "Kan inte hitta kunden" with code 2000433; a missing name 400 code 2000014;
- `lastmodified` is compared in Swedish local time, inclusive, at minute precision;
- OrganisationNumber is accepted as NNNNNN-NNNN or, for a private person, YYYYMMDD-NNNN.
"""

import datetime
import re
import secrets
import time
from collections import defaultdict, deque
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from werkzeug.wrappers import Response

from .base import FakeServer, basic_credentials, bearer, json_response

STOCKHOLM = ZoneInfo("Europe/Stockholm")
CUSTOMER_DEFAULTS = {
    "Address1": "", "Address2": "", "City": "", "ZipCode": "", "Country": "Sverige", "CountryCode": "SE",
    "VisitingAddress": "", "VisitingCity": "", "VisitingZipCode": "", "DeliveryAddress1": "",
    "DeliveryAddress2": "", "DeliveryCity": "", "DeliveryZipCode": "", "Email": "", "Phone1": "", "Phone2": "",
    "OrganisationNumber": "", "YourReference": "", "OurReference": "", "VATType": "SEVAT",
    "ShowPriceVATIncluded": False, "Active": True, "Type": "COMPANY", "Currency": "SEK",
}
PARTIAL_FIELDS = ("CustomerNumber", "Name", "OrganisationNumber", "Address1", "Address2", "ZipCode", "City",
                  "Email", "Phone")


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def valid_identity(value: str) -> bool:
    if not value:
        return True
    match = re.fullmatch(r"(\d{2})?(\d{6})[-+](\d{4})", value)
    return bool(match) and luhn_ok(match.group(2) + match.group(3))


def error(status: int, message: str, code: int) -> Response:
    return json_response({"ErrorInformation": {"error": 1, "message": message, "code": code}}, status)


class FakeFortnox(FakeServer):
    def __init__(self, client_id: str = "fortnox-client", client_secret: str = "fortnox-secret"):
        super().__init__()
        self.clients = {client_id: client_secret}
        self.codes: dict[str, dict] = {}  # authorization code -> {redirect_uri, scope, account_type}
        self.refresh_tokens: dict[str, str] = {}  # valid refresh token -> scope
        self.used_refresh_tokens: set[str] = set()
        self.access_tokens: dict[str, float] = {}  # token -> expiry (time.monotonic)
        self.access_token_lifetime = 3600
        self.rate_limit = (25, 5.0)
        self.retry_after: str | None = None
        self.calls_per_token: dict[str, deque] = defaultdict(deque)
        self.rate_limited = 0
        self.customers: dict[str, dict] = {}
        self.modified: dict[str, datetime.datetime] = {}  # customer number -> UTC
        self.orders: dict[str, dict] = {}
        self.invoices: dict[str, dict] = {}
        self.last_authorize: dict | None = None

    # -- test controls --------------------------------------------------------------------
    def expire_access_tokens(self) -> None:
        with self.lock:
            for token in self.access_tokens:
                self.access_tokens[token] = 0

    def add_customer(self, **fields) -> dict:
        with self.lock:
            record = {**CUSTOMER_DEFAULTS, **fields}
            self.customers[str(record["CustomerNumber"])] = record
            self.modified[str(record["CustomerNumber"])] = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
            return record

    def edit_customer(self, number: str, **fields) -> None:
        """A user changes the customer in Fortnox."""
        with self.lock:
            self.customers[number].update(fields)
            self.modified[number] = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)

    def invoice_order(self, order_number: str) -> str:
        with self.lock:
            order = self.orders[order_number]
            number = str(len(self.invoices) + 1)
            total = sum(r.get("DeliveredQuantity", 0) * r.get("Price", 0) for r in order["OrderRows"])
            self.invoices[number] = {"DocumentNumber": number, "CustomerNumber": order["CustomerNumber"],
                                     "Booked": False, "Cancelled": False, "Balance": total, "Total": total,
                                     "FinalPayDate": None, "InvoiceRows": order["OrderRows"]}
            order["InvoiceReference"] = number
            return number

    def book_and_pay(self, invoice_number: str) -> None:
        with self.lock:
            invoice = self.invoices[invoice_number]
            invoice.update(Booked=True, Balance=0, FinalPayDate=datetime.date.today().isoformat())

    # -- dispatch -------------------------------------------------------------------------
    def is_api(self, request) -> bool:
        return request.path.startswith("/3/")

    def injected_response(self, status: int) -> Response:
        return error(status, "Systemfel", 1000003) if status >= 500 else Response(status=status)

    def handle(self, request, body) -> Response:
        if request.path == "/oauth-v1/auth":
            return self.authorize(request)
        if request.path == "/oauth-v1/token" and request.method == "POST":
            return self.token(request)
        if request.path.startswith("/3/"):
            return self.api(request, body)
        return Response("not found", status=404)

    # -- OAuth2 ---------------------------------------------------------------------------
    def authorize(self, request) -> Response:
        args = request.args
        self.last_authorize = args.to_dict()
        if args.get("client_id") not in self.clients or args.get("response_type") != "code":
            return Response("Auth code or ClientID supplied is invalid", status=400)
        code = secrets.token_urlsafe(12)
        self.codes[code] = {"redirect_uri": args.get("redirect_uri"), "scope": args.get("scope", ""),
                            "account_type": args.get("account_type")}
        location = f"{args['redirect_uri']}?{urlencode({'code': code, 'state': args.get('state', '')})}"
        return Response(status=302, headers={"Location": location})

    def _issue(self, scope: str) -> Response:
        access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        self.access_tokens[access] = time.monotonic() + self.access_token_lifetime
        self.refresh_tokens[refresh] = scope
        return json_response({"access_token": access, "refresh_token": refresh, "scope": scope,
                              "expires_in": self.access_token_lifetime, "token_type": "bearer"})

    def token(self, request) -> Response:
        credentials = basic_credentials(request)
        if credentials is None or self.clients.get(credentials[0]) != credentials[1]:
            return json_response({"error": "invalid_client", "error_description": "Invalid client"}, 401)
        form = request.form
        if form.get("grant_type") == "authorization_code":
            grant = self.codes.pop(form.get("code", ""), None)
            if grant is None or grant["redirect_uri"] != form.get("redirect_uri"):
                return json_response({"error": "invalid_grant", "error_description": "Invalid authorization code"},
                                     400)
            return self._issue(grant["scope"])
        if form.get("grant_type") == "refresh_token":
            token = form.get("refresh_token", "")
            scope = self.refresh_tokens.pop(token, None)
            if scope is None:
                return json_response({"error": "invalid_grant", "error_description": "Invalid refresh token"}, 400)
            self.used_refresh_tokens.add(token)
            return self._issue(scope)
        return json_response({"error": "unsupported_grant_type"}, 400)

    # -- API ------------------------------------------------------------------------------
    def api(self, request, body) -> Response:
        token = bearer(request)
        if token is None or self.access_tokens.get(token, 0) <= time.monotonic():
            return error(401, "Ogiltig inloggning", 2000310)
        limit, window = self.rate_limit
        calls, now = self.calls_per_token[token], time.monotonic()
        while calls and now - calls[0] >= window:
            calls.popleft()
        if len(calls) >= limit:
            self.rate_limited += 1
            headers = {"Retry-After": self.retry_after} if self.retry_after else {}
            return json_response({"message": "Too Many Requests"}, 429, headers)
        calls.append(now)
        parts = request.path.strip("/").split("/")[1:]
        resource, ident = parts[0] if parts else "", parts[1] if len(parts) > 1 else None
        if resource == "customers":
            return self.customers_api(request.method, ident, request.args, body)
        if resource in ("orders", "invoices"):
            return self.documents_api(resource, request.method, ident, body)
        return error(404, "Resursen finns inte", 2000729)

    def customers_api(self, method, number, args, body) -> Response:
        if method == "GET" and number is None:
            return self.list_customers(args)
        if method == "GET":
            if number not in self.customers:
                return error(404, "Kan inte hitta kunden", 2000433)
            return json_response({"Customer": self._full(number)})
        customer = (body or {}).get("Customer") if isinstance(body, dict) else None
        if not isinstance(customer, dict):
            return error(400, "Ingen eller felaktig typ av data.", 2001392)
        if method == "POST" and number is None:
            number = str(customer.get("CustomerNumber") or len(self.customers) + 1)
            if number in self.customers:
                return error(400, f"Kundnummer {number} används redan. Kundnumret har redan använts men blivit "
                             "raderat.", 2000637)
            problem = self._validate(customer, creating=True)
            if problem:
                return problem
            self.add_customer(**{**customer, "CustomerNumber": number})
            return json_response({"Customer": self._full(number)}, 201)
        if method == "PUT" and number is not None:
            if number not in self.customers:
                return error(404, "Kan inte hitta kunden", 2000433)
            problem = self._validate(customer, creating=False)
            if problem:
                return problem
            self.edit_customer(number, **{k: v for k, v in customer.items() if k != "CustomerNumber"})
            return json_response({"Customer": self._full(number)})
        return error(400, "Ogiltig parameter i anropet.", 2000588)

    def _validate(self, customer: dict, creating: bool) -> Response | None:
        if creating and not (customer.get("Name") or "").strip():
            return error(400, "Kundnamn saknas", 2000014)
        if not valid_identity(customer.get("OrganisationNumber") or ""):
            return error(400, "Ogiltigt organisationsnummer", 2000756)
        if customer.get("Type", "COMPANY") not in ("COMPANY", "PRIVATE"):
            return error(400, f"Värdet innehåller ej tillåtna tecken. ({customer.get('Type')})", 2000359)
        if "Active" in customer and not isinstance(customer["Active"], bool):
            return error(400, f"Värdet måste vara en boolean ({customer['Active']})", 2000134)
        return None

    def _full(self, number: str) -> dict:
        return {"@url": f"{self.url}/3/customers/{number}", **self.customers[number]}

    def list_customers(self, args) -> Response:
        try:
            limit = min(int(args.get("limit", 100)), 500)
            page = max(int(args.get("page", 1)), 1)
        except ValueError:
            return error(400, "Ogiltig parameter i anropet.", 2000588)
        numbers = sorted(self.customers, key=lambda n: (len(n), n))
        if args.get("lastmodified"):
            try:
                local = datetime.datetime.strptime(args["lastmodified"], "%Y-%m-%d %H:%M")
            except ValueError:
                return error(400, "Ogiltig parameter i anropet.", 2000588)
            since = local.replace(tzinfo=STOCKHOLM).astimezone(datetime.UTC).replace(tzinfo=None)
            numbers = [n for n in numbers if self.modified[n].replace(second=0, microsecond=0) >= since]
        total_pages = max((len(numbers) + limit - 1) // limit, 1)
        rows = [{"@url": f"{self.url}/3/customers/{n}",
                 **{k: self.customers[n].get(k if k != "Phone" else "Phone1", "") for k in PARTIAL_FIELDS}}
                for n in numbers[(page - 1) * limit: page * limit]]
        return json_response({"Customers": rows, "MetaInformation": {
            "@TotalResources": len(numbers), "@TotalPages": total_pages, "@CurrentPage": page}})

    def documents_api(self, resource, method, number, body) -> Response:
        store = self.orders if resource == "orders" else self.invoices
        wrapper, rows_key = ("Order", "OrderRows") if resource == "orders" else ("Invoice", "InvoiceRows")
        if method == "GET" and number is not None:
            if number not in store:
                return error(404, "Kan inte hitta dokumentet", 2000430)
            return json_response({wrapper: store[number]})
        if method == "POST" and number is None:
            document = (body or {}).get(wrapper) if isinstance(body, dict) else None
            if not isinstance(document, dict):
                return error(400, "Ingen eller felaktig typ av data.", 2001392)
            if str(document.get("CustomerNumber")) not in self.customers:
                return error(400, "Kunden finns inte", 2000433)
            number = str(len(store) + 1)
            total = sum((r.get("DeliveredQuantity") or 0) * (r.get("Price") or 0) for r in document.get(rows_key, []))
            stored = {**document, "DocumentNumber": number, "Total": total}
            if resource == "orders":
                stored["InvoiceReference"] = "0"
            else:
                stored.update(Booked=False, Cancelled=False, Balance=total, FinalPayDate=None)
            store[number] = stored
            return json_response({wrapper: stored}, 201)
        return error(400, "Ogiltig parameter i anropet.", 2000588)
