"""A fake Anthropic Messages API server: ``POST /v1/messages`` (streaming).

Scenarios by model id, see ``tests.fakes.base``. Standalone:
``python -m tests.fakes.anthropic_server --port 8002 [--api-key KEY]``, then use
``http://127.0.0.1:8002`` as a contender's base URL (the SDK appends ``/v1/messages``).
"""

import json
from typing import Any

from tests.fakes.base import Conversation, FakeHandler, FakeServer, Scenario, main, trace

_ERRORS = {
    400: ("invalid_request_error", "Invalid request."),
    401: ("authentication_error", "invalid x-api-key"),
    429: ("rate_limit_error", "Number of requests has exceeded your rate limit."),
    500: ("api_error", "Internal server error."),
}


def _text(content: Any) -> str:
    """Content is a string or a list of blocks; the fake only needs their text."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(b.get("text", "")) for b in content if isinstance(b, dict))
    return ""


def _thinking_refusal(body: dict[str, Any]) -> str:
    """Why the real API would refuse the request's ``thinking`` settings; "" when it would not."""
    thinking = body.get("thinking")
    if thinking is None:
        return ""
    budget = thinking.get("budget_tokens") if isinstance(thinking, dict) else None
    if not isinstance(thinking, dict) or thinking.get("type") != "enabled":
        return "thinking: Input tag does not match the expected tags"
    if not isinstance(budget, int) or budget < 1024:
        return "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024"
    if body["max_tokens"] <= budget:
        return "`max_tokens` must be greater than `thinking.budget_tokens`."
    if body.get("temperature", 1) != 1:
        return "`temperature` may only be set to 1 when thinking is enabled."
    if body.get("top_p", 1) < 0.95:
        return "`top_p` must be greater than or equal to 0.95 when thinking is enabled."
    return ""


class AnthropicHandler(FakeHandler):
    def do_POST(self) -> None:
        body = self.read_json()
        if self.path.split("?")[0].rstrip("/") != "/v1/messages":
            self.error(404)
            return
        key = self.fake.api_key
        # The classic header is x-api-key; recent SDKs send the same key as a Bearer token.
        sent = {self.headers.get("x-api-key"), self.headers.get("Authorization")}
        if key is not None and not {key, f"Bearer {key}"} & sent:
            shown = self.headers.get("x-api-key") or self.headers.get("Authorization", "")
            self.error(401, f"invalid x-api-key {shown.removeprefix('Bearer ')}")
            return
        if (
            not isinstance(body, dict)
            or not isinstance(body.get("messages"), list)
            or not isinstance(body.get("max_tokens"), int)
        ):
            self.error(400)
            return
        if refusal := _thinking_refusal(body):
            self.error(400, refusal)
            return
        model = str(body.get("model", ""))
        scenario = Scenario.parse(model)
        if self.fail_before_answer(scenario, model):
            return
        conversation = Conversation(
            messages=[(str(m.get("role")), _text(m.get("content"))) for m in body["messages"]],
            system=_text(body.get("system")),
        )
        if body.get("stream"):
            self.stream_answer(body, model, scenario, conversation)
        else:
            tokens = conversation.tokens()
            self.send_json(200, self.message(model, conversation, "".join(tokens), len(tokens)))

    def error(self, status: int, message: str = "") -> None:
        kind, default = _ERRORS.get(status, ("not_found_error", "Not found."))
        message = message or default
        headers = {"retry-after": "1"} if status == 429 else {}
        body = {"type": "error", "error": {"type": kind, "message": message}}
        self.send_json(status, body, headers)

    def message(self, model: str, convo: Conversation, text: str, out: int) -> dict[str, Any]:
        return {
            "id": "msg_fake",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [{"type": "text", "text": text}] if text else [],
            "stop_reason": "end_turn" if text else None,
            "stop_sequence": None,
            "usage": {
                "input_tokens": sum(len(t.split()) for _, t in convo.messages),
                "output_tokens": out,
            },
        }

    def event(self, name: str, data: dict[str, Any]) -> None:
        self.write_chunk(f"event: {name}\ndata: {json.dumps({'type': name, **data})}\n\n")

    def stream_answer(
        self, body: dict[str, Any], model: str, scenario: Scenario, convo: Conversation
    ) -> None:
        pacing = scenario.pacing(convo)
        tokens = pacing.tokens
        # A thinking model thinks only when asked to, and its thinking counts as output.
        thoughts = trace(model) if scenario.name == "thinking" and body.get("thinking") else []
        stop_reason = "end_turn"
        room = body["max_tokens"] - len(thoughts)
        if len(tokens) > room:
            tokens, stop_reason = tokens[:room], "max_tokens"

        self.start_stream()
        if scenario.name == "hang-headers":
            self.hang()
            return
        if pacing.think and not self.wait(pacing.think):
            return
        self.event("message_start", {"message": self.message(model, convo, "", 1)})
        index = 0
        if thoughts:
            thinking = {"type": "thinking", "thinking": "", "signature": ""}
            self.event("content_block_start", {"index": 0, "content_block": thinking})
            for thought in thoughts:
                delta = {"type": "thinking_delta", "thinking": thought}
                self.event("content_block_delta", {"index": 0, "delta": delta})
            # The signature comes last, just before the thinking block stops.
            signature = {"type": "signature_delta", "signature": "RXVGZmFrZXNpZ25hdHVyZQ=="}
            self.event("content_block_delta", {"index": 0, "delta": signature})
            self.event("content_block_stop", {"index": 0})
            index = 1
        block = {"type": "text", "text": ""}
        self.event("content_block_start", {"index": index, "content_block": block})
        self.event("ping", {})
        half = max(1, len(tokens) // 2)
        for i, token in enumerate(tokens):
            if scenario.name == "cut" and i == half:
                self.end_stream()
                return
            delta_event = {"index": index, "delta": {"type": "text_delta", "text": token}}
            if scenario.name == "drop" and i == half:
                payload = json.dumps({"type": "content_block_delta", **delta_event})
                self.drop_mid_chunk(f"event: content_block_delta\ndata: {payload}\n\n")
                return
            if scenario.name == "malformed" and i == half:
                self.write_chunk('event: content_block_delta\ndata: {"type": "content_blo\n\n')
                self.end_stream()
                return
            if scenario.name == "stream-error" and i == half:
                error = {"error": {"type": "overloaded_error", "message": "Overloaded"}}
                self.event("error", error)
                self.end_stream()
                return
            if scenario.name == "stall" and i == 1:
                self.hang()
                return
            silence = pacing.before(i)
            if silence and not self.wait(silence):
                return
            self.event("content_block_delta", delta_event)
        self.event("content_block_stop", {"index": index})
        self.event(
            "message_delta",
            {
                "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                "usage": {"output_tokens": len(thoughts) + len(tokens)},
            },
        )
        self.event("message_stop", {})
        self.end_stream()


class AnthropicServer(FakeServer):
    pass


def make_server(port: int = 0, api_key: str | None = None) -> AnthropicServer:
    return AnthropicServer(handler=AnthropicHandler, port=port, api_key=api_key)


if __name__ == "__main__":
    main(make_server, "A fake Anthropic Messages API server.")
