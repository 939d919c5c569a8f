"""The events routerx emits, built as plain dicts so router/ needs no Prefect.

`routerx.model.discovered` is what the `assess/on-discovery` deployment listens for.
The resource label `routerx.queued` says whether the model is a chat model queued for
assessment, so a trigger can ignore embedding or speech models without running a flow.
"""

from __future__ import annotations

from typing import Any

from router.discovery import DiscoveryReport

MODEL_DISCOVERED = "routerx.model.discovered"


def discovered_events(report: DiscoveryReport) -> list[dict[str, Any]]:
    queued = set(report.queued)
    events = []
    for provider, summary in report.providers.items():
        for model_id in summary.new:
            events.append({
                "event": MODEL_DISCOVERED,
                "resource": {
                    "prefect.resource.id": f"routerx.model.{model_id}",
                    "prefect.resource.name": model_id,
                    "routerx.provider": provider,
                    "routerx.queued": "true" if model_id in queued else "false",
                },
                "payload": {"model_id": model_id, "provider": provider,
                            "queued": model_id in queued},
            })
    return events
