"""A provider that fails after its retries is an infrastructure outcome, not a verdict."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

import pytest
from sqlmodel import Session, select

from benchmarks.assessment.generate import run_shard
from benchmarks.assessment.params import AssessParams
from benchmarks.assessment.runs import open_run, work_items
from benchmarks.assessment.scores import conclude_run
from benchmarks.registry import get_benchmark
from router.errors import ProviderAuthError, ProviderError
from router.store import get_engine
from router.store.models import BenchmarkScore, RunStatus, SampleResult
from tests.benchmarks.assessment.helpers import add_models


@dataclass
class Answer:
    text: str = "I would rather not write code."  # no code: `unparseable`, no sandbox needed
    tokens_in: int | None = 10
    tokens_out: int | None = 5
    latency_ms: float = 12.0


def _shard(url: str, failing: set[str], error: ProviderError) -> tuple:
    add_models(url, "p/m")
    params = AssessParams(benchmarks=["humaneval"], limit=40)
    run = open_run("p/m", "humaneval", params, database_url=url)
    bench = get_benchmark("humaneval")
    task_of = {json.dumps(bench.prompt(t)): t.task_id for t in bench.load(limit=40)}

    async def ask(messages: list[dict[str, str]], seed: int | None) -> Answer:
        if task_of[json.dumps(messages)] in failing:
            raise error
        return Answer()

    async def go():  # noqa: ANN202
        return await run_shard(run, work_items(run, 1), params, ask=ask,
                               price=lambda a, b: 0.0, sandbox=None, database_url=url)

    return run, go


def _rows(url: str) -> dict[str, SampleResult]:
    with Session(get_engine(url)) as s:
        return {r.task_id: r for r in s.exec(select(SampleResult))}


def _first(n: int) -> set[str]:
    return {f"HumanEval/{i}" for i in range(n)}


def test_samples_the_provider_could_not_answer_are_stored_as_provider_error(
        database_url: str) -> None:
    error = ProviderError("p", "server error HTTP 503 (gave up after 5 attempt(s))")
    run, go = _shard(database_url, _first(2), error)
    result = asyncio.run(go())
    assert (result.provider_errors, result.stored) == (2, 38)
    rows = _rows(database_url)
    lost = [r for r in rows.values() if r.verdict == "provider_error"]
    assert len(lost) == 2 and all("HTTP 503" in r.detail and not r.passed for r in lost)
    # 2 of 40 is 5%: the run is complete and scored on the model's own 38 answers
    outcome = conclude_run(run, database_url=database_url)
    assert outcome.status == RunStatus.COMPLETED
    with Session(get_engine(database_url)) as s:
        score = s.exec(select(BenchmarkScore)).one()
    assert (score.n_tasks, score.infra_samples) == (38, 2)


def test_a_shard_stops_once_the_run_cannot_be_scored(database_url: str) -> None:
    error = ProviderError("p", "cannot connect for POST /v1/chat/completions")
    run, go = _shard(database_url, _first(3), error)
    with pytest.raises(ProviderError, match=r"cannot connect.*stopped after 3 sample\(s\) could "
                                            r"not be generated \(the run may lose 2"):
        asyncio.run(go())


def test_a_rejected_key_stops_the_shard_at_once(database_url: str) -> None:
    error = ProviderAuthError("p", "HTTP 401: the provider rejected the key in P_API_KEY")
    run, go = _shard(database_url, _first(1), error)
    with pytest.raises(ProviderAuthError, match="401"):
        asyncio.run(go())
    assert not any(r.verdict == "provider_error" for r in _rows(database_url).values())
