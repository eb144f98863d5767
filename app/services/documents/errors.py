"""The refusals of a document operation; `messages` are for the user. Nothing was changed."""

from flask_babel import lazy_gettext as _l


class DocumentError(Exception):
    status = 400

    def __init__(self, *messages):
        super().__init__("; ".join(str(m) for m in messages))
        self.messages = list(messages)


class DocumentInvalid(DocumentError):
    """Bad input: an empty, oversize or disallowed file, a bad name, a foreign folder."""


class StoreUnavailable(DocumentError):
    """The object store failed; nothing was saved (or fetched)."""

    status = 503


class NotSaved(DocumentError):
    """The database write failed after the upload; the stored objects were removed."""

    status = 503


class FolderNotEmpty(DocumentError):
    """Deleting a folder with contents needs a confirmation that states the counts."""

    status = 409

    def __init__(self, files: int, folders: int):
        super().__init__(_l("The folder is not empty."))
        self.files, self.folders = files, folders


class RepairRefused(Exception):
    pass
