"""Both storage backends through the same interface; S3 over real HTTP against moto."""

import hashlib
import io
import urllib.request
from urllib.parse import parse_qs, urlparse

import pytest

from app.uploads import LocalStorage, ObjectMissing, S3Storage, StorageError, new_key
from tests.uploads import samples
from tests.uploads.s3server import CREDENTIALS, REGION

MB = 1024 * 1024


def s3_storage(endpoint, bucket, **options):
    return S3Storage(bucket, endpoint_url=endpoint.url, region=REGION, access_key=CREDENTIALS["aws_access_key_id"],
                     secret_key=CREDENTIALS["aws_secret_access_key"], max_attempts=2, connect_timeout=2,
                     read_timeout=10, **options)


@pytest.fixture(params=["local", "s3"])
def storage(request, tmp_path):
    if request.param == "local":
        return LocalStorage(tmp_path / "uploads")
    endpoint = request.getfixturevalue("s3")
    return s3_storage(endpoint, endpoint.new_bucket())


def read_all(storage, key) -> bytes:
    body = storage.open(key)
    try:
        return body.read()
    finally:
        body.close()


def test_save_open_list_delete(storage):
    keys = sorted(new_key() for _ in range(3))
    for key in reversed(keys):
        storage.save(key, io.BytesIO(samples.pdf(key.encode())), "application/pdf")
    assert [o.key for o in storage.list_objects()] == keys
    assert all(o.size == len(samples.pdf(o.key.encode())) for o in storage.list_objects())
    assert read_all(storage, keys[1]) == samples.pdf(keys[1].encode())
    assert storage.exists(keys[0])
    storage.delete(keys[0])
    storage.delete(keys[0])  # already gone: not an error
    assert not storage.exists(keys[0])
    with pytest.raises(ObjectMissing):
        read_all(storage, keys[0])
    assert [o.key for o in storage.list_objects()] == keys[1:]


@pytest.mark.parametrize("key", ["../../etc/passwd", "ABCDEF" * 5 + "00", "a" * 31, "a" * 32 + "/x", "", None])
def test_only_random_keys_are_accepted(storage, key):
    with pytest.raises(ValueError):
        storage.save(key, io.BytesIO(b"x"), "text/plain")
    assert list(storage.list_objects()) == []


def test_local_files_live_below_the_upload_folder_and_never_half_written(tmp_path):
    storage = LocalStorage(tmp_path / "uploads")
    key = new_key()
    storage.save(key, io.BytesIO(b"hej"), "text/plain")
    assert storage.local_path(key) == tmp_path / "uploads" / "documents" / key[:2] / key
    assert not any(p.is_file() for p in (tmp_path / "uploads").iterdir())  # nothing in FAB's download folder

    class Breaks(io.BytesIO):
        def read(self, size=-1):
            if self.tell() > 0:
                raise OSError("disk gone")
            return super().read(4)

    broken = new_key()
    with pytest.raises(StorageError):
        storage.save(broken, Breaks(b"12345678"), "text/plain")
    assert not storage.exists(broken)
    assert [p.name for p in storage.local_path(key).parent.parent.rglob("*") if p.is_file()] == [key]


def test_s3_multipart_upload_of_a_large_file(s3):
    bucket = s3.new_bucket()
    storage = s3_storage(s3, bucket, multipart_threshold=5 * MB, multipart_chunksize=5 * MB)
    data = samples.big_pdf(12 * MB)
    key = new_key()
    storage.save(key, io.BytesIO(data), "application/pdf")
    head = s3.client().head_object(Bucket=bucket, Key=f"documents/{key}")
    assert head["ETag"].strip('"').endswith("-3")  # three parts: a multipart upload
    assert head["ContentLength"] == len(data) and head["ContentType"] == "application/pdf"
    digest = hashlib.sha256()
    body = storage.open(key)
    while chunk := body.read(MB):
        digest.update(chunk)
    assert digest.hexdigest() == hashlib.sha256(data).hexdigest()


def test_s3_presigned_url_is_short_lived_and_sends_the_name(s3):
    bucket = s3.new_bucket()
    storage = s3_storage(s3, bucket, url_expires=60)
    key = new_key()
    storage.save(key, io.BytesIO(samples.pdf()), "application/pdf")
    disposition = "attachment; filename=\"Offert Ahlens.pdf\"; filename*=UTF-8''Offert%20%C3%85hl%C3%A9ns.pdf"
    url = storage.presigned_url(key, content_type="application/pdf", disposition=disposition)
    query = parse_qs(urlparse(url).query)
    assert query["X-Amz-Expires"] == ["60"] and "X-Amz-Signature" in query
    with urllib.request.urlopen(url) as response:
        assert response.read() == samples.pdf()
        assert response.headers["Content-Disposition"] == disposition
        assert response.headers["Content-Type"] == "application/pdf"


def test_s3_lists_only_document_keys(s3):
    bucket = s3.new_bucket()
    client = s3.client()
    client.put_object(Bucket=bucket, Key="documents/not-a-key.txt", Body=b"x")
    client.put_object(Bucket=bucket, Key="other/" + new_key(), Body=b"x")
    storage = s3_storage(s3, bucket)
    key = new_key()
    storage.save(key, io.BytesIO(b"x"), "text/plain")
    assert [o.key for o in storage.list_objects()] == [key]


def test_s3_failures_are_storage_errors(s3):
    bucket = s3.new_bucket()
    storage = s3_storage(s3, bucket)
    key = new_key()
    storage.save(key, io.BytesIO(b"x"), "text/plain")
    s3.stop()
    with pytest.raises(StorageError):
        storage.save(new_key(), io.BytesIO(b"y"), "text/plain")
    with pytest.raises(StorageError):
        storage.open(key)
    with pytest.raises(StorageError):
        storage.exists(key)
    with pytest.raises(StorageError):
        storage.delete(key)
    with pytest.raises(StorageError):
        list(storage.list_objects())
    s3.start()
    assert [o.key for o in storage.list_objects()] == [key]
    with pytest.raises(StorageError):
        s3_storage(s3, "no-such-bucket").save(new_key(), io.BytesIO(b"x"), "text/plain")
