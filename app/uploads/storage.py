"""Where document bytes live: a local folder or an S3-compatible bucket.

Both backends store an object under a random key (`new_key()`, 32 hex digits); the user's
file name lives only in the database. Every failure of the store surfaces as
`StorageError`, so callers can keep the database and the store consistent.
"""

import logging
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger(__name__)

KEY_PATTERN = re.compile(r"^[0-9a-f]{32}$")
COPY_CHUNK = 1024 * 1024
MB = 1024 * 1024


class StorageError(Exception):
    """The object store failed (unreachable, refused, or the object is missing)."""


class ObjectMissing(StorageError):
    """The object does not exist in the store."""


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    modified: datetime  # timezone-aware, UTC


@dataclass(frozen=True)
class UnfinishedUpload:
    name: str  # the object name in the bucket
    upload_id: str
    initiated: datetime  # timezone-aware, UTC


def new_key() -> str:
    return uuid.uuid4().hex


def _check_key(key: str) -> str:
    if not isinstance(key, str) or not KEY_PATTERN.match(key):
        raise ValueError(f"not a storage key: {key!r}")
    return key


class Storage:
    """The interface both backends implement."""

    name = "abstract"

    def save(self, key: str, stream, content_type: str) -> None:
        """Store `stream` (read in chunks, from its current position) under `key`."""
        raise NotImplementedError

    def open(self, key: str):
        """A readable binary file object for the object (close it after use)."""
        raise NotImplementedError

    def delete(self, key: str) -> None:
        """Remove the object; a missing object is not an error."""
        raise NotImplementedError

    def exists(self, key: str) -> bool:
        raise NotImplementedError

    def list_objects(self) -> Iterator[StoredObject]:
        """Every stored object, in ascending key order."""
        raise NotImplementedError

    def local_path(self, key: str) -> Path | None:
        """The file on disk, when the backend has one (sent with send_file)."""
        return None

    def list_unfinished_uploads(self) -> Iterator["UnfinishedUpload"]:
        """Multipart uploads begun and never completed nor aborted (S3 keeps their parts, and
        bills them, until they are aborted). None on a backend without them."""
        return iter(())

    def abort_upload(self, upload: "UnfinishedUpload") -> None:
        raise NotImplementedError

    def presigned_url(self, key: str, *, content_type: str, disposition: str) -> str | None:
        """A short-lived URL that serves the object directly, when the backend has one."""
        return None


class LocalStorage(Storage):
    """Files under `<UPLOAD_FOLDER>/documents/<first two hex digits>/<key>`.

    Never in the top level of UPLOAD_FOLDER, where FAB's unscoped download route would
    reach them (FAB-NOTES §10.1). A file appears under its key only when complete.
    """

    name = "local"

    def __init__(self, root):
        self.root = Path(root) / "documents"

    def _path(self, key: str) -> Path:
        key = _check_key(key)
        return self.root / key[:2] / key

    def save(self, key, stream, content_type):
        path = self._path(key)
        partial = path.with_name(f".{key}.part")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(partial, "xb") as target:
                shutil.copyfileobj(stream, target, COPY_CHUNK)
                target.flush()
                os.fsync(target.fileno())
            os.replace(partial, path)
        except BaseException as exc:
            partial.unlink(missing_ok=True)
            if isinstance(exc, OSError):
                raise StorageError(f"could not write {key}: {exc}") from exc
            raise

    def open(self, key):
        try:
            return open(self._path(key), "rb")
        except FileNotFoundError as exc:
            raise ObjectMissing(key) from exc
        except OSError as exc:
            raise StorageError(f"could not read {key}: {exc}") from exc

    def delete(self, key):
        try:
            self._path(key).unlink(missing_ok=True)
        except OSError as exc:
            raise StorageError(f"could not delete {key}: {exc}") from exc

    def exists(self, key):
        return self._path(key).is_file()

    def local_path(self, key):
        path = self._path(key)
        if not path.is_file():
            raise ObjectMissing(key)
        return path

    def list_objects(self):
        if not self.root.is_dir():
            return
        for directory in sorted(p for p in self.root.iterdir() if p.is_dir()):
            for path in sorted(directory.iterdir()):
                if KEY_PATTERN.match(path.name) and path.name[:2] == directory.name:
                    stat = path.stat()
                    yield StoredObject(path.name, stat.st_size, datetime.fromtimestamp(stat.st_mtime, UTC))


