"""A fake server: a WSGI app served by werkzeug on 127.0.0.1 (port chosen by the OS) in a thread,
with a request log, a "down" switch (connection refused, or 503) and injected failures."""

import base64
import json
import threading
from collections import deque

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


def json_response(data, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(data, ensure_ascii=False), status=status, headers=headers or {},
                    content_type="application/json; charset=utf-8")


def basic_credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return None
    try:
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    except ValueError:
        return None
    return user, password


def bearer(request: Request) -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:] if header.startswith("Bearer ") else None


class FakeServer:
    def __init__(self):
        self.lock = threading.RLock()
        self.port = 0
        self.log: list[dict] = []  # every request that reached the app
        self.down_mode: str | None = None  # None, "refused" or "503"
        self.injected: deque[int] = deque()  # statuses to answer the next API requests with
        self._server = None
        self._thread = None

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> "FakeServer":
        self._server = make_server("127.0.0.1", self.port, self.wsgi, threaded=True)
        self.port = self._server.port
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def go_down(self, mode: str = "refused") -> None:
        """"refused": nothing listens on the port any more; "503": every request gets 503."""
        self.down_mode = mode
        if mode == "refused":
            self.stop()

    def come_back(self) -> None:
        if self.down_mode == "refused":
            self.start()
        self.down_mode = None

    def inject(self, *statuses: int) -> None:
        """Answer the next API requests with these statuses (e.g. 503, 500) before serving again."""
        with self.lock:
            self.injected.extend(statuses)

    # -- WSGI -----------------------------------------------------------------------------
    def wsgi(self, environ, start_response):
        request = Request(environ)
        body = request.get_data(as_text=True)
        try:
            parsed = json.loads(body) if body and request.mimetype == "application/json" else None
        except ValueError:
            parsed = None
        entry = {"method": request.method, "path": request.path, "args": request.args.to_dict(),
                 "json": parsed, "form": request.form.to_dict(), "headers": dict(request.headers)}
        with self.lock:
            self.log.append(entry)
            if self.down_mode == "503":
                response = Response("Service Unavailable", status=503)
            elif self.injected and self.is_api(request):
                status = self.injected.popleft()
                response = self.injected_response(status)
            else:
                response = self.handle(request, parsed)
        entry["status"] = response.status_code
        return response(environ, start_response)

    def is_api(self, request: Request) -> bool:
        return True

    def injected_response(self, status: int) -> Response:
        return Response("injected failure", status=status)

    def handle(self, request: Request, body) -> Response:
        raise NotImplementedError

    def requests_to(self, method: str, path_prefix: str) -> list[dict]:
        return [e for e in self.log if e["method"] == method and e["path"].startswith(path_prefix)]
