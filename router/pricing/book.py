"""What a model costs: one price per model, from the best source that states one.

Precedence: the user's routerx.toml (`[prices."provider/model"]`, then
`[prices."provider/*"]`) > the provider's own statement (OpenRouter's model list, stored
by discovery) > models.dev. A model no source prices has an unknown cost: `cost_usd`
returns None and `price_source` says why, so an output can show "unknown" instead of a
silent zero (which would make the most expensive unknown model look free).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import httpx
from sqlmodel import Session, col, select

from router.config_file import PriceOverride, load_file_config
from router.placements import split_model_id
from router.pricing.models_dev import CatalogueCopy, models_dev_catalogue
from router.providers.catalog import BUILTIN, models_dev_id
from router.settings import Settings
from router.store import get_engine
from router.store.models import Model

PER = 1_000_000


@dataclass(frozen=True)
class Price:
    """USD per million tokens, and where that figure came from."""

    input_per_mtok: float
    output_per_mtok: float
    source: str

    def cost(self, tokens_in: float, tokens_out: float) -> float:
        """USD for these tokens (fractional counts: an estimate's expected tokens)."""
        return (tokens_in * self.input_per_mtok + tokens_out * self.output_per_mtok) / PER


class PriceBook:
    def __init__(
        self,
        overrides: Mapping[str, PriceOverride] | None = None,
        stated: Mapping[str, tuple[float, float]] | None = None,
        catalogue: CatalogueCopy | None = None,
    ) -> None:
        self.overrides = dict(overrides or {})
        self.stated = dict(stated or {})
        self.catalogue = catalogue or CatalogueCopy({}, None, "models.dev not loaded")

    def price(self, model_id: str) -> Price | None:
        provider, name = split_model_id(model_id)
        for key in (model_id, f"{provider}/*"):
            if key in self.overrides:
                o = self.overrides[key]
                return Price(o.input, o.output, f'routerx.toml [prices."{key}"]')
        if model_id in self.stated:
            inp, out = self.stated[model_id]
            return Price(inp, out, f"stated by {provider} in its model list")
        md_provider = models_dev_id(provider)
        entry = self.catalogue.model(md_provider, name) if md_provider else None
        cost = entry.get("cost", {}) if entry else {}
        if "input" in cost and "output" in cost:
            return Price(cost["input"], cost["output"],
                         f"{self.catalogue.note}: {md_provider}/{name}")
        return None

    def price_source(self, model_id: str) -> str:
        price = self.price(model_id)
        if price is not None:
            return price.source
        provider, _ = split_model_id(model_id)
        hint = f'add [prices."{model_id}"] input = ..., output = ... (USD per Mtok) to routerx.toml'
        if models_dev_id(provider) is None:
            return (f"unknown: {provider} has no catalogue price (local or custom endpoint); "
                    f"{hint}, or input = 0, output = 0 if it costs you nothing")
        return (f"unknown: no price from routerx.toml, from {provider}, or in models.dev "
                f"({self.catalogue.note}); {hint}")

    def cost_usd(self, model_id: str, tokens_in: int | None, tokens_out: int | None
                 ) -> float | None:
        """USD for one request; None when the price or a token count is unknown."""
        price = self.price(model_id)
        if price is None or tokens_in is None or tokens_out is None:
            return None
        return price.cost(tokens_in, tokens_out)

    def limits(self, model_id: str) -> tuple[int | None, int | None]:
        """(context, output) token limits models.dev states for the model, else None."""
        provider, name = split_model_id(model_id)
        md_provider = models_dev_id(provider)
        entry = self.catalogue.model(md_provider, name) if md_provider else None
        limit = entry.get("limit", {}) if entry else {}
        as_int = {k: int(v) if v else None for k, v in limit.items()}
        return as_int.get("context"), as_int.get("output")


def stated_prices(database_url: str | None = None) -> dict[str, tuple[float, float]]:
    """Prices the providers state themselves, as discovery stored them."""
    with Session(get_engine(database_url)) as session:
        rows = session.exec(select(Model).where(
            col(Model.input_price_per_mtok).is_not(None),
            col(Model.output_price_per_mtok).is_not(None),
        )).all()
    return {m.id: (float(m.input_price_per_mtok), float(m.output_price_per_mtok))  # type: ignore[arg-type]
            for m in rows}


async def load_price_book(
    settings: Settings,
    client: httpx.AsyncClient | None,
    database_url: str | None = None,
) -> PriceBook:
    """Every source at once: routerx.toml, the store's stated prices, models.dev.

    `client=None` reads models.dev only from the store's cached copy (no network).
    """
    overrides = load_file_config(settings.resolved_config_file, frozenset(BUILTIN)).prices
    catalogue = await models_dev_catalogue(settings, client, database_url)
    return PriceBook(overrides, stated_prices(database_url), catalogue)
