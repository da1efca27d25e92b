"""A local stand-in for the Turnstile and hCaptcha ``siteverify`` APIs (a real HTTP server).

Both providers take a form POST (``secret``, ``response``, optionally ``remoteip`` and
``sitekey``) and answer ``{"success": true|false, "error-codes": [...]}``. Here a token
passes when it starts with ``pass``; ``SECRET`` is the only secret accepted; ``down``
makes the server answer 502 (the provider having a bad day).
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

SECRET = "fake-captcha-secret"


class _Handler(BaseHTTPRequestHandler):
    server: "CaptchaServer"

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        self.server.requests.append(form)
        if self.server.down:
            self._answer(502, {"error": "bad gateway"})
            return
        if form.get("secret") != SECRET:
            self._answer(200, {"success": False, "error-codes": ["invalid-input-secret"]})
            return
        ok = form.get("response", "").startswith("pass")
        codes: list[str] = [] if ok else ["invalid-input-response"]
        self._answer(200, {"success": ok, "error-codes": codes})

    def _answer(self, status: int, body: dict[str, object]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


class CaptchaServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[dict[str, str]] = []
        self.down = False
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/siteverify"

    def start(self) -> "CaptchaServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
