"""The password policy for every new password (FAB's forms and the invitation page)."""

from flask_appbuilder.exceptions import PasswordComplexityValidationError
from flask_babel import lazy_gettext as _l

MIN_LENGTH = 12


def check_password(password: str, username: str = "") -> None:
    """Raise ValueError with a user message when `password` breaks the policy."""
    password = password or ""
    if len(password) < MIN_LENGTH:
        raise ValueError(_l("The password must have at least %(n)s characters.", n=MIN_LENGTH))
    if not any(c.isalpha() for c in password) or not any(not c.isalpha() for c in password):
        raise ValueError(_l("The password must contain letters and at least one digit or other character."))
    if username and username.split("@")[0].lower() in password.lower() and len(username.split("@")[0]) >= 3:
        raise ValueError(_l("The password must not contain your user name."))
    if len(set(password)) < 5:
        raise ValueError(_l("The password is too simple: use more different characters."))


def fab_password_validator(password: str) -> None:
    """FAB_PASSWORD_COMPLEXITY_VALIDATOR: FAB expects its own exception type."""
    try:
        check_password(password)
    except ValueError as exc:
        raise PasswordComplexityValidationError(str(exc.args[0])) from None
