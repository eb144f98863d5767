"""Checks on an uploaded file before anything is written: its name, size and type.

A refused file raises `UploadRejected` with a message for the user; the checks only read
the (already spooled) stream in chunks and rewind it.
"""

import hashlib
import unicodedata
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from .filetypes import BY_CONTENT_TYPE, CHUNK, FileKind, MacrosRefused, extension_of, kind_label, sniff

MAX_NAME_LENGTH = 255
# Line and paragraph separators are not control characters to unicodedata, but break names.
_SEPARATORS = {"\u2028", "\u2029"}


class UploadRejected(ValueError):
    """A file or name that is refused; `message` says why, for the user."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


@dataclass
class CheckedUpload:
    name: str
    stream: object
    size: int
    kind: FileKind
    sha256: str

    @property
    def content_type(self) -> str:
        return self.kind.content_type


def _shown(name: str) -> str:
    """A name fit for a message: control characters become U+FFFD."""
    return "".join("\ufffd" if _is_control(c) else c for c in name)


def _is_control(char: str) -> bool:
    return unicodedata.category(char) in ("Cc", "Cf") or char in _SEPARATORS


def clean_name(name, max_length: int = MAX_NAME_LENGTH) -> str:
    """A file or folder name as typed, or UploadRejected.

    Names are display names only (storage keys are random), but a name with a path in it,
    "." or "..", or control characters (bidi overrides that disguise an extension
    included) is refused rather than silently changed.
    """
    name = unicodedata.normalize("NFC", str(name or "")).strip()
    if not name:
        raise UploadRejected(_l("Enter a name."))
    if "/" in name or "\\" in name or any(_is_control(c) for c in name):
        raise UploadRejected(
            _l("The name %(name)s is not allowed: it must not contain /, \\ or control characters.",
               name=_shown(name))
        )
    if not name.strip("."):
        raise UploadRejected(_l("The name %(name)s is not allowed.", name=name))
    if len(name) > max_length:
        raise UploadRejected(_l("The name is too long (at most %(n)s characters).", n=max_length))
    return name


def check_upload(name, stream, max_bytes: int) -> CheckedUpload:
    """Name, size (not empty, at most `max_bytes`) and type from the content, or UploadRejected."""
    name = clean_name(name)
    digest = hashlib.sha256()
    size = 0
    stream.seek(0)
    while chunk := stream.read(CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise UploadRejected(
                _l("%(name)s is larger than %(limit)s MB.", name=name, limit=_megabytes(max_bytes))
            )
        digest.update(chunk)
    stream.seek(0)
    if size == 0:
        raise UploadRejected(_l("%(name)s is empty.", name=name))
    extension = extension_of(name)
    try:
        kind = sniff(stream, extension)
    except MacrosRefused:
        raise UploadRejected(
            _l("%(name)s contains macros; office documents with macros are not allowed.", name=name)
        ) from None
    if kind is None:
        raise UploadRejected(
            _l("%(name)s is not an allowed type of file. Allowed are images, PDF, office documents and "
               "text files.", name=name)
        )
    if extension not in kind.extensions:
        raise UploadRejected(
            _l("The content of %(name)s does not match its name: it is a %(kind)s file, which ends with "
               ".%(extension)s.", name=name, kind=kind_label(kind.content_type), extension=kind.extensions[0])
        )
    return CheckedUpload(name=name, stream=stream, size=size, kind=kind, sha256=digest.hexdigest())


def check_rename(new_name, content_type: str) -> str:
    """A new name for a stored file: valid and keeping an extension of its type."""
    name = clean_name(new_name)
    kind = BY_CONTENT_TYPE.get(content_type)
    if kind is not None and extension_of(name) not in kind.extensions:
        raise UploadRejected(
            _l("The name must end with %(extensions)s.",
               extensions=", ".join(f".{e}" for e in kind.extensions))
        )
    return name


def _megabytes(limit: int) -> str:
    value = limit / (1024 * 1024)
    return f"{value:.0f}" if value >= 1 else f"{value:.2f}".replace(".", ",")
