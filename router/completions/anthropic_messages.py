"""Anthropic Messages, `POST /v1/messages`.

System prompts travel in the top-level `system` field, not as a message; `max_tokens`
is required; there is no seed parameter, so a seed is not sent (the answer does not
depend on it, and the assessment records the seed it asked for, not one applied).
"""

from __future__ import annotations

from typing import Any

from router.completions.records import (
    CompletionRequest,
    WireReply,
    WireRequest,
    count,
    total,
)
from router.completions.registry import wire_format
from router.errors import ProviderResponseError
from router.json_values import obj
from router.providers.anthropic import anthropic_headers
from router.providers.catalog import ProviderConfig


def messages_url(cfg: ProviderConfig) -> str:
    """Where Anthropic Messages are posted (the assessment and the routing endpoint)."""
    return f"{cfg.base_url}/v1/messages"


@wire_format("anthropic")
class AnthropicMessages:
    def request(self, cfg: ProviderConfig, req: CompletionRequest) -> WireRequest:
        system = "\n\n".join(m["content"] for m in req.messages if m["role"] == "system")
        body: dict[str, Any] = {
            "model": req.model,
            "max_tokens": req.max_tokens,
            "temperature": req.temperature,
            "messages": [m for m in req.messages if m["role"] != "system"],
        }
        if system:
            body["system"] = system
        return WireRequest(messages_url(cfg), body, anthropic_headers)

    def parse(self, provider: str, body: Any) -> WireReply:
        content = body.get("content") if isinstance(body, dict) else None
        if not isinstance(content, list):
            raise ProviderResponseError(provider, "POST /v1/messages answered without `content`")
        text = "".join(
            str(block.get("text", "")) for block in content
            if isinstance(block, dict) and block.get("type") == "text"
        )
        usage = obj(body.get("usage"))
        return WireReply(
            text=text,
            # input_tokens excludes cached prompt tokens; add them so tokens_in is the
            # whole prompt, as with the other formats.
            tokens_in=total(usage.get("input_tokens"), usage.get("cache_creation_input_tokens"),
                            usage.get("cache_read_input_tokens")),
            tokens_out=count(usage.get("output_tokens")),
            finish_reason=body.get("stop_reason"),
        )
