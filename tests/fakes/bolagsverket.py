"""A fake Bolagsverket "värdefulla datamängder" v1: token at /oauth2/token and the API at
/vardefulla-datamangder/v1.

Followed from Bolagsverket's published OpenAPI and connection guide:
- OAuth2 client credentials (form `grant_type=client_credentials`, client id/secret, `scope`
  "vardefulla-datamangder:read vardefulla-datamangder:ping") → `{access_token, scope,
  token_type: "Bearer", expires_in}`;
- `GET /isalive` → "OK";
- `POST /organisationer` with `{"identitetsbeteckning": "5560021361"}` (10 digits, or 12 for a
  personnummer) → `{"organisationer": [{organisationsidentitet, organisationsnamn:
  {organisationsnamnLista: [{namn, organisationsnamntyp: {kod, klartext}, registreringsdatum}],
  dataproducent, fel}, postadressOrganisation: {postadress: {utdelningsadress, postnummer,
  postort, land, coAdress}, dataproducent, fel}, …}]}`;
- an unknown organisation is HTTP 200 where the parts carry `fel: {typ: "ORGANISATION_FINNS_EJ",
  felBeskrivning}`; an unreachable source `OTILLGANGLIG_UPPGIFTSKALLA`;
- a bad number is 400 RFC 7807 (`{type, instance, status, title, detail, timestamp, requestId}`)
  with detail "Identitetsbeteckning har ogiltig kontrollsiffra.".

Assumption: the client may authenticate at the token endpoint with HTTP Basic or form fields
(both are accepted here, as by most WSO2 gateways).
"""

import datetime
import re
import secrets
import time

from werkzeug.wrappers import Response

from .base import FakeServer, basic_credentials, bearer, json_response
from .fortnox import luhn_ok

API = "/vardefulla-datamangder/v1"


def problem(status: int, title: str, detail: str, request) -> Response:
    return json_response({"type": "urn:bolagsverket:error:validation" if status == 400 else "about:blank",
                          "instance": "validation.client" if status == 400 else "server.error",
                          "status": status, "title": title, "detail": detail,
                          "timestamp": datetime.datetime.now(datetime.UTC).isoformat(),
                          "requestId": request.headers.get("X-Request-Id", "")}, status)


class FakeBolagsverket(FakeServer):
    def __init__(self, client_id: str = "bv-client", client_secret: str = "bv-secret"):
        super().__init__()
        self.clients = {client_id: client_secret}
        self.tokens: dict[str, float] = {}
        self.token_lifetime = 3600
        self.token_requests = 0
        self.source_unavailable = False
        self.companies: dict[str, dict] = {}  # digits -> {name, street, postcode, city}

    def add_company(self, number: str, name: str, street: str, postcode: str, city: str) -> None:
        self.companies[number.replace("-", "")] = {"name": name, "street": street, "postcode": postcode,
                                                   "city": city}

    def is_api(self, request) -> bool:
        return request.path.startswith(API)

    def handle(self, request, body) -> Response:
        if request.path == "/oauth2/token" and request.method == "POST":
            return self.token(request)
        if not request.path.startswith(API):
            return Response("not found", status=404)
        token = bearer(request)
        if token is None or self.tokens.get(token, 0) <= time.monotonic():
            return problem(401, "Unauthorized", "Anroparen saknar giltiga autentiseringsuppgifter.", request)
        path = request.path[len(API):]
        if path == "/isalive" and request.method == "GET":
            return Response("OK", content_type="text/plain")
        if path == "/organisationer" and request.method == "POST":
            return self.organisation(request, body)
        return problem(404, "Not Found", "Resursen finns inte.", request)

    def token(self, request) -> Response:
        self.token_requests += 1
        credentials = basic_credentials(request) or (request.form.get("client_id"), request.form.get("client_secret"))
        if request.form.get("grant_type") != "client_credentials" or self.clients.get(credentials[0]) != credentials[1]:
            return json_response({"error": "invalid_client", "error_description": "Client Authentication failed."}, 401)
        token = secrets.token_urlsafe(24)
        self.tokens[token] = time.monotonic() + self.token_lifetime
        return json_response({"access_token": token, "scope": request.form.get("scope", ""), "token_type": "Bearer",
                              "expires_in": self.token_lifetime})

    def organisation(self, request, body) -> Response:
        number = (body or {}).get("identitetsbeteckning", "") if isinstance(body, dict) else ""
        if not re.fullmatch(r"\d{10}|\d{12}", number or ""):
            return problem(400, "Bad Request", "Identitetsbeteckning har ogiltigt format.", request)
        if not luhn_ok(number[-10:]):
            return problem(400, "Bad Request", "Identitetsbeteckning har ogiltig kontrollsiffra.", request)
        identity = {"identitetsbeteckning": number, "typ": {"kod": "ORGANISATIONSNUMMER"
                    if len(number) == 10 else "PERSONNUMMER", "klartext": ""}}
        company = self.companies.get(number)
        if self.source_unavailable or company is None:
            kind, text = ("OTILLGANGLIG_UPPGIFTSKALLA", "Uppkoppling mot Bolagsverket misslyckades. Efterfrågade "
                          "uppgifter kunde inte hämtas.") if self.source_unavailable else (
                "ORGANISATION_FINNS_EJ", "Den efterfrågade informationen gick inte att hitta.")
            fel = {"typ": kind, "felBeskrivning": text}
            return json_response({"organisationer": [{
                "organisationsidentitet": identity, "namnskyddslopnummer": None,
                "organisationsnamn": {"organisationsnamnLista": None, "dataproducent": "Bolagsverket", "fel": fel},
                "postadressOrganisation": {"postadress": None, "dataproducent": "SCB", "fel": fel}}]})
        return json_response({"organisationer": [{
            "organisationsidentitet": identity, "namnskyddslopnummer": None,
            "registreringsland": {"kod": "SE-LAND", "klartext": "Sverige"},
            "organisationsnamn": {"organisationsnamnLista": [
                {"namn": company["name"], "organisationsnamntyp": {"kod": "FORETAGSNAMN", "klartext": "Företagsnamn"},
                 "registreringsdatum": "2001-05-10"}], "dataproducent": "Bolagsverket", "fel": None},
            "organisationsform": {"kod": "AB", "klartext": "Aktiebolag", "dataproducent": "Bolagsverket", "fel": None},
            "verksamOrganisation": {"kod": "JA", "dataproducent": "SCB", "fel": None},
            "postadressOrganisation": {"postadress": {
                "utdelningsadress": company["street"], "postnummer": company["postcode"],
                "postort": company["city"], "land": "Sverige", "coAdress": None},
                "dataproducent": "SCB", "fel": None},
        }]})
