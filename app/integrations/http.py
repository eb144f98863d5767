"""The HTTP layer every provider client shares: OAuth2 tokens, a client-side rate limiter, and
retries that survive 429, 5xx, timeouts, refused connections and expired tokens.

We use `requests`: synchronous like the rest of the app (views, CLI, Celery tasks), with
connection pooling per Session and a long record; httpx would add async we don't need.
"""

import base64
import datetime
import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlencode

import requests
from flask_babel import lazy_gettext as _l

from .errors import AuthorizationFailed, IntegrationError, ProviderUnavailable, RemoteNotFound, unavailable

log = logging.getLogger(__name__)

TIMEOUT = (5, 30)  # connect, read (seconds)
REFRESH_MARGIN = datetime.timedelta(minutes=2)  # refresh this long before the access token expires


def utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


class RateLimiter:
    """At most `limit` calls per `window` seconds, as a sliding window (Fortnox counts the same
    way: 25 requests per 5 seconds per access token). `acquire` waits until a slot is free and
    returns the slot; `finish(slot)` re-stamps it when the answer came, so the window we count is
    never shorter than the server's (which stamps on arrival, somewhere before our answer)."""

    def __init__(self, limit: int, window: float):
        self.limit = limit
        self.window = window
        self._calls: deque[list[float]] = deque()
        self._lock = threading.Lock()

    def acquire(self) -> list[float]:
        while True:
            with self._lock:
                now = time.monotonic()
                while self._calls and now - self._calls[0][0] >= self.window:
                    self._calls.popleft()
                if len(self._calls) < self.limit:
                    slot = [now]
                    self._calls.append(slot)
                    return slot
                wait = self.window - (now - self._calls[0][0])
            time.sleep(max(wait, 0.01))

    def finish(self, slot: list[float]) -> None:
        with self._lock:
            slot[0] = time.monotonic()


_limiters: dict[str, RateLimiter] = {}
_limiters_lock = threading.Lock()


def limiter_for(key: str, limit: int, window: float) -> RateLimiter:
    """One limiter per tenant (provider + connection) in this process, shared by its clients."""
    with _limiters_lock:
        limiter = _limiters.get(key)
        if limiter is None or (limiter.limit, limiter.window) != (limit, window):
            limiter = _limiters[key] = RateLimiter(limit, window)
        return limiter


@dataclass
class Tokens:
    access_token: str
    refresh_token: str | None
    expires_at: datetime.datetime | None  # naive UTC
    scope: str | None = None

    @classmethod
    def from_response(cls, data: dict, previous_refresh_token: str | None = None) -> "Tokens":
        expires_in = data.get("expires_in")
        return cls(
            access_token=data["access_token"],
            refresh_token=data.get("refresh_token") or previous_refresh_token,
            expires_at=utcnow() + datetime.timedelta(seconds=int(expires_in)) if expires_in else None,
            scope=data.get("scope"),
        )

    def expiring(self) -> bool:
        return self.expires_at is not None and self.expires_at - REFRESH_MARGIN <= utcnow()


class OAuth2Client:
    """The token endpoint of an OAuth2 provider, with the client authenticated by HTTP Basic
    (as Fortnox documents it; eAccounting's identity server and Bolagsverket accept it too)."""

    def __init__(self, label: str, token_url: str, client_id: str, client_secret: str,
                 authorize_url: str | None = None, session: requests.Session | None = None):
        self.label = label
        self.token_url = token_url
        self.authorize_endpoint = authorize_url
        self.client_id = client_id
        self.client_secret = client_secret
        self.session = session or requests.Session()

    def authorize_url(self, *, redirect_uri: str, state: str, scope: str, **extra: str) -> str:
        params = {"client_id": self.client_id, "redirect_uri": redirect_uri, "scope": scope, "state": state,
                  "response_type": "code", **{k: v for k, v in extra.items() if v}}
        return f"{self.authorize_endpoint}?{urlencode(params)}"

    def exchange_code(self, code: str, redirect_uri: str) -> Tokens:
        return Tokens.from_response(self._token({"grant_type": "authorization_code", "code": code,
                                                 "redirect_uri": redirect_uri}))

    def refresh(self, refresh_token: str) -> Tokens:
        return Tokens.from_response(self._token({"grant_type": "refresh_token", "refresh_token": refresh_token}),
                                    previous_refresh_token=None)

    def client_credentials(self, scope: str) -> Tokens:
        return Tokens.from_response(self._token({"grant_type": "client_credentials", "scope": scope}))

    def _token(self, form: dict) -> dict:
        basic = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        try:
            response = self.session.post(self.token_url, data=form, timeout=TIMEOUT, headers={
                "Authorization": f"Basic {basic}", "Accept": "application/json"})
        except requests.RequestException as exc:
            raise unavailable(self.label, detail=f"{type(exc).__name__}: {exc}") from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise unavailable(self.label, detail=response.text[:500], status=response.status_code)
        try:
            data = response.json()
        except ValueError:
            data = {}
        if response.status_code != 200 or "access_token" not in data:
            error = data.get("error") or str(response.status_code)
            raise AuthorizationFailed(
                _l("%(provider)s refused the login (%(error)s). Connect %(provider)s again.",
                   provider=self.label, error=error),
                code=error, status=response.status_code, detail=data.get("error_description") or response.text[:500])
        return data


