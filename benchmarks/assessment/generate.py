"""Generate and judge the samples of one shard: ask the model, extract, run, store.

Each sample is stored as soon as it is judged, and a sample already stored is never
asked for again, so a crash loses at most the samples in flight. A provider that fails
for good on one sample (after its retries) is the provider's problem, not a verdict on
the model: the sample is stored as the infrastructure outcome `provider_error` with the
reason, left out of the score, and asked again by a rerun. Once a shard has lost more
samples than the run may lose and still be scored (`MAX_INFRA_SHARE`), or the provider
rejects the key, the shard stops: asking on would only spend time on a run that cannot
count. A model answer with no code in it is a verdict (`unparseable`).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from benchmarks.assessment.params import AssessParams
from benchmarks.assessment.runs import RunInfo, WorkItem, done_items, store_sample
from benchmarks.registry import Sample, get_benchmark
from benchmarks.verdicts import MAX_INFRA_SHARE
from router.errors import ProviderAuthError, ProviderError
from router.store.models import SampleResult as SampleRow

if TYPE_CHECKING:
    from benchmarks.sandbox.runner import SandboxRunner


class Answer(Protocol):
    text: str
    tokens_in: int | None
    tokens_out: int | None
    latency_ms: float


Ask = Callable[[list[dict[str, str]], int | None], Awaitable[Answer]]
Price = Callable[[int | None, int | None], float | None]


@dataclass(frozen=True)
class ShardResult:
    asked: int
    skipped: int
    passed: int
    stored: int
    provider_errors: int = 0


def first_cause(group: BaseExceptionGroup) -> BaseException:
    """The first leaf exception, preferring a provider failure (the usual cause)."""
    from router.errors import ProviderError

    leaves: list[BaseException] = []
    stack: list[BaseException] = [group]
    while stack:
        exc = stack.pop(0)
        if isinstance(exc, BaseExceptionGroup):
            stack.extend(exc.exceptions)
        else:
            leaves.append(exc)
    return next((e for e in leaves if isinstance(e, ProviderError)), leaves[0])


def prompt_hash(messages: list[dict[str, str]]) -> str:
    return hashlib.sha256(json.dumps(messages, sort_keys=True).encode()).hexdigest()


async def run_shard(
    run: RunInfo,
    items: Sequence[WorkItem],
    params: AssessParams,
    *,
    ask: Ask,
    price: Price,
    sandbox: SandboxRunner,
    database_url: str | None = None,
    on_sample: Callable[[SampleRow], None] | None = None,
) -> ShardResult:
    """Judge every item of the shard not yet stored. Concurrency is the `ask`'s limiter."""
    bench = get_benchmark(run.benchmark)
    wanted = sorted({t for t, _ in items})
    tasks = {t.task_id: t for t in bench.load(ids=wanted)}
    done = await asyncio.to_thread(done_items, run.run_id, database_url)
    todo = [it for it in items if it not in done]
    judged: list[SampleRow] = []
    lost: list[SampleRow] = []
    may_lose = int(MAX_INFRA_SHARE * len(run.task_ids) * run.samples)

    async def keep(row: SampleRow) -> None:
        if await asyncio.to_thread(store_sample, row, database_url):
            (lost if row.verdict == "provider_error" else judged).append(row)
            if on_sample:
                on_sample(row)

    async def one(item: WorkItem) -> None:
        task_id, index = item
        task = tasks[task_id]
        messages = bench.prompt(task)
        seed = None if params.seed is None else params.seed + index
        try:
            answer = await ask(messages, seed)
        except ProviderAuthError:
            raise  # every other sample would fail the same way
        except ProviderError as exc:
            await keep(SampleRow(
                run_id=run.run_id, task_id=task_id, sample_index=index,
                prompt_hash=prompt_hash(messages), passed=False, verdict="provider_error",
                detail=str(exc)))
            if len(lost) > may_lose:
                raise type(exc)(exc.provider, (
                    f"{str(exc).removeprefix(exc.provider + ': ')}; stopped after {len(lost)} "
                    f"sample(s) could not be generated (the run may lose {may_lose} and "
                    "still be scored)")) from None
            return
        code = bench.extract(task, answer.text)
        detail: str | None
        if not code.strip():
            status, passed, detail = "unparseable", False, "no code found in the answer"
        else:
            (verdict,) = await asyncio.to_thread(
                bench.evaluate, {task_id: task}, [Sample(task_id, code)], sandbox)
            status, passed, detail = verdict.status, verdict.passed, verdict.detail or None
        row = SampleRow(
            run_id=run.run_id, task_id=task_id, sample_index=index,
            prompt_hash=prompt_hash(messages), completion=answer.text, passed=passed,
            verdict=status, detail=detail, latency_ms=answer.latency_ms,
            tokens_in=answer.tokens_in, tokens_out=answer.tokens_out,
            cost_usd=price(answer.tokens_in, answer.tokens_out),
        )
        await keep(row)

    try:
        async with asyncio.TaskGroup() as group:
            for item in todo:
                group.create_task(one(item))
    except ExceptionGroup as group_error:
        # The siblings were cancelled; report the cause, not the group.
        raise first_cause(group_error) from None
    return ShardResult(asked=len(todo), skipped=len(items) - len(todo),
                       passed=sum(r.passed for r in judged), stored=len(judged),
                       provider_errors=len(lost))
