"""Wire-format bodies of each provider's model list, as the providers document them."""

from __future__ import annotations

from typing import Any

from tests.fakes.http_server import Recorded, Reply


def openai_list(ids: list[str], **extra: Any) -> dict[str, Any]:
    return {"object": "list", "data": [
        {"id": i, "object": "model", "created": 1_700_000_000, "owned_by": "system", **extra}
        for i in ids
    ]}


def anthropic_paged(ids: list[str], page_size: int = 2):  # noqa: ANN201
    """A handler that pages like Anthropic: `limit`, `after_id`, `has_more`, `last_id`."""

    def handler(rec: Recorded) -> Reply:
        after = rec.query.get("after_id", [None])[0]
        start = ids.index(after) + 1 if after else 0
        page = ids[start:start + page_size]
        return Reply(200, {
            "data": [{"type": "model", "id": i, "display_name": i.title(),
                      "created_at": "2025-02-19T00:00:00Z"} for i in page],
            "has_more": start + page_size < len(ids),
            "first_id": page[0] if page else None,
            "last_id": page[-1] if page else None,
        })

    return handler


def gemini_paged(models: list[dict[str, Any]], page_size: int = 2):  # noqa: ANN201
    """A handler that pages like Gemini models.list: `pageToken` / `nextPageToken`."""

    def handler(rec: Recorded) -> Reply:
        token = rec.query.get("pageToken", ["0"])[0]
        start = int(token)
        body: dict[str, Any] = {"models": models[start:start + page_size]}
        if start + page_size < len(models):
            body["nextPageToken"] = str(start + page_size)
        return Reply(200, body)

    return handler


def gemini_model(name: str, methods: list[str], inp: int = 1_048_576, out: int = 8192) -> dict:
    return {"name": f"models/{name}", "displayName": name.upper(), "inputTokenLimit": inp,
            "outputTokenLimit": out, "supportedGenerationMethods": methods}


def ollama_tags(names: list[str]) -> dict[str, Any]:
    return {"models": [
        {"name": n, "model": n, "modified_at": "2024-05-01T10:00:00Z", "size": 1,
         "details": {"family": "nomic-bert" if "embed" in n else "qwen2",
                     "families": None, "parameter_size": "7B"}}
        for n in names
    ]}
