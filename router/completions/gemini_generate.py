"""Gemini `POST /v1beta/models/{model}:generateContent`.

The key goes in the `x-goog-api-key` header, never in the URL (`?key=` would put it in
every proxy and access log). Assistant turns are role `model`; system prompts travel in
`systemInstruction`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from router.completions.records import CompletionRequest, WireReply, WireRequest, total
from router.completions.registry import wire_format
from router.errors import ProviderResponseError
from router.json_values import array, obj
from router.providers.catalog import ProviderConfig
from router.providers.gemini import gemini_headers


def _parts(text: str) -> list[dict[str, str]]:
    return [{"text": text}]


def generate_url(cfg: ProviderConfig, model: str, stream: bool = False) -> str:
    """`generateContent`, or `streamGenerateContent` as server-sent events."""
    name = quote(model.removeprefix("models/"), safe="-._~")
    if stream:
        return f"{cfg.base_url}/v1beta/models/{name}:streamGenerateContent?alt=sse"
    return f"{cfg.base_url}/v1beta/models/{name}:generateContent"


@wire_format("gemini")
class GeminiGenerate:
    def request(self, cfg: ProviderConfig, req: CompletionRequest) -> WireRequest:
        system = "\n\n".join(m["content"] for m in req.messages if m["role"] == "system")
        config: dict[str, Any] = {
            "temperature": req.temperature, "maxOutputTokens": req.max_tokens,
        }
        if req.seed is not None:
            config["seed"] = req.seed
        body: dict[str, Any] = {
            "contents": [
                {"role": "model" if m["role"] == "assistant" else "user",
                 "parts": _parts(m["content"])}
                for m in req.messages if m["role"] != "system"
            ],
            "generationConfig": config,
        }
        if system:
            body["systemInstruction"] = {"parts": _parts(system)}
        return WireRequest(generate_url(cfg, req.model), body, gemini_headers)

    def parse(self, provider: str, body: Any) -> WireReply:
        if not isinstance(body, dict):
            raise ProviderResponseError(provider, "generateContent answered with no JSON object")
        usage = obj(body.get("usageMetadata"))
        tokens_in = total(usage.get("promptTokenCount"))
        # Thinking tokens are billed as output; candidatesTokenCount leaves them out.
        tokens_out = total(usage.get("candidatesTokenCount"), usage.get("thoughtsTokenCount"))
        candidates = body.get("candidates")
        if not isinstance(candidates, list) or not candidates:
            feedback = body.get("promptFeedback")
            reason = feedback.get("blockReason") if isinstance(feedback, dict) else None
            if reason:  # the prompt was refused: an empty answer, with the reason
                return WireReply("", tokens_in, tokens_out, f"blocked:{reason}")
            raise ProviderResponseError(provider, "generateContent answered without candidates")
        first = obj(candidates[0])
        content = obj(first.get("content"))
        parts = array(content.get("parts"))
        text = "".join(
            str(p.get("text", "")) for p in parts if isinstance(p, dict) and not p.get("thought")
        )
        return WireReply(text, tokens_in, tokens_out, first.get("finishReason"))
