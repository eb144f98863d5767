"""Storage and upload checks for customer documents (F17).

- `storage`: the `Storage` interface with `LocalStorage` (under UPLOAD_FOLDER) and
  `S3Storage` (boto3, any S3-compatible endpoint); `get_storage()` picks one from
  STORAGE_BACKEND. Object keys are random; names live in the database.
- `filetypes`: the allowlist, judged from the content (magic bytes, zip parts, OLE streams).
- `validation`: name, size and type checks that run before anything is written.
- `disposition`: Content-Disposition with UTF-8 file names.
- `cli`: `flask documents check [--repair]`.
"""

from .disposition import content_disposition
from .storage import (
    LocalStorage,
    ObjectMissing,
    S3Storage,
    Storage,
    StorageError,
    StoredObject,
    get_storage,
    new_key,
    storage_from_config,
)
from .validation import CheckedUpload, UploadRejected, check_rename, check_upload, clean_name

__all__ = [
    "CheckedUpload",
    "LocalStorage",
    "ObjectMissing",
    "S3Storage",
    "Storage",
    "StorageError",
    "StoredObject",
    "UploadRejected",
    "check_rename",
    "check_upload",
    "clean_name",
    "content_disposition",
    "get_storage",
    "new_key",
    "storage_from_config",
]
