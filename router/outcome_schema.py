"""What one task outcome is: its fields and their limits, declared once.

The HTTP API validates requests with `OutcomeIn` itself; `router.outcomes` (the batch
path of `Router.record` and `routerx outcome`) checks the same limits with flat
comparisons read from here, and the store's `Outcome` table sizes its columns from
`TEXT_LIMITS`. Why one declaration: the limits had been written out in the API, the
validator and the table, and a change to one left the others accepting (or the store
refusing) what the first did not.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, StrictBool

INT64_MAX = 2**63 - 1  # the store's integer columns are 64-bit


class OutcomeIn(BaseModel):
    """One task outcome. Unknown fields are refused, so a typo is not silently dropped."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(min_length=1, max_length=300, description="provider/model")
    category: str = Field(min_length=1, max_length=100)
    success: StrictBool
    accuracy: float | None = Field(default=None, ge=0, le=1, allow_inf_nan=False)
    latency_ms: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    cost_usd: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    tokens_in: int | None = Field(default=None, ge=0, le=INT64_MAX)
    tokens_out: int | None = Field(default=None, ge=0, le=INT64_MAX)
    task_id: str | None = Field(default=None, max_length=200)
    complexity: str | None = Field(default=None, max_length=50)
    file_size: int | None = Field(default=None, ge=0, le=INT64_MAX)
    language: str | None = Field(default=None, max_length=50)
    is_exploration: StrictBool = False


def _max_length(name: str) -> int:
    for meta in OutcomeIn.model_fields[name].metadata:
        limit = getattr(meta, "max_length", None)
        if limit is not None:
            return int(limit)
    raise LookupError(f"outcome field {name} has no max_length")


FIELDS: tuple[str, ...] = tuple(OutcomeIn.model_fields)
REQUIRED: frozenset[str] = frozenset(
    name for name, field in OutcomeIn.model_fields.items() if field.is_required())
#: longest text per text field (model, category, task_id, complexity, language)
TEXT_LIMITS: dict[str, int] = {
    name: _max_length(name) for name, field in OutcomeIn.model_fields.items()
    if field.annotation in (str, str | None)}
