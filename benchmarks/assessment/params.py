"""The parameters of an assessment, validated once, shared by the CLI, flow and tasks."""

from __future__ import annotations

import hashlib
import json
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator


def _default_benchmarks() -> list[str]:
    from benchmarks.registry import default_benchmarks

    return default_benchmarks()


class AssessParams(BaseModel):
    """What shapes the samples of an assessment. Two runs with equal params resume
    each other; changing any of them starts a separate run."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    benchmarks: Annotated[list[str], Field(min_length=1, default_factory=_default_benchmarks)]
    limit: Annotated[int, Field(ge=1, le=100_000)] | None = Field(
        default=None, description="First N tasks of each benchmark, in its own order."
    )
    task_ids: list[str] | None = Field(default=None, description="Only these task ids.")
    samples: Annotated[int, Field(ge=1, le=200)] = 1
    temperature: Annotated[float, Field(ge=0.0, le=2.0)] = 0.0
    seed: int | None = 0
    max_tokens: Annotated[int, Field(ge=16, le=32_768)] = 1024
    shard_size: Annotated[int, Field(ge=1, le=1000)] = 20

    @field_validator("benchmarks")
    @classmethod
    def _known(cls, names: list[str]) -> list[str]:
        from benchmarks.registry import benchmark_names

        known = benchmark_names()
        unknown = [n for n in names if n not in known]
        if unknown:
            raise ValueError(f"unknown benchmark {unknown[0]!r}; known: {', '.join(known)}")
        return list(dict.fromkeys(names))

    def run_key(self, model_id: str, benchmark: str, protocol_version: str) -> str:
        """Everything that decides which samples a run holds, hashed (not shard size)."""
        shape = {
            "model": model_id, "benchmark": benchmark, "protocol": protocol_version,
            "limit": self.limit, "task_ids": sorted(self.task_ids) if self.task_ids else None,
            "samples": self.samples, "temperature": self.temperature, "seed": self.seed,
            "max_tokens": self.max_tokens,
        }
        return hashlib.sha256(json.dumps(shape, sort_keys=True).encode()).hexdigest()[:32]


class StoppingRules(BaseModel):
    """When an assessment stops asking before every sample: a budget, or a decided layer.

    Not part of the run key: they decide how many of a run's samples are asked, never
    what a sample is, so a rerun with other rules (a larger budget, no --adaptive)
    continues the same run and asks no sample twice.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    adaptive: bool = Field(default=False, description=(
        "Ask the tasks in a seeded random order and stop each benchmark once the model's "
        "layer is decided at `confidence`."))
    confidence: Annotated[float, Field(ge=0.5, le=0.999)] = 0.95
    budget_usd: Annotated[float, Field(gt=0)] | None = Field(default=None, description=(
        "Stop asking a model once its measured cost plus the expected cost of the "
        "requests in flight would pass this many US dollars."))

    @property
    def active(self) -> bool:
        return self.adaptive or self.budget_usd is not None
