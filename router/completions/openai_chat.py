"""OpenAI-compatible `POST /chat/completions`.

Spoken by OpenAI, Groq, Cerebras, NVIDIA, OpenRouter, the custom endpoints of
routerx.toml (vLLM, LM Studio, llama.cpp) and Ollama, whose compatible API lives under
`/v1` of OLLAMA_HOST (its model list, `/api/tags`, does not).
"""

from __future__ import annotations

from typing import Any

from router.completions.records import CompletionRequest, WireReply, WireRequest, count
from router.completions.registry import wire_format
from router.errors import ProviderResponseError
from router.json_values import obj
from router.providers.catalog import ProviderConfig
from router.providers.openai_compat import bearer

# OpenAI's own API refuses `max_tokens` for its reasoning models and accepts
# `max_completion_tokens` for all; most compatible servers know only `max_tokens`.
_MAX_TOKENS_FIELD = {"openai": "max_completion_tokens"}


def _content_text(content: Any) -> str | None:
    """`content` is a string, or (some servers) a list of typed parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content
                       if isinstance(p, dict) and p.get("type") in (None, "text"))
    return None


@wire_format("openai", "openrouter")
class OpenAIChat:
    def base_url(self, cfg: ProviderConfig) -> str:
        return str(cfg.base_url)

    def chat_url(self, cfg: ProviderConfig) -> str:
        return f"{self.base_url(cfg)}/chat/completions"

    def request(self, cfg: ProviderConfig, req: CompletionRequest) -> WireRequest:
        body: dict[str, Any] = {
            "model": req.model,
            "messages": list(req.messages),
            "temperature": req.temperature,
            _MAX_TOKENS_FIELD.get(cfg.name, "max_tokens"): req.max_tokens,
            "stream": False,
        }
        if req.seed is not None:
            body["seed"] = req.seed
        return WireRequest(self.chat_url(cfg), body, bearer)

    def parse(self, provider: str, body: Any) -> WireReply:
        choices = body.get("choices") if isinstance(body, dict) else None
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            error = body.get("error") if isinstance(body, dict) else None
            if isinstance(error, dict):
                error = error.get("message") or error
            detail = f" (it said: {str(error)[:200]})" if error else ""
            raise ProviderResponseError(
                provider, f"POST /chat/completions answered without `choices`{detail}"
            )
        choice = choices[0]
        message = obj(choice.get("message"))
        text = _content_text(message.get("content"))
        if text is None:
            # No content: a refusal, or only tool calls. An empty answer is a verdict
            # for the benchmark to judge, not a transport failure.
            text = ""
        usage = obj(body.get("usage"))
        return WireReply(
            text=text,
            tokens_in=count(usage.get("prompt_tokens")),
            tokens_out=count(usage.get("completion_tokens")),
            finish_reason=choice.get("finish_reason"),
        )


@wire_format("ollama")
class OllamaChat(OpenAIChat):
    def base_url(self, cfg: ProviderConfig) -> str:
        base = str(cfg.base_url)
        if "://" not in base:  # Ollama's own convention allows OLLAMA_HOST=127.0.0.1:11434
            base = f"http://{base}"
        return f"{base}/v1"
