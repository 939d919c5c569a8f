"""Anthropic `GET /v1/models`: `x-api-key` and `anthropic-version`, `has_more`/`after_id`."""

from __future__ import annotations

from typing import Any

from router.errors import ProviderResponseError
from router.providers.catalog import ProviderConfig
from router.providers.http import request_json
from router.providers.records import ModelRecord, iso_or_none, positive_int
from router.providers.registry import MAX_PAGES, ListContext, adapter

ANTHROPIC_VERSION = "2023-06-01"


def anthropic_headers(key: str | None) -> dict[str, str]:
    headers = {"anthropic-version": ANTHROPIC_VERSION}
    if key:
        headers["x-api-key"] = key
    return headers


def anthropic_record(provider: str, m: dict[str, Any]) -> ModelRecord:
    return ModelRecord(
        provider=provider,
        name=str(m["id"]),
        display_name=m.get("display_name"),
        context_window=positive_int(m.get("max_input_tokens")),
        max_output_tokens=positive_int(m.get("max_tokens")),
        created_at=iso_or_none(m.get("created_at")),
    )


@adapter("anthropic")
async def list_anthropic(cfg: ProviderConfig, ctx: ListContext) -> list[ModelRecord]:
    records: list[ModelRecord] = []
    params: dict[str, Any] = {"limit": 100}
    for _ in range(MAX_PAGES):
        body = await request_json(
            ctx.client, cfg.name, f"{cfg.base_url}/v1/models", params=params,
            headers=anthropic_headers, keys=cfg.keys, policy=ctx.policy, timeout=ctx.timeout,
        )
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list):
            raise ProviderResponseError(cfg.name, "GET /v1/models answered without a `data` list")
        records.extend(anthropic_record(cfg.name, m) for m in data if isinstance(m, dict))
        if not body.get("has_more"):
            return records
        last_id = body.get("last_id") or (data[-1].get("id") if data else None)
        if not last_id:
            raise ProviderResponseError(cfg.name, "has_more is true but no last_id to continue")
        params = {"limit": 100, "after_id": last_id}
    raise ProviderResponseError(cfg.name, f"model list did not end after {MAX_PAGES} pages")
