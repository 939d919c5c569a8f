"""OpenRouter: OpenAI-compatible `/models`, plus stated prices, limits and modalities."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from router.json_values import obj
from router.providers.catalog import ProviderConfig
from router.providers.http import request_json
from router.providers.openai_compat import bearer, model_entries, openai_record
from router.providers.records import ModelRecord, per_token_to_per_mtok, positive_int
from router.providers.registry import ListContext, adapter
from router.store.models import ModelKind


def _kind(m: dict[str, Any], fallback: str) -> str:
    arch = obj(m.get("architecture"))
    outputs = arch.get("output_modalities")
    if isinstance(outputs, list) and outputs:
        if "text" in outputs:
            return ModelKind.CHAT
        if "image" in outputs:
            return ModelKind.IMAGE
        if "audio" in outputs:
            return ModelKind.SPEECH
    modality = arch.get("modality")
    if isinstance(modality, str) and "->" in modality:
        return ModelKind.CHAT if "text" in modality.split("->", 1)[1] else ModelKind.IMAGE
    return fallback


def openrouter_record(provider: str, m: dict[str, Any]) -> ModelRecord:
    base = openai_record(provider, m)
    pricing = obj(m.get("pricing"))
    top = obj(m.get("top_provider"))
    return replace(
        base,
        kind=_kind(m, base.kind),
        context_window=positive_int(m.get("context_length"), top.get("context_length")),
        max_output_tokens=positive_int(top.get("max_completion_tokens")),
        input_price_per_mtok=per_token_to_per_mtok(pricing.get("prompt")),
        output_price_per_mtok=per_token_to_per_mtok(pricing.get("completion")),
    )


@adapter("openrouter")
async def list_openrouter(cfg: ProviderConfig, ctx: ListContext) -> list[ModelRecord]:
    body = await request_json(
        ctx.client, cfg.name, f"{cfg.base_url}/models",
        headers=bearer, keys=cfg.keys, policy=ctx.policy, timeout=ctx.timeout,
    )
    return [openrouter_record(cfg.name, m) for m in model_entries(cfg.name, body)]
