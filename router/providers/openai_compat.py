"""OpenAI-compatible `/models` (OpenAI, Groq, Cerebras, NVIDIA, vLLM, LM Studio, llama.cpp)."""

from __future__ import annotations

from typing import Any

from router.errors import ProviderResponseError
from router.providers.catalog import ProviderConfig
from router.providers.http import request_json
from router.providers.records import ModelRecord, epoch_or_none, kind_from_id, positive_int
from router.providers.registry import ListContext, adapter


def bearer(key: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"} if key else {}


def model_entries(provider: str, body: Any) -> list[dict[str, Any]]:
    """The list of model objects: `{"data": [...]}`, or a bare list (some servers)."""
    data = body.get("data") if isinstance(body, dict) else body
    if not isinstance(data, list) or not all(isinstance(m, dict) and "id" in m for m in data):
        raise ProviderResponseError(
            provider, "GET /models answered without a `data` list of models with an `id`"
        )
    return data


def openai_record(provider: str, m: dict[str, Any]) -> ModelRecord:
    name = str(m["id"])
    return ModelRecord(
        provider=provider,
        name=name,
        display_name=m.get("name") if isinstance(m.get("name"), str) else None,
        kind=kind_from_id(name),
        # Groq states context_window, vLLM max_model_len; OpenAI and Cerebras state none.
        context_window=positive_int(m.get("context_window"), m.get("context_length"),
                                    m.get("max_model_len")),
        max_output_tokens=positive_int(m.get("max_completion_tokens"),
                                       m.get("max_output_tokens")),
        created_at=epoch_or_none(m.get("created")),
    )


@adapter("openai")
async def list_openai(cfg: ProviderConfig, ctx: ListContext) -> list[ModelRecord]:
    body = await request_json(
        ctx.client, cfg.name, f"{cfg.base_url}/models",
        headers=bearer, keys=cfg.keys, policy=ctx.policy, timeout=ctx.timeout,
    )
    return [openai_record(cfg.name, m) for m in model_entries(cfg.name, body)]
