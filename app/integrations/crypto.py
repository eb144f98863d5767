"""Tokens at rest are encrypted with Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`)
under a key derived from SECRET_KEY with HKDF, so a database dump alone reveals no token.

Changing SECRET_KEY makes stored tokens unreadable: the integration then asks to be
connected again (decrypt raises NotConnected) rather than failing obscurely.
"""

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from flask_babel import lazy_gettext as _l

from .errors import NotConnected

_INFO = b"kundregister integration tokens v1"


def _fernet(secret_key: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(value: str | None, secret_key: str | None = None) -> str | None:
    if value is None:
        return None
    return _fernet(secret_key or current_app.config["SECRET_KEY"]).encrypt(value.encode()).decode()


def decrypt(value: str | None, secret_key: str | None = None) -> str | None:
    if value is None:
        return None
    try:
        return _fernet(secret_key or current_app.config["SECRET_KEY"]).decrypt(value.encode()).decode()
    except InvalidToken:
        raise NotConnected(_l("The stored connection cannot be read (was SECRET_KEY changed?). "
                              "Connect again.")) from None
