"""Company registry lookups (F3): a provider answers name and registered address for an
organisation number. `BolagsverketProvider` is the default; `FileDirectoryProvider` shows
the seam (and serves demos and closed networks from a JSON file).

Bolagsverket's "värdefulla datamängder" API v1, as published:
- token: OAuth2 client credentials at `COMPANY_LOOKUP_TOKEN_URL`
  (https://portal.api.bolagsverket.se/oauth2/token) with the scopes
  `vardefulla-datamangder:read vardefulla-datamangder:ping`; the token is cached until it expires;
- `POST {COMPANY_LOOKUP_URL}/organisationer` with `{"identitetsbeteckning": "5560021361"}` (digits
  only; twelve for a sole trader's personnummer) — a POST so the number never appears in a URL;
- answer `{"organisationer": [{organisationsnamn: {organisationsnamnLista: [{namn, …}]},
  postadressOrganisation: {postadress: {utdelningsadress, postnummer, postort, …}}, …}]}` where
  every part may carry `fel: {typ, felBeskrivning}` instead of data: an unknown company is HTTP 200
  with `fel.typ = ORGANISATION_FINNS_EJ`; `OTILLGANGLIG_UPPGIFTSKALLA`/`TIMEOUT` mean "try later";
- errors otherwise RFC 7807 (`{type, title, status, detail, requestId, …}`), 400 for a bad number.
"""

import json
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import requests
from flask_babel import lazy_gettext as _l

from .errors import (
    AuthorizationFailed,
    IntegrationError,
    NotConfigured,
    RemoteNotFound,
    RemoteRejected,
    unavailable,
)
from .http import TIMEOUT, OAuth2Client, Tokens

BOLAGSVERKET_SCOPES = "vardefulla-datamangder:read vardefulla-datamangder:ping"
_UNAVAILABLE_KINDS = {"OTILLGANGLIG_UPPGIFTSKALLA", "TIMEOUT"}


@dataclass(frozen=True)
class CompanyInfo:
    identity_number: str
    name: str
    street: str = ""
    postcode: str = ""  # five digits
    city: str = ""

    def to_dict(self) -> dict:
        return {"identity_number": self.identity_number, "name": self.name, "street": self.street,
                "postcode": self.postcode, "city": self.city}


class CompanyLookupProvider(Protocol):
    key: str

    def lookup(self, identity_number: str) -> CompanyInfo:
        """Name and address for a canonical identity number, or an IntegrationError."""

    def test(self) -> None:
        """Raise an IntegrationError when the provider cannot be used."""


_token_cache: dict[tuple[str, str], Tokens] = {}
_token_lock = threading.Lock()


class BolagsverketProvider:
    key = "bolagsverket"
    label = "Bolagsverket"

    def __init__(self, base_url: str, token_url: str, client_id: str | None, client_secret: str | None,
                 session: requests.Session | None = None):
        if not (base_url and token_url and client_id and client_secret):
            raise NotConfigured(_l("The company lookup is not set up (COMPANY_LOOKUP_CLIENT_ID and "
                                   "COMPANY_LOOKUP_CLIENT_SECRET)."))
        self.base_url = base_url.rstrip("/")
        self.session = session or requests.Session()
        self.oauth = OAuth2Client(self.label, token_url, client_id, client_secret, session=self.session)
        self._cache_key = (token_url, client_id)

    def _token(self, renew: bool = False) -> str:
        with _token_lock:
            tokens = _token_cache.get(self._cache_key)
            if renew or tokens is None or tokens.expiring():
                tokens = _token_cache[self._cache_key] = self.oauth.client_credentials(BOLAGSVERKET_SCOPES)
            return tokens.access_token

    def _call(self, method: str, path: str, **kwargs) -> requests.Response:
        for attempt in (1, 2):
            headers = {"Authorization": f"Bearer {self._token(renew=attempt == 2)}",
                       "X-Request-Id": str(uuid.uuid4()), "Accept": "application/json"}
            try:
                response = self.session.request(method, f"{self.base_url}/{path}", headers=headers,
                                                timeout=TIMEOUT, **kwargs)
            except requests.RequestException as exc:
                raise unavailable(self.label, detail=f"{type(exc).__name__}: {exc}") from exc
            if response.status_code != 401:
                return response
        raise AuthorizationFailed(_l("Bolagsverket refused our credentials for the company lookup."),
                                  status=401, detail=response.text[:500])

    def test(self) -> None:
        response = self._call("GET", "isalive")
        if response.status_code != 200:
            raise unavailable(self.label, detail=response.text[:500], status=response.status_code)

    def lookup(self, identity_number: str) -> CompanyInfo:
        digits = identity_number.replace("-", "").replace("+", "")
        response = self._call("POST", "organisationer", json={"identitetsbeteckning": digits})
        body = _json(response)
        if response.status_code == 400:
            detail = body.get("detail") or body.get("title") or response.text[:300]
            raise RemoteRejected(_l("Bolagsverket did not accept the number: %(detail)s", detail=detail),
                                 status=400, detail=detail)
        if response.status_code in (403,):
            raise AuthorizationFailed(_l("Bolagsverket refused our credentials for the company lookup."),
                                      status=403, detail=body.get("detail"))
        if response.status_code != 200:
            raise unavailable(self.label, detail=body.get("detail") or response.text[:300],
                              status=response.status_code)
        organisations = body.get("organisationer") or []
        if not organisations:
            raise _not_found(identity_number)
        organisation = organisations[0]
        names = organisation.get("organisationsnamn") or {}
        _raise_for_fel(names.get("fel"), identity_number)
        name_list = names.get("organisationsnamnLista") or []
        primary = next((n for n in name_list if (n.get("organisationsnamntyp") or {}).get("kod") == "FORETAGSNAMN"),
                       name_list[0] if name_list else None)
        if not primary or not primary.get("namn"):
            raise _not_found(identity_number)
        address_part = organisation.get("postadressOrganisation") or {}
        address = {} if address_part.get("fel") else (address_part.get("postadress") or {})
        return CompanyInfo(identity_number=identity_number, name=primary["namn"].strip(),
                           street=(address.get("utdelningsadress") or "").strip(),
                           postcode=(address.get("postnummer") or "").replace(" ", ""),
                           city=(address.get("postort") or "").strip())


