"""An S3 endpoint for tests: moto's ThreadedMotoServer over real HTTP, behind a small TCP relay.

`stop()` takes the endpoint down the way a crash would: it stops the moto server, closes its
socket (new connections are refused) and cuts every open connection, including boto3's
kept-alive ones in the middle of a transfer. `start()` brings it back with its data (moto
keeps its state in the process). `cut_after(n)` stops the endpoint once `n` more bytes of
requests have gone up to it: a failure in the middle of an upload, wherever the app is.
"""

import socket
import threading
import uuid

import boto3
from botocore.config import Config
from moto.server import ThreadedMotoServer

REGION = "us-east-1"
CREDENTIALS = {"aws_access_key_id": "test-key", "aws_secret_access_key": "test-secret"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Relay:
    def __init__(self, port: int, target_port: int):
        self.port, self.target_port = port, target_port
        self.listener = None
        self.sockets: set = set()
        self.lock = threading.Lock()
        self.budget = None
        self.on_exhausted = None

    def start(self):
        self.listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets |= {client, upstream}
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, source, target, upward: bool):
        try:
            while data := source.recv(65536):
                if upward and self.budget is not None:
                    with self.lock:
                        self.budget -= len(data)
                        exhausted = self.budget <= 0
                        if exhausted:
                            self.budget = None
                    if exhausted:
                        threading.Thread(target=self.on_exhausted, daemon=True).start()
                        return
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                _close(sock)

    def stop(self):
        if self.listener is not None:
            _close(self.listener)
            self.listener = None
        with self.lock:
            sockets, self.sockets = self.sockets, set()
        for sock in sockets:
            _close(sock)


def _close(sock):
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


class S3Endpoint:
    def __init__(self):
        self.moto_port = free_port()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.moto = None
        self.relay = _Relay(self.port, self.moto_port)
        self.running = False
        self.switch = threading.Lock()  # a stop from the relay's thread finishes before a start
        self.relay.on_exhausted = self.stop
        self.start()

    def start(self):
        with self.switch:
            if self.running:
                return
            self.moto = ThreadedMotoServer("127.0.0.1", self.moto_port, verbose=False)
            self.moto.start()
            self.relay.start()
            self.running = True

    def stop(self):
        self.relay.stop()  # at once: cut every connection, refuse new ones
        with self.switch:
            if not self.running:
                return
            self.moto.stop()
            self.moto._server.server_close()  # stop() alone leaves the socket accepting into its backlog
            self.running = False

    def cut_after(self, n_bytes: int):
        self.relay.budget = n_bytes

    def close(self):
        self.relay.budget = None
        self.stop()

    def client(self):
        """A boto3 client for the test's own look at the bucket."""
        return boto3.client("s3", endpoint_url=self.url, region_name=REGION,
                            config=Config(s3={"addressing_style": "path"}), **CREDENTIALS)

    def new_bucket(self) -> str:
        name = f"docs-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str) -> list[str]:
        response = self.client().list_objects_v2(Bucket=bucket)
        return sorted(item["Key"] for item in response.get("Contents", []))

    def config(self, bucket: str) -> dict:
        """App config for the S3 backend against this endpoint (small multipart parts, quick retries)."""
        return {
            "STORAGE_BACKEND": "s3",
            "S3_BUCKET": bucket,
            "S3_ENDPOINT_URL": self.url,
            "S3_REGION": REGION,
            "AWS_ACCESS_KEY_ID": CREDENTIALS["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": CREDENTIALS["aws_secret_access_key"],
            "S3_MULTIPART_THRESHOLD": 5 * 1024 * 1024,
            "S3_MULTIPART_CHUNKSIZE": 5 * 1024 * 1024,
            "S3_MAX_ATTEMPTS": 2,
            "S3_CONNECT_TIMEOUT": 2,
            "S3_READ_TIMEOUT": 10,
        }