class S3Storage(Storage):
    """Objects `<prefix><key>` in a bucket of any S3-compatible store, through boto3.

    Uploads use boto3's managed transfer (`upload_fileobj`): the stream is read part by
    part, multipart above `multipart_threshold`, so memory stays at about
    `multipart_chunksize × max_concurrency` (5 MB × 3 by default; the smallest part S3
    accepts is 5 MB) whatever the file size.
    """

    name = "s3"

    def __init__(self, bucket: str, *, endpoint_url=None, region=None, access_key=None, secret_key=None,
                 prefix: str = "documents/", multipart_threshold: int = 8 * MB, multipart_chunksize: int = 5 * MB,
                 max_concurrency: int = 3, url_expires: int = 60, connect_timeout: float = 3,
                 read_timeout: float = 10, max_attempts: int = 2):
        import boto3
        from boto3.s3.transfer import TransferConfig
        from botocore.config import Config

        if not bucket:
            raise ValueError("S3_BUCKET is not set")
        self.bucket = bucket
        self.prefix = prefix
        self.url_expires = url_expires
        config = Config(
            signature_version="s3v4",
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            retries={"max_attempts": max_attempts, "mode": "standard"},
            # Custom endpoints (MinIO, Ceph, moto …) rarely resolve bucket sub-domains.
            s3={"addressing_style": "path" if endpoint_url else "auto"},
        )
        self.client = boto3.session.Session().client(
            "s3", endpoint_url=endpoint_url, region_name=region, aws_access_key_id=access_key,
            aws_secret_access_key=secret_key, config=config,
        )
        self.transfer = TransferConfig(
            multipart_threshold=multipart_threshold, multipart_chunksize=multipart_chunksize,
            max_concurrency=max_concurrency, io_chunksize=256 * 1024,
        )
        # boto3 reads each part of a file object into memory and by default keeps up to ten
        # parts queued (an s3transfer setting boto3's constructor does not take). One per worker
        # bounds memory to about chunksize × concurrency.
        self.transfer.max_in_memory_upload_chunks = max_concurrency

    def _object(self, key: str) -> str:
        return self.prefix + _check_key(key)

    def save(self, key, stream, content_type):
        name = self._object(key)
        try:
            self.client.upload_fileobj(stream, self.bucket, name,
                                       ExtraArgs={"ContentType": content_type}, Config=self.transfer)
        except Exception as exc:  # botocore, boto3 and s3transfer errors alike: nothing was stored
            self._abort_uploads_of(name)
            raise StorageError(f"could not upload {key}: {exc}") from exc

    def _abort_uploads_of(self, name: str) -> None:
        """s3transfer aborts a failed multipart upload itself, unless the store failed too; try
        once more here. What still remains is found by `flask documents check`."""
        try:
            listing = self.client.list_multipart_uploads(Bucket=self.bucket, Prefix=name)
            for upload in listing.get("Uploads", []):
                if upload["Key"] == name:
                    self.client.abort_multipart_upload(Bucket=self.bucket, Key=name, UploadId=upload["UploadId"])
        except Exception:  # noqa: BLE001 - the store is failing: the check will report it
            log.warning("could not abort the multipart upload of %s", name)

    def list_unfinished_uploads(self):
        try:
            pages = self.client.get_paginator("list_multipart_uploads").paginate(
                Bucket=self.bucket, Prefix=self.prefix)
            for page in pages:
                for upload in page.get("Uploads", []):
                    initiated = upload["Initiated"]
                    if initiated.tzinfo is None:
                        initiated = initiated.replace(tzinfo=UTC)
                    yield UnfinishedUpload(upload["Key"], upload["UploadId"], initiated)
        except Exception as exc:
            raise StorageError(f"could not list the unfinished uploads: {exc}") from exc

    def abort_upload(self, upload):
        try:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=upload.name, UploadId=upload.upload_id)
        except Exception as exc:
            raise StorageError(f"could not abort the upload {upload.upload_id}: {exc}") from exc

    def open(self, key):
        from botocore.exceptions import ClientError

        name = self._object(key)
        try:
            return self.client.get_object(Bucket=self.bucket, Key=name)["Body"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise ObjectMissing(key) from exc
            raise StorageError(f"could not read {key}: {exc}") from exc
        except Exception as exc:
            raise StorageError(f"could not read {key}: {exc}") from exc

    def delete(self, key):
        name = self._object(key)
        try:
            self.client.delete_object(Bucket=self.bucket, Key=name)
        except Exception as exc:
            raise StorageError(f"could not delete {key}: {exc}") from exc

    def exists(self, key):
        from botocore.exceptions import ClientError

        name = self._object(key)
        try:
            self.client.head_object(Bucket=self.bucket, Key=name)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return False
            raise StorageError(f"could not check {key}: {exc}") from exc
        except Exception as exc:
            raise StorageError(f"could not check {key}: {exc}") from exc
        return True

    def list_objects(self):
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix)
            for page in pages:
                for item in page.get("Contents", []):
                    key = item["Key"][len(self.prefix):]
                    if KEY_PATTERN.match(key):
                        modified = item["LastModified"]
                        if modified.tzinfo is None:
                            modified = modified.replace(tzinfo=UTC)
                        yield StoredObject(key, item["Size"], modified)
        except StorageError:
            raise
        except Exception as exc:
            raise StorageError(f"could not list the bucket: {exc}") from exc

    def presigned_url(self, key, *, content_type, disposition):
        name = self._object(key)
        try:
            return self.client.generate_presigned_url(
                "get_object", ExpiresIn=self.url_expires,
                Params={"Bucket": self.bucket, "Key": name,
                        "ResponseContentType": content_type, "ResponseContentDisposition": disposition},
            )
        except Exception as exc:
            raise StorageError(f"could not sign a URL for {key}: {exc}") from exc


