"""Gemini `models.list`: key in `x-goog-api-key` (never in a URL), `nextPageToken` pages."""

from __future__ import annotations

from typing import Any

from router.errors import ProviderResponseError
from router.providers.catalog import ProviderConfig
from router.providers.http import request_json
from router.providers.records import ModelRecord, positive_int
from router.providers.registry import MAX_PAGES, ListContext, adapter
from router.store.models import ModelKind


def gemini_headers(key: str | None) -> dict[str, str]:
    return {"x-goog-api-key": key} if key else {}


def _kind(methods: list[str]) -> str:
    if "generateContent" in methods:
        return ModelKind.CHAT
    if "embedContent" in methods or "embedText" in methods:
        return ModelKind.EMBEDDING
    if "predict" in methods or "predictLongRunning" in methods:
        return ModelKind.IMAGE
    if "bidiGenerateContent" in methods:
        return ModelKind.SPEECH
    return ModelKind.COMPLETION


def gemini_record(provider: str, m: dict[str, Any]) -> ModelRecord:
    methods = m.get("supportedGenerationMethods")
    return ModelRecord(
        provider=provider,
        name=str(m["name"]).removeprefix("models/"),
        display_name=m.get("displayName"),
        kind=_kind(methods if isinstance(methods, list) else []),
        context_window=positive_int(m.get("inputTokenLimit")),
        max_output_tokens=positive_int(m.get("outputTokenLimit")),
    )


@adapter("gemini")
async def list_gemini(cfg: ProviderConfig, ctx: ListContext) -> list[ModelRecord]:
    records: list[ModelRecord] = []
    params: dict[str, Any] = {"pageSize": 1000}
    for _ in range(MAX_PAGES):
        body = await request_json(
            ctx.client, cfg.name, f"{cfg.base_url}/v1beta/models", params=params,
            headers=gemini_headers, keys=cfg.keys, policy=ctx.policy, timeout=ctx.timeout,
        )
        models = body.get("models", []) if isinstance(body, dict) else None
        if not isinstance(models, list):
            raise ProviderResponseError(cfg.name, "models.list answered without a `models` list")
        records.extend(
            gemini_record(cfg.name, m) for m in models if isinstance(m, dict) and "name" in m
        )
        token = body.get("nextPageToken")
        if not token:
            return records
        params = {"pageSize": 1000, "pageToken": token}
    raise ProviderResponseError(cfg.name, f"model list did not end after {MAX_PAGES} pages")
