"""The app's SecurityManager: FAB's, with the API login rate-limited like the form login."""

from flask import current_app
from flask_appbuilder.security.api import SecurityApi
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.utils.limit import Limit
from flask_limiter.util import get_remote_address


class RateLimitedSecurityApi(SecurityApi):
    # FAB's AUTH_RATE_LIMIT covers only POST /login/ (FAB-NOTES §8).
    limits = [
        Limit(lambda: current_app.config["AUTH_RATE_LIMIT"], key_func=get_remote_address, methods=("POST",))
    ]


class AppSecurityManager(SecurityManager):
    security_api = RateLimitedSecurityApi
