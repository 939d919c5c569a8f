"""The data model of DESIGN.md as SQLModel tables.

Each entity comes in up to three shapes: `*Base` (the fields a caller supplies),
the table class (adds keys and bookkeeping), and `*Public` (what the CLI and the HTTP
API show). Schema changes go through numbered Alembic migrations in
`router/store/migrations/versions/`; never change a table here without one.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from router.outcome_schema import TEXT_LIMITS
from router.store.types import UTCDateTime, utcnow


def _ts(nullable: bool = False, **kw: Any) -> Any:
    return Field(sa_type=UTCDateTime, nullable=nullable, **kw)


def _json(default: Any = None) -> Any:
    factory = (lambda: list(default)) if isinstance(default, list) else None
    if factory is not None:
        return Field(default_factory=factory, sa_column=Column(JSON, nullable=False))
    return Field(default=default, sa_column=Column(JSON, nullable=True))


class ModelStatus(StrEnum):
    """Where a catalogued model stands.

    `catalogued` holds models that are not chat models (embedding, speech, image,
    moderation): they are listed, never queued for assessment.
    """

    NEW = "new"
    ASSESSING = "assessing"
    ASSESSED = "assessed"
    FAILED = "failed"
    RETIRED = "retired"
    CATALOGUED = "catalogued"


class RunStatus(StrEnum):
    """How a benchmark run ended.

    `incomplete`: more than `MAX_INFRA_SHARE` of the samples are infrastructure outcomes
    (benchmarks/verdicts.py), or a budget stopped the run before every sample was asked
    (`error` says which); either way the run says too little about the model to be
    scored. `failed`: the run stopped (a provider that rejects the key, a sandbox that
    would not start); what it stored is kept for a rerun. `decided`: an adaptive run
    (`assess --adaptive`) stopped once the model's layer was decided at the stated
    confidence; it is scored as adaptive evidence (`BenchmarkScore.adaptive`) and a later
    run of every task replaces it.
    """

    RUNNING = "running"
    COMPLETED = "completed"
    DECIDED = "decided"
    INCOMPLETE = "incomplete"
    FAILED = "failed"


class ModelKind(StrEnum):
    CHAT = "chat"
    COMPLETION = "completion"
    EMBEDDING = "embedding"
    SPEECH = "speech"
    IMAGE = "image"
    MODERATION = "moderation"


# --- model catalogue -------------------------------------------------------------------


class ModelBase(SQLModel):
    id: str = Field(primary_key=True, max_length=300, description="provider/model")
    provider: str = Field(index=True, max_length=100)
    name: str = Field(max_length=300, description="the provider's own id for the model")
    display_name: str | None = None
    kind: str = Field(default=ModelKind.CHAT, max_length=20)
    can_chat: bool = True
    context_window: int | None = None
    max_output_tokens: int | None = None
    created_at: datetime | None = _ts(nullable=True)
    input_price_per_mtok: float | None = None
    output_price_per_mtok: float | None = None


class Model(ModelBase, table=True):
    __tablename__ = "model"

    status: str = Field(default=ModelStatus.NEW, index=True, max_length=20)
    status_reason: str | None = None
    first_seen: datetime = _ts(default_factory=utcnow)
    last_seen: datetime = _ts(default_factory=utcnow)
    retired_at: datetime | None = _ts(nullable=True)
    retired_from: str | None = Field(default=None, max_length=20)


class ModelPublic(ModelBase):
    status: str
    status_reason: str | None
    first_seen: datetime
    last_seen: datetime


# --- discovery -------------------------------------------------------------------------


class DiscoverySnapshot(SQLModel, table=True):
    """One poll of one provider: what it listed, or why it could not be polled."""

    __tablename__ = "discovery_snapshot"
    __table_args__ = (Index("ix_snapshot_provider_time", "provider", "polled_at"),)

    id: int | None = Field(default=None, primary_key=True)
    provider: str = Field(max_length=100)
    polled_at: datetime = _ts(default_factory=utcnow)
    status: str = Field(max_length=20, description="ok, error or skipped")
    model_ids: list[str] = _json([])
    new_ids: list[str] = _json([])
    removed_ids: list[str] = _json([])
    restored_ids: list[str] = _json([])
    error: str | None = None
    duration_ms: float | None = None


# --- benchmarks ------------------------------------------------------------------------


class BenchmarkRun(SQLModel, table=True):
    """One (model, benchmark, subset, protocol) measurement; reruns resume it.

    `task_set` is the hash of the sorted task ids the run covers (`task_count` of them)
    and `task_scope` says how they were chosen (`all`, `first 20`, `5 chosen`), so a
    smoke run is told from a full one without loading the benchmark again.
    """

    __tablename__ = "benchmark_run"
    __table_args__ = (UniqueConstraint("run_key", name="uq_benchmark_run_key"),)

    id: int | None = Field(default=None, primary_key=True)
    run_key: str = Field(max_length=64, description="hash of every parameter that shapes results")
    model_id: str = Field(foreign_key="model.id", index=True, max_length=300)
    benchmark: str = Field(max_length=50)
    subset: dict[str, Any] | None = _json()
    task_set: str = Field(default="", max_length=64)
    task_count: int = 0
    task_scope: str = Field(default="all", max_length=50)
    samples_per_task: int = 1
    temperature: float = 0.0
    seed: int | None = None
    protocol_version: str = Field(max_length=50)
    status: str = Field(default=RunStatus.RUNNING, max_length=20)
    flow_run_id: str | None = Field(default=None, max_length=64)
    error: str | None = None
    started_at: datetime = _ts(default_factory=utcnow)
    finished_at: datetime | None = _ts(nullable=True)


class SampleResult(SQLModel, table=True):
    __tablename__ = "sample_result"
    __table_args__ = (
        UniqueConstraint("run_id", "task_id", "sample_index", name="uq_sample_run_task_index"),
    )

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="benchmark_run.id", index=True)
    task_id: str = Field(max_length=200)
    sample_index: int
    prompt_hash: str = Field(max_length=64)
    completion: str | None = None
    passed: bool
    verdict: str = Field(max_length=20)
    detail: str | None = None
    latency_ms: float | None = None
    tokens_in: int | None = None
    tokens_out: int | None = None
    cost_usd: float | None = None
    created_at: datetime = _ts(default_factory=utcnow)


class BenchmarkScore(SQLModel, table=True):
    """A model's score on one measurement: benchmark, protocol, task set, samples, temperature.

    Why all of them in the key: a 3-task smoke run and a 164-task run are different
    measurements; keyed by benchmark and protocol alone the smoke run replaced the full
    one. Only scores with equal keys (model aside) are compared (`z_score`). `placed`
    and `not_placed_reason` are written by the placement step: whether this score is the
    evidence behind the model's placements, and if not, why (a smoke run, another
    protocol...). `infra_samples` counts the samples left out as infrastructure outcomes.
    """

    __tablename__ = "benchmark_score"
    __table_args__ = (
        UniqueConstraint("model_id", "benchmark", "protocol_version", "task_set", "task_count",
                         "samples_per_task", "temperature", name="uq_score_measurement"),
    )

    id: int | None = Field(default=None, primary_key=True)
    model_id: str = Field(foreign_key="model.id", index=True, max_length=300)
    benchmark: str = Field(max_length=50)
    protocol_version: str = Field(max_length=50)
    task_set: str = Field(default="", max_length=64)
    task_count: int = 0
    task_scope: str = Field(default="all", max_length=50)
    samples_per_task: int = 1
    temperature: float = 0.0
    run_id: int | None = Field(default=None, foreign_key="benchmark_run.id")
    n_tasks: int
    n_samples: int
    pass_at_1: float
    pass_at_k: dict[str, float] | None = _json()
    ci_low: float
    ci_high: float
    z_score: float | None = None
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None
    cost_per_solved_usd: float | None = None
    robustness: float | None = None
    error_rate: float | None = None
    infra_samples: int = 0
    verdicts: dict[str, int] | None = _json()
    placed: bool = False
    not_placed_reason: str | None = None
    #: the decision of an adaptive run (benchmarks.assessment.decide); None: every task
    adaptive: dict[str, Any] | None = _json()
    computed_at: datetime = _ts(default_factory=utcnow)


# --- placements ------------------------------------------------------------------------


class PlacementBase(SQLModel):
    model_id: str = Field(foreign_key="model.id", max_length=300)
    category: str = Field(max_length=100, index=True)
    layer: int = Field(ge=1, le=6)
    rank_score: float
    provisional: bool = False
    pass_rate: float | None = Field(default=None, ge=0, le=1)
    stale: bool = False
    stale_reason: str | None = None


class Placement(PlacementBase, table=True):
    """A model's layer in a category. `stale` marks a placement kept from the last
    complete measurement while a newer attempt failed, stopped early or ran under an
    older protocol: it still routes, and says why it may be out of date."""

    __tablename__ = "placement"
    __table_args__ = (UniqueConstraint("model_id", "category", name="uq_placement_model_cat"),)

    id: int | None = Field(default=None, primary_key=True)
    evidence: dict[str, Any] | None = _json()
    assessed_at: datetime = _ts(default_factory=utcnow)


class PlacementPublic(PlacementBase):
    assessed_at: datetime


class FallbackTable(SQLModel, table=True):
    __tablename__ = "fallback_table"
    __table_args__ = (UniqueConstraint("category", "version", name="uq_fallback_cat_version"),)

    id: int | None = Field(default=None, primary_key=True)
    category: str = Field(max_length=100, index=True)
    version: int
    models: list[str] = _json([])
    created_at: datetime = _ts(default_factory=utcnow)


# --- live outcomes and exploration -----------------------------------------------------


class OutcomeBase(SQLModel):
    """An outcome as stored; its text columns are sized by `router.outcome_schema`."""

    task_id: str | None = Field(default=None, max_length=TEXT_LIMITS["task_id"])
    category: str = Field(max_length=TEXT_LIMITS["category"])
    model_id: str = Field(max_length=TEXT_LIMITS["model"])
    provider: str = Field(max_length=100)
    is_exploration: bool = False
    success: bool
    accuracy: float | None = Field(default=None, ge=0, le=1)
    latency_ms: float | None = Field(default=None, ge=0)
    cost_usd: float | None = Field(default=None, ge=0)
    tokens_in: int | None = Field(default=None, ge=0)
    tokens_out: int | None = Field(default=None, ge=0)
    complexity: str | None = Field(default=None, max_length=TEXT_LIMITS["complexity"])
    file_size: int | None = Field(default=None, ge=0)
    language: str | None = Field(default=None, max_length=TEXT_LIMITS["language"])


class Outcome(OutcomeBase, table=True):
    """The plan's `model_performance` table: one row per live task outcome."""

    __tablename__ = "outcome"
    __table_args__ = (
        Index("ix_outcome_model_category", "model_id", "category"),
        Index("ix_outcome_recorded_at", "recorded_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    recorded_at: datetime = _ts(default_factory=utcnow)


class ExplorationState(SQLModel, table=True):
    """A single row (id 1): shared by every router process, survives restarts."""

    __tablename__ = "exploration_state"

    id: int = Field(default=1, primary_key=True)
    active: bool = False
    mode: str = Field(default="balanced", max_length=20)
    budget: float = Field(default=0.0, ge=0, le=100)
    prior_strength: float | None = None
    updated_at: datetime = _ts(default_factory=utcnow)


class StoreMeta(SQLModel, table=True):
    """Monotonic counters, e.g. `placements_version`, for cheap cache invalidation."""

    __tablename__ = "store_meta"

    key: str = Field(primary_key=True, max_length=100)
    value: int = 0
    updated_at: datetime = _ts(default_factory=utcnow)


class PriceCatalog(SQLModel, table=True):
    """A cached copy of an external price catalogue (models.dev `api.json`) with its date."""

    __tablename__ = "price_catalog"

    source: str = Field(primary_key=True, max_length=200)
    fetched_at: datetime = _ts(default_factory=utcnow)
    body: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


# --- operator pins and task state ------------------------------------------------------


class PinKind(StrEnum):
    """What an operator's pin does: serve its model, or never serve it (pin it out)."""

    PIN = "pin"
    EXCLUDE = "exclude"


# The `category` of an exclusion that applies to every category, present and future.
ALL_CATEGORIES = "*"


class Pin(SQLModel, table=True):
    """An operator's override: route `category` (or one task of it) to `model_id`, or
    (kind `exclude`) never route `category` to `model_id`.

    Stored, not configured, so every router process sharing the store obeys it and it
    survives restarts. `task_id` None pins the whole category; `expires_at` None never
    expires. An exclusion names a category (or `ALL_CATEGORIES`), never a task.
    """

    __tablename__ = "pin"
    __table_args__ = (Index("ix_pin_category_task", "category", "task_id"),)

    id: int | None = Field(default=None, primary_key=True)
    category: str = Field(max_length=100)
    task_id: str | None = Field(default=None, max_length=200)
    model_id: str = Field(max_length=300)
    kind: str = Field(default=PinKind.PIN, max_length=20)
    expires_at: datetime | None = _ts(nullable=True)
    created_at: datetime = _ts(default_factory=utcnow)
    created_by: str | None = Field(default=None, max_length=100)
    note: str | None = Field(default=None, max_length=500)


class TaskState(SQLModel, table=True):
    """Where one task stands, so several router processes agree on its model.

    `revert` is set when the task's last failure was an exploration choice;
    `failed_models` are never offered to the task again once it moves on.
    """

    __tablename__ = "task_state"

    task_id: str = Field(primary_key=True, max_length=200)
    category: str = Field(max_length=100)
    model_id: str | None = Field(default=None, max_length=300)
    strategy: str | None = Field(default=None, max_length=50)
    explored: bool = False
    revert: bool = False
    consecutive_failures: int = 0
    failed_models: list[str] = _json([])
    updated_at: datetime = _ts(default_factory=utcnow)
