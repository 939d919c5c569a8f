"""Tuning of the runtime router, read from `ROUTERX_*` environment variables.

Kept apart from `router.settings` (store URL, provider keys) because these values only
shape routing and learning; every one has a default that the learning simulation
(`scripts/sim_learning.py`) was run with.
"""

from __future__ import annotations

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from router.errors import ConfigError
from router.reward import RewardWeights


class RouterConfig(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True, frozen=True)

    default_category: str = Field(
        default="code-generation",
        min_length=1,
        validation_alias="ROUTERX_DEFAULT_CATEGORY",
        description="used, and said so in the reason, when a route names an unknown category",
    )
    refresh_seconds: float = Field(
        default=1.0,
        ge=0,
        validation_alias="ROUTERX_REFRESH_SECONDS",
        description="how often a router checks the store's version counters (0: every route)",
    )
    discount: float = Field(
        default=0.99,
        gt=0,
        le=1,
        validation_alias="ROUTERX_DISCOUNT",
        description="per-update decay of a model's evidence: it rests on about "
        "1 / (1 - discount) recent outcomes (0.99: 100)",
    )
    tracker_window: int = Field(
        default=1000, ge=1, validation_alias="ROUTERX_TRACKER_WINDOW",
        description="latency percentiles cover this many most recent outcomes per model",
    )
    lookback_days: float = Field(
        default=30.0, gt=0, validation_alias="ROUTERX_LOOKBACK_DAYS",
        description="outcomes this recent are loaded into the tracker and posteriors on start",
    )
    latency_weight: float = Field(
        default=0.1, ge=0, le=1, validation_alias="ROUTERX_LATENCY_WEIGHT",
        description="share of the reward given to latency (the rest: success, cost)"
    )
    cost_weight: float = Field(default=0.1, ge=0, le=1, validation_alias="ROUTERX_COST_WEIGHT",
        description="share of the reward given to cost")
    latency_target_ms: float | None = Field(
        default=None, gt=0, validation_alias="ROUTERX_LATENCY_TARGET_MS",
        description="latency that scores full marks (default: the category's observed range)"
    )
    cost_target_usd: float | None = Field(
        default=None, gt=0, validation_alias="ROUTERX_COST_TARGET_USD",
        description="cost per task that scores full marks (default: the category's observed range)"
    )
    stuck_after: int = Field(
        default=2, ge=1, validation_alias="ROUTERX_STUCK_AFTER",
        description="a task that fails this many times in a row with one model moves on",
    )
    session_discovery_stale_seconds: float = Field(
        default=3600.0, gt=0, validation_alias="ROUTERX_SESSION_DISCOVERY_STALE_SECONDS",
        description="POST /v1/session-start polls providers only if the last poll is older",
    )

    @model_validator(mode="after")
    def _weights_fit(self) -> RouterConfig:
        if self.latency_weight + self.cost_weight > 1:
            raise ValueError(
                "ROUTERX_LATENCY_WEIGHT + ROUTERX_COST_WEIGHT must be at most 1 "
                f"(got {self.latency_weight} + {self.cost_weight})"
            )
        return self

    @property
    def reward_weights(self) -> RewardWeights:
        return RewardWeights(
            latency=self.latency_weight,
            cost=self.cost_weight,
            latency_target_ms=self.latency_target_ms,
            cost_target_usd=self.cost_target_usd,
        )


def load_router_config(**overrides: object) -> RouterConfig:
    """The environment's router configuration, with keyword overrides, or one clear error."""
    try:
        return RouterConfig(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first.get("loc", ())) or "router configuration"
        raise ConfigError(f"{loc}: {first.get('msg')} (got {first.get('input')!r})") from None
