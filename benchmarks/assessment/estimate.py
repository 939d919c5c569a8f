"""What an assessment will ask and cost, before anything is asked (`assess --dry-run`).

Per model and benchmark: the requests still to ask (planned minus the samples a rerun
would skip), their expected input and output tokens, and the expected cost from the
price book with the price's source. An unknown price is an unknown cost (None), never 0.

**Input tokens.** No provider's tokenizer is available offline (tiktoken downloads its
vocabularies on first use, the other providers publish none), so a prompt counts
ceil(characters / CHARS_PER_TOKEN) plus OpenAI's chat-format overhead (MESSAGE_TOKENS per
message, REPLY_TOKENS to prime the answer). CHARS_PER_TOKEN = 3.70 is calibrated on real
answers whose provider reported their usage: the three single-call ("CoT") MapCoder runs
in ../shared/data (ChatGPT and GPT-4-Turbo on HumanEval, GPT-4-Turbo on MBPP: 264,472
characters in 71,428 completion tokens; `calibration()` recomputes it, a test checks the
constants against the files). Once the store holds this model's measured usage on the
benchmark, the estimate is rescaled by how its provider's counts compared with this
estimate on the prompts already asked.

**Output tokens** per request, the first that exists: the mean measured `tokens_out` of
this model on this benchmark; of every model on it; the mean of the recorded answers
above (RECORDED_ANSWER_TOKENS: 119.9 on HumanEval, 80.9 on MBPP); else the reference
answer's own length (SWE-bench's gold patch: the least a correct answer holds). Capped at
the request's `max_tokens`. Reasoning models bill hidden tokens the recorded answers do
not have: their first estimate is low until a measured run exists.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from benchmarks.assessment.params import AssessParams
from benchmarks.assessment.runs import done_items, find_run
from benchmarks.verdicts import INFRA_STATUSES
from router.errors import RouterxError
from router.pricing import PriceBook
from router.store import get_engine
from router.store.models import BenchmarkRun, SampleResult

#: characters per token of real answers with reported usage (see the module docstring)
CHARS_PER_TOKEN = 3.70
#: OpenAI's chat format: tokens around each message, and priming the reply
MESSAGE_TOKENS = 3
REPLY_TOKENS = 3
#: mean completion tokens of the recorded single-call answers, per benchmark
RECORDED_ANSWER_TOKENS: dict[str, float] = {"humaneval": 119.9, "mbpp": 80.9}
#: the recorded runs these constants come from (paths under ../shared/data)
CALIBRATION_FILES = (
    "humaneval/mapcoder/ChatGPT-CoT-Python3-0-1.jsonl",
    "humaneval/mapcoder/GPT4-Turbo-CoT-Human-Python3-0-1.jsonl",
    "mbpp/mapcoder/GPT4-Turbo-CoT-MBPP-Python3-0-1.jsonl",
)


def calibration(records_by_benchmark: Mapping[str, Sequence[Mapping[str, Any]]]
                ) -> tuple[float, dict[str, float]]:
    """(characters per token, mean completion tokens per benchmark) of recorded answers
    that each hold one response and its reported `completion_tokens`."""
    chars = tokens = 0
    means: dict[str, float] = {}
    for benchmark, records in records_by_benchmark.items():
        counts = []
        for record in records:
            (answer,), (used,) = record["responses"], record["completion_tokens"]
            chars += len(answer)
            tokens += int(used)
            counts.append(int(used))
        means[benchmark] = sum(counts) / len(counts)
    return chars / tokens, means


def text_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def prompt_tokens(messages: Sequence[Mapping[str, str]]) -> int:
    """Estimated input tokens of one request."""
    return sum(text_tokens(str(m.get("content", ""))) + MESSAGE_TOKENS
               for m in messages) + REPLY_TOKENS


@dataclass
class BenchmarkEstimate:
    model_id: str
    benchmark: str
    tasks: int
    planned: int            # samples of the whole run
    stored: int             # already judged: a rerun does not ask them again
    requests: int           # still to ask
    input_tokens: int | None
    output_tokens: int | None
    input_basis: str
    output_basis: str
    cost_usd: float | None  # of the requests still to ask; None: unknown
    full_cost_usd: float | None  # of the whole run, stored samples included
    price_source: str
    #: expected cost of each request still to ask, in asking order (budget planning)
    per_request_usd: dict[str, float] = field(default_factory=dict, repr=False)

    def public(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("per_request_usd")
        return out


@dataclass(frozen=True)
class OutputGuess:
    tokens: float
    basis: str


def measured_usage(model_id: str | None, benchmark: str, database_url: str | None = None
                   ) -> tuple[int, float | None, int]:
    """(answers, mean tokens_out, models) measured on the benchmark, of one model or all."""
    query = (select(func.count(), func.avg(SampleResult.tokens_out),
                    func.count(func.distinct(BenchmarkRun.model_id)))
             .join(BenchmarkRun, col(BenchmarkRun.id) == col(SampleResult.run_id))
             .where(BenchmarkRun.benchmark == benchmark,
                    col(SampleResult.tokens_out).is_not(None),
                    col(SampleResult.verdict).not_in(sorted(INFRA_STATUSES))))
    if model_id is not None:
        query = query.where(BenchmarkRun.model_id == model_id)
    with Session(get_engine(database_url)) as s:
        n, mean, models = s.exec(query).one()
    return int(n), None if mean is None else float(mean), int(models)


def expected_output(model_id: str, benchmark: str, references: Callable[[], list[str]],
                    database_url: str | None = None) -> OutputGuess:
    n, mean, _ = measured_usage(model_id, benchmark, database_url)
    if mean is not None:
        return OutputGuess(mean, f"measured: mean of {n} answer(s) of this model")
    n, mean, models = measured_usage(None, benchmark, database_url)
    if mean is not None:
        return OutputGuess(mean, f"measured: mean of {n} answer(s) of {models} other model(s)")
    if benchmark in RECORDED_ANSWER_TOKENS:
        return OutputGuess(RECORDED_ANSWER_TOKENS[benchmark],
                           "recorded: mean of real answers with reported usage")
    texts = references()
    mean = sum(text_tokens(t) for t in texts) / len(texts) if texts else 0.0
    return OutputGuess(mean, "reference answers' length (a lower bound)")


def input_scale(model_id: str, benchmark: str, prompts: Mapping[str, int],
                database_url: str | None = None) -> tuple[float, int]:
    """(measured / estimated input tokens, prompts compared) on this model's stored
    samples; (1.0, 0) when nothing was measured."""
    with Session(get_engine(database_url)) as s:
        rows = s.exec(select(SampleResult.task_id, SampleResult.tokens_in)
                      .join(BenchmarkRun, col(BenchmarkRun.id) == col(SampleResult.run_id))
                      .where(BenchmarkRun.model_id == model_id,
                             BenchmarkRun.benchmark == benchmark,
                             col(SampleResult.tokens_in).is_not(None))).all()
    pairs = [(tokens, prompts[task]) for task, tokens in rows
             if task in prompts and tokens is not None]
    estimated = sum(e for _, e in pairs)
    if not pairs or not estimated:
        return 1.0, 0
    return sum(m for m, _ in pairs) / estimated, len(pairs)


def estimate_benchmark(model_id: str, benchmark: str, params: AssessParams, book: PriceBook,
                       database_url: str | None = None) -> BenchmarkEstimate:
    """Raises ConfigError when the benchmark's data cannot be loaded here."""
    from benchmarks.registry import get_benchmark

    bench = get_benchmark(benchmark)
    tasks = bench.load(limit=params.limit, ids=params.task_ids)
    run = find_run(model_id, benchmark, params, database_url)
    done = done_items(run.id, database_url) if run is not None and run.id else set()
    planned = [(t.task_id, i) for t in tasks for i in range(params.samples)]
    todo = [item for item in planned if item not in done]

    prompt_error = None
    prompts: dict[str, int] = {}
    for task in tasks:
        try:
            prompts[task.task_id] = prompt_tokens(bench.prompt(task))
        except RouterxError as exc:  # e.g. a repository SWE-bench's prompt shows is absent
            prompt_error = str(exc)
            break
    scale, compared = input_scale(model_id, benchmark, prompts, database_url)
    output = expected_output(model_id, benchmark,
                             lambda: [bench.reference(t) for t in tasks], database_url)
    out_each = min(output.tokens, float(params.max_tokens))
    price = book.price(model_id)

    def cost(items: Sequence[tuple[str, int]]) -> float | None:
        if price is None or prompt_error:
            return None
        return sum(price.cost(prompts[t] * scale, out_each) for t, _ in items)

    per_request = ({f"{t}#{i}": price.cost(prompts[t] * scale, out_each) for t, i in todo}
                   if price is not None and not prompt_error else {})
    input_basis = (f"unknown: {prompt_error}" if prompt_error else
                   f"measured: this model's provider counted x{scale:.2f} of the "
                   f"estimate on {compared} prompt(s)" if compared else
                   f"estimated: characters / {CHARS_PER_TOKEN} + {MESSAGE_TOKENS} per "
                   f"message + {REPLY_TOKENS}")
    return BenchmarkEstimate(
        model_id=model_id, benchmark=benchmark, tasks=len(tasks), planned=len(planned),
        stored=len(planned) - len(todo), requests=len(todo),
        input_tokens=None if prompt_error else round(sum(prompts[t] * scale for t, _ in todo)),
        output_tokens=round(out_each * len(todo)), input_basis=input_basis,
        output_basis=output.basis + (f", capped at max_tokens {params.max_tokens}"
                                     if output.tokens > params.max_tokens else ""),
        cost_usd=cost(todo), full_cost_usd=cost(planned),
        price_source=price.source if price is not None else book.price_source(model_id),
        per_request_usd=per_request,
    )


