"""A fake OpenAI-compatible server: ``POST /v1/chat/completions`` (streaming) and
``GET /v1/models``. Scenarios by model id, see ``tests.fakes.base``.

Standalone: ``python -m tests.fakes.openai_server --port 8001 [--api-key KEY]``, then use
``http://127.0.0.1:8001/v1`` as a contender's base URL and a scenario as its model id.
"""

import json
import time
from typing import Any, ClassVar

from tests.fakes.base import (
    SCENARIOS,
    Conversation,
    FakeHandler,
    FakeServer,
    Scenario,
    main,
    trace,
)

_ERRORS = {
    400: ("invalid_request_error", "Invalid request."),
    401: ("invalid_request_error", "Incorrect API key provided."),
    429: ("rate_limit_error", "Rate limit reached, try again later."),
    500: ("server_error", "The server had an error while processing your request."),
}
# The delta field each reasoning scenario thinks in.
_REASONING_FIELDS = {"reasoning": "reasoning_content", "reasoning-field": "reasoning"}


class OpenAIHandler(FakeHandler):
    def do_GET(self) -> None:
        if self.path.rstrip("/") != "/v1/models":
            self.send_json(404, {"error": {"message": "Not found", "type": "not_found"}})
            return
        data = [{"id": name, "object": "model", "owned_by": "fake"} for name in SCENARIOS]
        self.send_json(200, {"object": "list", "data": data})

    def do_POST(self) -> None:
        body = self.read_json()
        if self.path.rstrip("/") != "/v1/chat/completions":
            self.send_json(404, {"error": {"message": "Not found", "type": "not_found"}})
            return
        key = self.fake.api_key
        sent = self.headers.get("Authorization", "")
        if key is not None and sent != f"Bearer {key}":
            self.error(401, f"Incorrect API key provided: {sent.removeprefix('Bearer ')}")
            return
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            self.error(400)
            return
        model = str(body.get("model", ""))
        scenario = Scenario.parse(model)
        if self.fail_before_answer(scenario, model):
            return
        if scenario.name == "strict" and "stream_options" in body:
            self.error(400, "Unrecognized request argument supplied: stream_options")
            return
        if scenario.name == "modern" and "max_tokens" in body:
            self.error(
                400,
                "Unsupported parameter: 'max_tokens' is not supported with this model. "
                "Use 'max_completion_tokens' instead.",
            )
            return
        conversation = Conversation(
            messages=[
                (str(m.get("role")), str(m.get("content")))
                for m in body["messages"]
                if m.get("role") in ("user", "assistant")
            ],
            system=" ".join(
                str(m.get("content")) for m in body["messages"] if m.get("role") == "system"
            ),
        )
        if body.get("stream"):
            self.stream_answer(body, model, scenario, conversation)
        else:
            self.send_json(200, self.completion(body, model, conversation))

    def error(self, status: int, message: str = "") -> None:
        kind, default = _ERRORS[status]
        message = message or default
        headers = {"Retry-After": "1"} if status == 429 else {}
        self.send_json(status, {"error": {"message": message, "type": kind, "code": None}}, headers)

    def completion(self, body: dict[str, Any], model: str, convo: Conversation) -> Any:
        tokens = convo.tokens()
        return {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "".join(tokens)},
                    "finish_reason": "stop",
                }
            ],
            "usage": _usage(convo, len(tokens)),
        }

    def stream_answer(
        self, body: dict[str, Any], model: str, scenario: Scenario, convo: Conversation
    ) -> None:
        pacing = scenario.pacing(convo)
        tokens = pacing.tokens
        finish = "stop"
        max_tokens = body.get("max_tokens") or body.get("max_completion_tokens")
        if isinstance(max_tokens, int) and len(tokens) > max_tokens:
            tokens, finish = tokens[:max_tokens], "length"

        def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> str:
            payload = {
                "id": "chatcmpl-fake",
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
            }
            return f"data: {json.dumps(payload)}\n\n"

        self.start_stream()
        if scenario.name == "hang-headers":
            self.hang()
            return
        if pacing.think and not self.wait(pacing.think):
            return
        self.write_chunk(chunk({"role": "assistant", "content": ""}))
        # Like DeepSeek and OpenRouter, a reasoning server nulls the field it is not using.
        reasoning = _REASONING_FIELDS.get(scenario.name)
        quiet = {reasoning: None} if reasoning else {}
        if reasoning:
            for thought in trace(model):
                self.write_chunk(chunk({"content": None, reasoning: thought}))
        half = max(1, len(tokens) // 2)
        for i, token in enumerate(tokens):
            if scenario.name == "cut" and i == half:
                self.end_stream()
                return
            if scenario.name == "drop" and i == half:
                self.drop_mid_chunk(chunk({"content": token}))
                return
            if scenario.name == "malformed" and i == half:
                self.write_chunk('data: {"id": "chatcmpl-fake", "choices": [{"delta": {"con\n\n')
                self.end_stream()
                return
            if scenario.name == "stream-error" and i == half:
                error = {"error": {"message": "The server had an error.", "type": "server_error"}}
                self.write_chunk(f"data: {json.dumps(error)}\n\n")
                self.end_stream()
                return
            if scenario.name == "stall" and i == 1:
                self.hang()
                return
            silence = pacing.before(i)
            if silence and not self.wait(silence):
                return
            self.write_chunk(chunk({"content": token, **quiet}))
        self.write_chunk(chunk({}, finish))
        options = body.get("stream_options") or {}
        if options.get("include_usage"):
            usage = {
                "id": "chatcmpl-fake",
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": model,
                "choices": [],
                "usage": _usage(convo, len(tokens)),
            }
            self.write_chunk(f"data: {json.dumps(usage)}\n\n")
        self.write_chunk("data: [DONE]\n\n")
        self.end_stream()


def _usage(convo: Conversation, completion_tokens: int) -> dict[str, int]:
    prompt_tokens = sum(len(text.split()) for _, text in convo.messages)
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


class OpenAIServer(FakeServer):
    url_suffix: ClassVar[str] = "/v1"


def make_server(port: int = 0, api_key: str | None = None) -> OpenAIServer:
    return OpenAIServer(handler=OpenAIHandler, port=port, api_key=api_key)


if __name__ == "__main__":
    main(make_server, "A fake OpenAI-compatible chat completions server.")
