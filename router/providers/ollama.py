"""Ollama `GET /api/tags`: local models, ids keep their tag (`ollama/qwen2.5-coder:7b`)."""

from __future__ import annotations

from typing import Any

from router.errors import ProviderResponseError
from router.json_values import obj
from router.providers.catalog import ProviderConfig
from router.providers.http import request_json
from router.providers.records import ModelRecord, kind_from_id
from router.providers.registry import ListContext, adapter
from router.store.models import ModelKind

_EMBEDDING_FAMILIES = {"bert", "nomic-bert", "xlm-roberta", "jina-bert-v2"}


def ollama_record(provider: str, m: dict[str, Any]) -> ModelRecord:
    name = str(m.get("name") or m.get("model"))
    details = obj(m.get("details"))
    families = set(details.get("families") or []) | {details.get("family")}
    kind = ModelKind.EMBEDDING if families & _EMBEDDING_FAMILIES else kind_from_id(name)
    return ModelRecord(provider=provider, name=name, display_name=name, kind=kind)


@adapter("ollama")
async def list_ollama(cfg: ProviderConfig, ctx: ListContext) -> list[ModelRecord]:
    body = await request_json(
        ctx.client, cfg.name, f"{cfg.base_url}/api/tags", policy=ctx.policy, timeout=ctx.timeout
    )
    models = body.get("models") if isinstance(body, dict) else None
    if not isinstance(models, list):
        raise ProviderResponseError(cfg.name, "GET /api/tags answered without a `models` list")
    return [ollama_record(cfg.name, m) for m in models if isinstance(m, dict)
            and (m.get("name") or m.get("model"))]
