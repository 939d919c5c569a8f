"""How the routing endpoint talks to a provider of each wire format.

A dialect builds the upstream request from the agent's OpenAI-format body, turns a whole
answer into a `chat.completion`, and gives a stream translator. The URL and the auth
headers of each format come from `router.completions` and `router.providers` (the places
that already speak them for assessments); the body translations from `router.wire`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from router.completions.anthropic_messages import messages_url
from router.completions.gemini_generate import generate_url
from router.completions.openai_chat import OllamaChat, OpenAIChat
from router.errors import UnknownNameError
from router.providers.anthropic import anthropic_headers
from router.providers.catalog import ProviderConfig
from router.providers.gemini import gemini_headers
from router.providers.openai_compat import bearer
from router.wire import anthropic, gemini
from router.wire.openai import PassThroughStream, Usage, error_message
from router.wire.sse import Event


class StreamTranslator(Protocol):
    usage: Usage
    done: bool
    finish_reason: str | None
    error: str | None

    @property
    def content_started(self) -> bool: ...

    def feed(self, event: Event) -> list[bytes]: ...

    def close(self) -> list[bytes]: ...


@dataclass(frozen=True)
class Upstream:
    url: str
    body: dict[str, Any]
    headers: Callable[[str | None], dict[str, str]]


@dataclass(frozen=True)
class Call:
    """One request as the agent made it, with what the dialects need to know."""

    body: dict[str, Any]
    stream: bool
    include_usage: bool       # the agent asked for the usage chunk itself
    max_tokens: int           # for formats that require it (Anthropic)


class Dialect(Protocol):
    def request(self, cfg: ProviderConfig, name: str, call: Call) -> Upstream: ...

    def response(self, body: Any, model: str) -> dict[str, Any]: ...

    def stream(self, model: str, call: Call) -> StreamTranslator: ...

    def error_message(self, body: Any) -> str | None: ...


class OpenAICompatible:
    """Passed through: the body as the agent sent it, with the provider's model name."""

    def __init__(self, chat: OpenAIChat) -> None:
        self.chat = chat

    def request(self, cfg: ProviderConfig, name: str, call: Call) -> Upstream:
        body = dict(call.body)
        body["model"] = name
        if call.stream:
            options = dict(body.get("stream_options") or {})
            options["include_usage"] = True  # tokens and cost for the outcome
            body["stream_options"] = options
        return Upstream(self.chat.chat_url(cfg), body, bearer)

    def response(self, body: Any, model: str) -> dict[str, Any]:
        if not isinstance(body, dict) or not isinstance(body.get("choices"), list):
            raise ValueError("the answer has no `choices` list")
        return {**body, "model": model}

    def stream(self, model: str, call: Call) -> StreamTranslator:
        return PassThroughStream(model, hide_usage_chunk=not call.include_usage)

    def error_message(self, body: Any) -> str | None:
        return error_message(body)


class AnthropicDialect:
    def request(self, cfg: ProviderConfig, name: str, call: Call) -> Upstream:
        return Upstream(messages_url(cfg),
                        anthropic.request_body(call.body, name, call.max_tokens, call.stream),
                        anthropic_headers)

    def response(self, body: Any, model: str) -> dict[str, Any]:
        return anthropic.response(body, model)

    def stream(self, model: str, call: Call) -> StreamTranslator:
        return anthropic.Stream(model, call.include_usage)

    def error_message(self, body: Any) -> str | None:
        return error_message(body)


class GeminiDialect:
    def request(self, cfg: ProviderConfig, name: str, call: Call) -> Upstream:
        return Upstream(generate_url(cfg, name, call.stream), gemini.request_body(call.body),
                        gemini_headers)

    def response(self, body: Any, model: str) -> dict[str, Any]:
        return gemini.response(body, model)

    def stream(self, model: str, call: Call) -> StreamTranslator:
        return gemini.Stream(model, call.include_usage)

    def error_message(self, body: Any) -> str | None:
        return error_message(body)


_DIALECTS: dict[str, Dialect] = {
    "openai": OpenAICompatible(OpenAIChat()),
    "openrouter": OpenAICompatible(OpenAIChat()),
    "ollama": OpenAICompatible(OllamaChat()),
    "anthropic": AnthropicDialect(),
    "gemini": GeminiDialect(),
}


def dialect(wire: str) -> Dialect:
    try:
        return _DIALECTS[wire]
    except KeyError:
        raise UnknownNameError("wire format", wire, _DIALECTS) from None