class FileDirectoryProvider:
    """Answers from a JSON file `{"556002-1361": {"name": …, "street": …, "postcode": …, "city": …}}`
    (keys with or without the hyphen). Meant for demos, tests and installations without internet."""

    key = "file"

    def __init__(self, path: str | None):
        if not path:
            raise NotConfigured(_l("The company lookup file is not set (COMPANY_LOOKUP_FILE)."))
        self.path = Path(path)

    def _entries(self) -> dict:
        try:
            return {k.replace("-", ""): v for k, v in json.loads(self.path.read_text("utf-8")).items()}
        except (OSError, ValueError) as exc:
            raise IntegrationError(_l("The company lookup file cannot be read."), detail=str(exc)) from exc

    def test(self) -> None:
        self._entries()

    def lookup(self, identity_number: str) -> CompanyInfo:
        entry = self._entries().get(identity_number.replace("-", ""))
        if not entry:
            raise _not_found(identity_number)
        return CompanyInfo(identity_number=identity_number, name=entry["name"], street=entry.get("street", ""),
                           postcode=entry.get("postcode", "").replace(" ", ""), city=entry.get("city", ""))


PROVIDERS = {"bolagsverket": BolagsverketProvider, "file": FileDirectoryProvider}


def provider_from_config(config) -> CompanyLookupProvider:
    key = (config.get("COMPANY_LOOKUP_PROVIDER") or "bolagsverket").lower()
    if key == "file":
        return FileDirectoryProvider(config.get("COMPANY_LOOKUP_FILE"))
    if key != "bolagsverket":
        raise NotConfigured(_l("Unknown company lookup provider %(key)s.", key=key))
    return BolagsverketProvider(config.get("COMPANY_LOOKUP_URL"), config.get("COMPANY_LOOKUP_TOKEN_URL"),
                                config.get("COMPANY_LOOKUP_CLIENT_ID"), config.get("COMPANY_LOOKUP_CLIENT_SECRET"))


def _json(response: requests.Response) -> dict:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _not_found(identity_number: str) -> RemoteNotFound:
    return RemoteNotFound(_l("No company with the number %(number)s is registered.", number=identity_number))


def _raise_for_fel(fel: dict | None, identity_number: str) -> None:
    if not fel:
        return
    if fel.get("typ") in _UNAVAILABLE_KINDS:
        raise unavailable("Bolagsverket", detail=fel.get("felBeskrivning"))
    if fel.get("typ") == "ORGANISATION_FINNS_EJ":
        raise _not_found(identity_number)
    raise RemoteRejected(_l("Bolagsverket did not accept the number: %(detail)s",
                            detail=fel.get("felBeskrivning") or fel.get("typ")))
