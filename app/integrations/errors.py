"""What can go wrong when we talk to an outside system, in words a user understands.

Every error carries `.message` (in the user's language) and `.retryable`: a retryable error
(outage, rate limit, 5xx) delays a record and is tried again later; a non-retryable one (the
provider refused the data, the connection was revoked) waits for a person to act.
"""

from flask_babel import lazy_gettext as _l


class IntegrationError(Exception):
    retryable = False

    def __init__(self, message, *, code=None, status: int | None = None, detail: str | None = None):
        super().__init__(str(message))
        self._message = message
        self.code = code
        self.status = status
        self.detail = detail  # the provider's own text, kept for the log and the status page

    @property
    def message(self) -> str:
        return str(self._message)

    def __str__(self) -> str:
        return self.message


class NotConfigured(IntegrationError):
    """Client id/secret (or the provider's URL) are missing from the environment."""


class NotConnected(IntegrationError):
    """No tokens stored: an administrator must connect the provider first."""


class AuthorizationFailed(IntegrationError):
    """The provider refused our credentials or tokens: connect again."""


class ProviderUnavailable(IntegrationError):
    """Outage, timeout, 5xx or a rate limit that outlasted our retries: try again later."""

    retryable = True


class RemoteRejected(IntegrationError):
    """The provider refused the record itself (invalid data, duplicate number…)."""


class RemoteNotFound(RemoteRejected):
    """The record does not exist at the provider."""


def unavailable(provider_label: str, detail: str | None = None, status: int | None = None) -> ProviderUnavailable:
    return ProviderUnavailable(
        _l("%(provider)s cannot be reached right now; the change is kept and sent later.", provider=provider_label),
        status=status, detail=detail,
    )
