"""A small read-only HTTP server that answers JSON (the standard library's ``http.server``).

It translates, it does not decide: every GET goes to one ``answer(path) -> (status, body)``
function given by the caller, called under a lock (the caller's database connection is used by
one request at a time). What it guarantees on its own: GET only (any other method is a 405),
no request body, at most ``max_request`` bytes of request line and headers (more is a 431 and
the rest is never read), a socket timeout so a slow client cannot hold a thread for ever, one
request per connection, and every answer, errors included, a JSON object.
"""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

log = logging.getLogger(__name__)

Answer = Callable[[str], tuple[int, dict[str, Any]]]


class _Budget:
    """The request's reader, cut off after ``left`` bytes (the flag says it was)."""

    def __init__(self, raw: io.BufferedIOBase, left: int) -> None:
        self.raw, self.left, self.exceeded = raw, left, False

    def readline(self, size: int = -1) -> bytes:
        want = self.left + 1 if size < 0 else min(size, self.left + 1)
        line = self.raw.readline(want)
        if len(line) > self.left:
            self.exceeded = True
            line = line[: self.left]
        self.left -= len(line)
        return line  # cut short: the request is answered 431 once it is parsed

    def read(self, size: int = -1) -> bytes:
        return b""  # GET has no body, and none is read

    def close(self) -> None:
        self.raw.close()


class JsonApi:
    def __init__(
        self,
        host: str,
        port: int,
        answer: Answer,
        *,
        max_request: int = 8192,
        timeout_s: float = 10.0,
    ) -> None:
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            timeout = timeout_s
            server_version = "compound-platform"
            sys_version = ""

            def setup(self) -> None:
                super().setup()
                self.rfile = _Budget(self.rfile, max_request)  # type: ignore[assignment]

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                log.debug("%s %s", self.address_string(), format % args)

            def _send(self, status: int, body: dict[str, Any], **headers: str) -> None:
                data = json.dumps(body, ensure_ascii=False).encode()
                if self.request_version == "HTTP/0.9":  # a request line cut short reads so
                    self.request_version = "HTTP/1.0"
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Cache-Control", "no-store")
                for k, v in headers.items():
                    self.send_header(k.replace("_", "-"), v)
                self.end_headers()
                self.wfile.write(data)

            def send_error(
                self, code: int, message: str | None = None, explain: str | None = None
            ) -> None:
                self.close_connection = True
                if code == 414 or getattr(self.rfile, "exceeded", False):
                    code, message = 431, f"request line and headers over {max_request} bytes"
                self._send(code, {"error": message or self.responses.get(code, ("",))[0]})

            def _too_large(self) -> bool:
                if getattr(self.rfile, "exceeded", False):
                    self.send_error(431)
                    return True
                if self.headers.get("Content-Length", "0").strip() not in ("", "0"):
                    self.close_connection = True
                    self._send(413, {"error": "a GET carries no body"})
                    return True
                return False

            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                if self._too_large():
                    return
                try:
                    with lock:
                        status, body = answer(self.path)
                except Exception:
                    log.exception("api: %s failed", self.path)
                    status, body = 500, {"error": "internal error"}
                self._send(status, body)

            def _not_allowed(self) -> None:
                self.close_connection = True
                self._send(405, {"error": f"{self.command} is not allowed: read-only"}, Allow="GET")

            do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _not_allowed  # noqa: N815

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def start(self) -> threading.Thread:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="json-api", daemon=True
        )
        self._thread.start()
        return self._thread

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(10)