class TokenStore(Protocol):
    """Where a connection's tokens live. `rotate` must store the new tokens durably before
    they are used: a rotated refresh token that is lost locks us out until reconnection."""

    def load(self) -> Tokens: ...

    def rotate(self, stale: Tokens, refresh: Callable[[str], Tokens]) -> Tokens: ...


class ApiClient:
    """JSON requests to one provider for one tenant, with tokens, rate limit and retries.

    Retried (up to `max_attempts`): refused connections and timeouts, 5xx, and 429 (after the
    provider's Retry-After). A 401 refreshes the token once. Anything else is the provider's
    verdict on the request and is raised through `error_from_response`.
    """

    label = "API"

    def __init__(self, base_url: str, store: TokenStore, oauth: OAuth2Client, limiter: RateLimiter | None = None,
                 *, max_attempts: int = 5, backoff: float = 0.5, max_wait: float = 30.0,
                 session: requests.Session | None = None):
        self.base_url = base_url.rstrip("/")
        self.store = store
        self.oauth = oauth
        self.limiter = limiter
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.max_wait = max_wait
        self.session = session or requests.Session()
        self._tokens: Tokens | None = None

    # -- tokens -------------------------------------------------------------------------
    def _access_token(self) -> str:
        if self._tokens is None:
            self._tokens = self.store.load()
        if self._tokens.expiring():
            self._tokens = self.store.rotate(self._tokens, self.oauth.refresh)
        return self._tokens.access_token

    def _force_refresh(self) -> None:
        self._tokens = self.store.rotate(self._tokens or self.store.load(), self.oauth.refresh)

    # -- requests -----------------------------------------------------------------------
    def request(self, method: str, path: str, *, params: dict | None = None, json: dict | None = None) -> dict:
        url = f"{self.base_url}/{path.lstrip('/')}"
        refreshed = False
        last_problem = None
        attempts = rate_limited = 0
        # 429s do not use up the attempts meant for outages, but are bounded too.
        while attempts < self.max_attempts and rate_limited < 2 * self.max_attempts:
            token = self._access_token()
            slot = self.limiter.acquire() if self.limiter is not None else None
            try:
                response = self.session.request(method, url, params=params, json=json, timeout=TIMEOUT, headers={
                    "Authorization": f"Bearer {token}", "Accept": "application/json"})
            except requests.RequestException as exc:
                attempts += 1
                last_problem = (f"{type(exc).__name__}: {exc}", None)
                self._pause(self._backoff_delay(attempts), attempts)
                continue
            finally:
                if slot is not None:
                    self.limiter.finish(slot)
            status = response.status_code
            if status == 401 and not refreshed:
                refreshed = True
                self._force_refresh()
                continue
            if status == 429:
                rate_limited += 1
                last_problem = (response.text[:500], 429)
                # Without Retry-After, wait one window of our limiter: the provider's window has
                # then let go of the requests that filled it.
                window = self.limiter.window if self.limiter is not None else self._backoff_delay(rate_limited)
                time.sleep(self._retry_after(response, default=window))
                continue
            if status >= 500:
                attempts += 1
                last_problem = (response.text[:500], status)
                self._pause(self._retry_after(response, default=self._backoff_delay(attempts)), attempts)
                continue
            if status >= 400:
                raise self.error_from_response(response)
            if status == 204 or not response.content:
                return {}
            return response.json()
        detail, status = last_problem or (None, None)
        log.warning("%s %s %s gave up after %s attempts: %s", self.label, method, path, attempts + rate_limited,
                    detail)
        raise unavailable(self.label, detail=detail, status=status)

    def get(self, path: str, **params) -> dict:
        return self.request("GET", path, params=params or None)

    def error_from_response(self, response: requests.Response) -> IntegrationError:
        if response.status_code == 404:
            return RemoteNotFound(_l("%(provider)s has no such record.", provider=self.label), status=404)
        if response.status_code in (401, 403):
            return AuthorizationFailed(_l("%(provider)s refused access. Connect %(provider)s again.",
                                          provider=self.label), status=response.status_code,
                                       detail=response.text[:500])
        return IntegrationError(_l("%(provider)s refused the request (HTTP %(status)s).",
                                   provider=self.label, status=response.status_code),
                                status=response.status_code, detail=response.text[:500])

    def _retry_after(self, response: requests.Response, default: float) -> float:
        header = response.headers.get("Retry-After")
        if header:
            try:
                return min(float(header), self.max_wait)
            except ValueError:
                pass
        return min(default, self.max_wait)

    def _backoff_delay(self, attempt: int) -> float:
        return min(self.backoff * 2 ** (attempt - 1) * (1 + random.random() / 4), self.max_wait)

    def _pause(self, seconds: float, attempts: int) -> None:
        if attempts < self.max_attempts:  # no point waiting after the last attempt
            time.sleep(seconds)


__all__ = ["ApiClient", "OAuth2Client", "ProviderUnavailable", "RateLimiter", "TokenStore", "Tokens", "limiter_for"]
