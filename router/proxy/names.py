"""The model names the routing endpoint answers to.

    routerx/auto           the default category (ROUTERX_DEFAULT_CATEGORY), or the one
                           named by the `x-routerx-category` header
    routerx/<category>     routed within that category
    <provider>/<model>     that placed model directly: no routing, no fallback

The `routerx/` prefix may be left off (`auto`, `code-generation`): OpenCode's
`@ai-sdk/openai-compatible` sends the model's key inside its provider entry, so a
`routerx` provider whose models are `auto` and the categories sends exactly those.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from router.errors import InputError
from router.ids import check_category, check_model_id, shown
from router.routing_table import RoutingTable

PREFIX = "routerx/"
AUTO = "auto"


@dataclass(frozen=True)
class Target:
    """What a requested name means: a category to route in, or one model to use."""

    category: str | None
    model: str | None = None

    @property
    def routed(self) -> bool:
        return self.model is None


def resolve(name: object, table: RoutingTable, default_category: str,
            header_category: str | None = None) -> Target:
    """The Target of a requested `model`; InputError naming the known names otherwise."""
    if not isinstance(name, str) or not name:
        raise InputError("`model` is required: routerx/auto, routerx/<category> or a placed "
                         "model id (GET /v1/models lists them)")
    bare = name.removeprefix(PREFIX)
    if bare == AUTO:
        category = header_category or default_category
        return Target(check_category(category, "x-routerx-category"))
    if "/" not in bare:
        check_category(bare, "model")
        if bare not in table.categories:
            raise InputError(f"model {shown(name)} names no category routerx has placements "
                             f"for; known: {', '.join(names(table)[:20])}")
        return Target(bare)
    model = check_model_id(bare, "model")
    if model not in placed_models(table):
        raise InputError(f"model {shown(name)} is not a placed model; ask for routerx/auto or "
                         "routerx/<category>, or see GET /v1/models")
    return Target(None, model)


def placed_models(table: RoutingTable) -> list[str]:
    seen: dict[str, None] = {}
    for category in sorted(table.categories):
        for model in table.categories[category].models:
            seen.setdefault(model, None)
    return list(seen)


def names(table: RoutingTable) -> list[str]:
    """Every name `/v1/models` lists, routed ones first."""
    return ([PREFIX + AUTO] + [PREFIX + c for c in sorted(table.categories)]
            + placed_models(table))


def model_list(table: RoutingTable) -> dict[str, object]:
    """OpenAI's `GET /models` answer."""
    created = int(time.time())
    return {"object": "list", "data": [
        {"id": n, "object": "model", "created": created,
         "owned_by": "routerx" if n.startswith(PREFIX) else n.split("/", 1)[0]}
        for n in names(table)]}
