"""Domain errors, raised by commands and services and translated by each entry point:
the web turns them into a field message, a flash, 403 or 404; the API into its JSON error
shape; the CLI into a message and an exit code. A leaf module: every layer may import it."""

from flask_babel import lazy_gettext as _l


class Invalid(ValueError):
    """Input that breaks a rule; `errors` maps a field name to a user message. Nothing was written."""

    def __init__(self, errors: dict):
        super().__init__(errors)
        self.errors = errors

    def __str__(self) -> str:
        return " ".join(str(message) for message in self.errors.values())


class PossibleDuplicate(Invalid):
    """The customer looks like one already stored (issue 15); `matches` are the existing customers
    (`duplicates.Match`). Saving again with the duplicate confirmed goes through. Nothing was written."""

    def __init__(self, matches: list, field: str = "identity_number"):
        super().__init__({field: _l("This customer may already exist. Check the customers listed, "
                                    "or confirm that this is another customer.")})
        self.matches = matches


class NotAllowed(PermissionError):
    """The acting user lacks the right (F27) for this command. Nothing was written."""

    def __str__(self) -> str:
        return str(_l("You do not have the right to do this."))


class NotFound(LookupError):
    """The row does not exist or is outside the acting user's scope: the two are never told apart."""

    def __str__(self) -> str:
        return str(_l("Not found."))


class EditConflict(Exception):
    """Someone saved the row after this edit began; nothing was overwritten."""

    message = _l("Someone else saved this customer after you opened it. Nothing was saved: "
                 "reload the customer to see their changes, then make yours again.")

    def __init__(self, message=None):
        super().__init__()
        if message is not None:
            self.message = message

    def __str__(self) -> str:
        return str(self.message)


ROW_CONFLICT = _l("Someone else saved this after you opened it. Nothing was saved: "
                  "open it again to see their changes, then make yours again.")
NO_VERSION = _l("The form is missing the version it was opened on: open it again and make your change.")
