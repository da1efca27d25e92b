"""What the fake provider servers share: threading, request records, scenarios, I/O.

The scenario is chosen by the requested model id, optionally with an argument after a
dash: ``ok``, ``slow`` (``slow-0.2`` = seconds per token), ``http500``, ``http429``,
``http400``, ``auth``, ``flaky`` (``flaky-3`` = fail 3 times, alternating 500/429, then
succeed; counted per server and model id), ``cut`` (the body ends cleanly mid-answer
without a finish), ``drop`` (the connection is dropped mid-chunk), ``malformed``
(broken JSON in the stream), ``hang`` (never answers), ``hang-headers`` (headers, then
nothing), ``stall`` (one token, then nothing), ``think`` (``think-8`` = headers, then
8 s of complete silence — not a byte — then the answer: a reasoning model thinking
before its first visible token), ``pause`` (``pause-8`` = half the answer, 8 s of
silence, the rest), ``big`` (``big-1024`` = an answer of about 1024 KB, streamed in
1 KB deltas), ``stream-error`` (an error event mid-stream), ``strict`` (OpenAI only:
rejects ``stream_options`` with 400, like some compatible servers), ``modern`` (OpenAI
only: rejects ``max_tokens``, wants ``max_completion_tokens``), ``judge`` (answers the
LLM labeller's category tasks like a judge, from keywords of the prompt: see
``judge_answer``; ``judge-garbage`` answers in no format at all). Reasoning models think
aloud first, in a ``trace`` that, like real ones, names the model id: ``reasoning``
(OpenAI only: ``reasoning_content`` deltas, as DeepSeek, xAI and vLLM send them),
``reasoning-field`` (OpenAI only: the ``reasoning`` field, as OpenRouter sends it),
``thinking`` (Anthropic only: when the request enables ``thinking``, a thinking block
before the text block). A refused API key is echoed in the 401 message, harsher than
real providers, so tests can check it is not passed on.
"""

import argparse
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