def estimate_assessment(model_ids: Sequence[str], params: AssessParams, book: PriceBook,
                        database_url: str | None = None) -> dict[str, Any]:
    """The dry run's answer: estimates per model and benchmark, totals per model, and
    the benchmarks whose data cannot be loaded here (with the reason)."""
    rows: list[BenchmarkEstimate] = []
    skipped: dict[str, str] = {}
    for benchmark in params.benchmarks:
        for model_id in model_ids:
            try:
                rows.append(estimate_benchmark(model_id, benchmark, params, book, database_url))
            except RouterxError as exc:
                skipped[benchmark] = str(exc)
                break
    totals: dict[str, dict[str, Any]] = {}
    for model_id in model_ids:
        mine = [r for r in rows if r.model_id == model_id]
        costs = [r.cost_usd for r in mine]
        totals[model_id] = {
            "requests": sum(r.requests for r in mine),
            "input_tokens": None if any(r.input_tokens is None for r in mine)
            else sum(r.input_tokens or 0 for r in mine),
            "output_tokens": sum(r.output_tokens or 0 for r in mine),
            "cost_usd": (None if any(c is None for c in costs)
                         else sum(c for c in costs if c is not None)),
        }
    return {"dry_run": True, "estimates": [r.public() for r in rows], "totals": totals,
            "skipped_benchmarks": skipped}