def storage_from_config(config) -> Storage:
    """The backend chosen by STORAGE_BACKEND (`local` or `s3`)."""
    backend = (config.get("STORAGE_BACKEND") or "local").lower()
    if backend == "local":
        return LocalStorage(config["UPLOAD_FOLDER"])
    if backend == "s3":
        return S3Storage(
            config.get("S3_BUCKET"),
            endpoint_url=config.get("S3_ENDPOINT_URL") or None,
            region=config.get("S3_REGION") or None,
            # None lets boto3 read AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (or a role) itself.
            access_key=config.get("AWS_ACCESS_KEY_ID") or None,
            secret_key=config.get("AWS_SECRET_ACCESS_KEY") or None,
            prefix=config.get("S3_PREFIX", "documents/"),
            multipart_threshold=int(config.get("S3_MULTIPART_THRESHOLD", 8 * MB)),
            multipart_chunksize=int(config.get("S3_MULTIPART_CHUNKSIZE", 5 * MB)),
            max_concurrency=int(config.get("S3_MAX_CONCURRENCY", 3)),
            url_expires=int(config.get("S3_URL_EXPIRES", 60)),
            connect_timeout=float(config.get("S3_CONNECT_TIMEOUT", 3)),
            read_timeout=float(config.get("S3_READ_TIMEOUT", 10)),
            max_attempts=int(config.get("S3_MAX_ATTEMPTS", 2)),
        )
    raise ValueError(f"unknown STORAGE_BACKEND {backend!r} (use 'local' or 's3')")


def get_storage(app=None) -> Storage:
    """The app's storage, made once per app from its config."""
    if app is None:
        from flask import current_app

        app = current_app._get_current_object()
    storage = app.extensions.get("document_storage")
    if storage is None:
        storage = app.extensions["document_storage"] = storage_from_config(app.config)
    return storage