SCENARIOS = (
    "ok",
    "slow",
    "http500",
    "http429",
    "http400",
    "auth",
    "flaky",
    "cut",
    "drop",
    "malformed",
    "hang",
    "hang-headers",
    "stall",
    "think",
    "pause",
    "big",
    "reasoning",
    "reasoning-field",
    "thinking",
    "stream-error",
    "strict",
    "modern",
    "judge",
)
# How long a hanging scenario holds its connection at most (it ends early on shutdown).
HANG_SECONDS = 60.0
_TOKEN = re.compile(r"\S+\s*")


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass(frozen=True)
class Scenario:
    name: str
    arg: str = ""

    @classmethod
    def parse(cls, model: str) -> "Scenario":
        for name in sorted(SCENARIOS, key=len, reverse=True):
            if model == name:
                return cls(name)
            if model.startswith(name + "-"):
                return cls(name, model[len(name) + 1 :])
        return cls("ok")

    def number(self, default: float) -> float:
        """The scenario's numeric argument (``slow-0.5`` -> 0.5), or ``default``."""
        return float(self.arg) if self.arg else default

    def pacing(self, convo: "Conversation") -> "Pacing":
        """The answer's tokens and the silences around them, for every scenario."""
        if self.name == "slow":  # padded, 0.1 s (``slow-0.5``: 0.5 s) before each token
            return Pacing(convo.tokens(padding=30), delay=self.number(0.1))
        if self.name == "think":
            return Pacing(convo.tokens(), think=self.number(10.0))
        if self.name == "pause":
            tokens = convo.tokens(padding=10)
            return Pacing(tokens, pause_at=len(tokens) // 2, pause=self.number(10.0))
        if self.name == "big":
            return Pacing(convo.big_tokens(kilobytes=int(self.number(1024))))
        if self.name == "judge":
            return Pacing(_TOKEN.findall(judge_answer(convo, garbage=self.arg == "garbage")))
        return Pacing(convo.tokens())


@dataclass(frozen=True)
class Pacing:
    """What to stream and when: ``think`` seconds of silence right after the headers,
    ``delay`` before every token, another ``pause`` before token ``pause_at``."""

    tokens: list[str]
    delay: float = 0.0
    think: float = 0.0
    pause_at: int | None = None
    pause: float = 0.0

    def before(self, index: int) -> float:
        """Seconds of silence before token ``index``."""
        return self.delay + (self.pause if index == self.pause_at else 0.0)


def judge_answer(convo: "Conversation", *, garbage: bool = False) -> str:
    """A judge's verdict on the last user prompt, in the format its task asks for.

    The task is told by the answer format its system prompt asks for; the verdict by
    keywords: "hard" meets all 7 criteria, "exactly" is complex instruction following,
    "solve" is math, "poem" is creative writing. Chatty, as judges are.
    """
    prompt = next((text for role, text in reversed(convo.messages) if role == "user"), "")
    prompt = prompt.lower()
    if garbage:
        return "I would rather not label this prompt."
    if "python list" in convo.system.lower():
        return "[1, 2, 3, 4, 5, 6, 7]" if "hard" in prompt else "Criteria met: [1]"
    if "<score>" in convo.system:
        return "<score>5</score>" if "exactly" in prompt else "<score>1</score>"
    if "math" in convo.system.lower():
        return "<decision>\nyes\n</decision>" if "solve" in prompt else "<decision>no</decision>"
    if "creative" in convo.system.lower():
        return "<decision>yes</decision>" if "poem" in prompt else "<decision>no</decision>"
    return "I am a judge without a task."


def trace(model: str) -> list[str]:
    """The thinking a reasoning scenario streams before its answer, piece by piece."""
    # Markdown too, as real traces have: style features must not count it.
    return ["## Plan\n", f"I am **{model}**, ", "so I answer in my own style.\n"]


@dataclass(frozen=True)
class Conversation:
    """The parts of a request the answer is derived from."""

    messages: list[tuple[str, str]]
    system: str = ""

    @property
    def user_turns(self) -> int:
        return sum(1 for role, _ in self.messages if role == "user")

    def answer(self, padding: int = 0) -> str:
        """An answer that shows which history the server saw: turn count and last prompt."""
        last = next((text for role, text in reversed(self.messages) if role == "user"), "")
        text = (
            f"Answer to user turn {self.user_turns} of {len(self.messages)} messages: "
            f"you said {last!r}."
        )
        if self.system:
            text += f" System: {self.system}."
        if padding:
            text += " Counting: " + " ".join(str(i) for i in range(1, padding + 1)) + "."
        return text

    def tokens(self, padding: int = 0) -> list[str]:
        return _TOKEN.findall(self.answer(padding))

    def big_tokens(self, kilobytes: int, chunk: int = 1024) -> list[str]:
        """The answer counted up to ``kilobytes`` KB, in ``chunk``-character deltas."""
        size = max(kilobytes, 1) * 1024
        parts, n = [self.answer(), " Counting:"], 0
        length = sum(map(len, parts))
        while length < size:
            n += 1
            parts.append(f" {n}")
            length += len(parts[-1])
        text = "".join(parts)[: size - 1] + "."
        return [text[i : i + chunk] for i in range(0, len(text), chunk)]


class _Server(ThreadingHTTPServer):
    # Python's default accept queue of 5 drops connections when hundreds of streams open
    # at once (a load test); a real provider's front end does not.
    request_queue_size = 1024


@dataclass
class FakeServer:
    """A provider server on 127.0.0.1 running in a background thread."""

    handler: type["FakeHandler"]
    api_key: str | None = None
    port: int = 0
    host: str = "127.0.0.1"
    url_suffix: ClassVar[str] = ""
    requests: list[RecordedRequest] = field(default_factory=list)
    # Streams the client closed before the server finished writing them.
    disconnects: int = 0
    _attempts: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    stopping: threading.Event = field(default_factory=threading.Event)
    _httpd: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        assert self._httpd is not None, "server not started"
        return f"http://{self.host}:{self._httpd.server_address[1]}{self.url_suffix}"

    def start(self) -> "FakeServer":
        self._httpd = _Server((self.host, self.port), self.handler)
        self._httpd.daemon_threads = True
        self._httpd.fake = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()

    def reset(self) -> None:
        """Forget recorded requests, disconnects and flaky counters (between tests)."""
        with self._lock:
            self.requests.clear()
            self._attempts.clear()
            self.disconnects = 0

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def attempt(self, model: str) -> int:
        """Count one more request for ``model``; returns the 1-based attempt number."""
        with self._lock:
            self._attempts[model] = self._attempts.get(model, 0) + 1
            return self._attempts[model]

    def serve_forever(self) -> None:
        self.start()
        print(f"listening on {self.base_url}", flush=True)
        try:
            assert self._thread is not None
            self._thread.join()
        except KeyboardInterrupt:
            self.stop()


class FakeHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 with chunked streams, like real providers behind a proxy."""

    protocol_version = "HTTP/1.1"

    @property
    def fake(self) -> FakeServer:
        return self.server.fake  # type: ignore[attr-defined,no-any-return]

    def handle(self) -> None:
        try:
            super().handle()
        except (BrokenPipeError, ConnectionResetError):
            with self.fake._lock:
                self.fake.disconnects += 1

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        pass

    def read_json(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        self.fake.record(
            RecordedRequest(
                method=self.command,
                path=self.path,
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
            )
        )
        return body

    def send_json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def start_stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

    def write_chunk(self, text: str) -> None:
        data = text.encode()
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def end_stream(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def drop_mid_chunk(self, text: str) -> None:
        """Announce a chunk, send half of it and close: a connection lost in transit."""
        data = text.encode()
        self.wfile.write(f"{len(data):x}\r\n".encode() + data[: len(data) // 2])
        self.wfile.flush()
        self.close_connection = True

    def error(self, status: int, message: str = "") -> None:
        """An HTTP error in the provider's own error format."""
        raise NotImplementedError

    def fail_before_answer(self, scenario: Scenario, model: str) -> bool:
        """Play the scenarios that fail before any answer (HTTP errors, a server that never
        answers); True when the request was handled that way."""
        status = {"auth": 401, "http500": 500, "http429": 429, "http400": 400}.get(scenario.name)
        if scenario.name == "flaky":
            status = self.flaky_fails(scenario, model)
        if status is not None:
            self.error(status)
            return True
        if scenario.name == "hang":
            self.hang()
            return True
        return False

    def hang(self) -> None:
        self.fake.stopping.wait(HANG_SECONDS)
        self.close_connection = True

    def flaky_fails(self, scenario: Scenario, model: str) -> int | None:
        """The status a ``flaky`` request fails with, or None once it has failed enough."""
        failures = int(scenario.arg or 2)
        attempt = self.fake.attempt(model)
        if attempt > failures:
            return None
        return 500 if attempt % 2 else 429

    def wait(self, seconds: float) -> bool:
        """Sleep unless the server is shutting down; False when it is."""
        return not self.fake.stopping.wait(seconds)


def main(make_server: Callable[[int, str | None], FakeServer], description: str) -> None:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--api-key", default=None, help="require this key (default: any)")
    args = parser.parse_args()
    make_server(args.port, args.api_key).serve_forever()
