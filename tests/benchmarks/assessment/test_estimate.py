"""The dry run's estimate: requests, tokens and cost before anything is asked."""

from __future__ import annotations

import json
import math

import pytest
from sqlmodel import Session, select

from benchmarks.assessment.estimate import (
    CALIBRATION_FILES,
    CHARS_PER_TOKEN,
    MESSAGE_TOKENS,
    RECORDED_ANSWER_TOKENS,
    REPLY_TOKENS,
    calibration,
    estimate_assessment,
    estimate_benchmark,
    prompt_tokens,
)
from benchmarks.assessment.params import AssessParams
from benchmarks.registry import get_benchmark
from router.config_file import PriceOverride
from router.pricing import PriceBook
from router.store import get_engine
from router.store.models import BenchmarkRun, SampleResult
from tests.benchmarks.assessment.helpers import add_models, store_run
from tests.conftest import shared_path

BOOK = PriceBook(overrides={"p/*": PriceOverride(input=1.0, output=2.0)})


def test_the_constants_are_what_the_recorded_answers_say() -> None:
    records: dict[str, list[dict]] = {}
    for relative in CALIBRATION_FILES:
        path = shared_path(relative)
        lines = path.read_text(encoding="utf-8").splitlines()
        records.setdefault(relative.split("/")[0], []).extend(
            json.loads(line) for line in lines if line.strip())
    chars_per_token, means = calibration(records)
    assert round(chars_per_token, 2) == CHARS_PER_TOKEN
    assert {b: round(m, 1) for b, m in means.items()} == RECORDED_ANSWER_TOKENS


def test_a_prompt_by_hand() -> None:
    messages = [{"role": "system", "content": "x" * 37}, {"role": "user", "content": "y"}]
    # ceil(37 / 3.7) = 10 and ceil(1 / 3.7) = 1, 3 per message, 3 to prime the reply
    assert prompt_tokens(messages) == 10 + 1 + 2 * MESSAGE_TOKENS + REPLY_TOKENS


def test_nothing_measured_yet(database_url: str) -> None:
    add_models(database_url, "p/m")
    params = AssessParams(benchmarks=["humaneval"], limit=5)
    e = estimate_benchmark("p/m", "humaneval", params, BOOK, database_url)
    bench = get_benchmark("humaneval")
    tokens_in = sum(prompt_tokens(bench.prompt(t)) for t in bench.load(limit=5))
    assert (e.tasks, e.requests, e.stored) == (5, 5, 0)
    assert e.input_tokens == tokens_in
    assert e.output_tokens == round(5 * RECORDED_ANSWER_TOKENS["humaneval"])
    assert e.cost_usd == pytest.approx(
        (tokens_in * 1.0 + 5 * RECORDED_ANSWER_TOKENS["humaneval"] * 2.0) / 1e6)
    assert e.full_cost_usd == pytest.approx(e.cost_usd)
    assert e.price_source == 'routerx.toml [prices."p/*"]'
    assert e.input_basis.startswith(f"estimated: characters / {CHARS_PER_TOKEN}")
    assert e.output_basis.startswith("recorded")
    assert sum(e.per_request_usd.values()) == pytest.approx(e.cost_usd)


def test_an_unknown_price_is_unknown_never_zero(database_url: str) -> None:
    add_models(database_url, "q/m")
    out = estimate_assessment(["q/m"], AssessParams(benchmarks=["humaneval"], limit=3),
                              BOOK, database_url)
    (e,) = out["estimates"]
    assert e["cost_usd"] is None and e["full_cost_usd"] is None
    assert e["price_source"].startswith("unknown: q has no catalogue price")
    assert e["requests"] == 3 and e["input_tokens"] > 0
    assert out["totals"]["q/m"]["cost_usd"] is None


def test_stored_samples_are_not_asked_again_and_calibrate_the_rest(database_url: str) -> None:
    add_models(database_url, "p/m", "p/other")
    # five judged samples, 10 tokens in and 5 out each (helpers.store_run)
    store_run(database_url, "p/m", lambda i, _: "passed", limit=5)
    same = estimate_benchmark("p/m", "humaneval", AssessParams(benchmarks=["humaneval"],
                                                                limit=5), BOOK, database_url)
    assert (same.requests, same.stored, same.cost_usd) == (0, 5, 0.0)
    assert same.full_cost_usd == pytest.approx(5 * (10 + 5 * 2) / 1e6)

    longer = estimate_benchmark("p/m", "humaneval", AssessParams(benchmarks=["humaneval"],
                                                                  limit=8), BOOK, database_url)
    assert longer.requests == 8  # another task set: another run
    assert longer.output_basis == "measured: mean of 5 answer(s) of this model"
    assert longer.output_tokens == 40
    assert longer.input_basis.startswith("measured: this model's provider counted x")
    # the first five prompts were measured at 10 tokens each: the estimate scales to that
    bench = get_benchmark("humaneval")
    prompts = [prompt_tokens(bench.prompt(t)) for t in bench.load(limit=8)]
    assert longer.input_tokens == round(sum(prompts) * 50 / sum(prompts[:5]))

    other = estimate_benchmark("p/other", "humaneval",
                               AssessParams(benchmarks=["humaneval"], limit=5), BOOK,
                               database_url)
    assert other.output_basis == "measured: mean of 5 answer(s) of 1 other model(s)"
    assert other.input_basis.startswith("estimated")


def test_infrastructure_outcomes_are_asked_again(database_url: str) -> None:
    add_models(database_url, "p/m")
    store_run(database_url, "p/m", lambda i, _: "provider_error" if i < 2 else "failed",
              limit=5)
    e = estimate_benchmark("p/m", "humaneval", AssessParams(benchmarks=["humaneval"],
                                                             limit=5), BOOK, database_url)
    assert (e.requests, e.stored) == (2, 3)


def test_output_is_capped_at_max_tokens(database_url: str) -> None:
    add_models(database_url, "p/m")
    e = estimate_benchmark("p/m", "humaneval",
                           AssessParams(benchmarks=["humaneval"], limit=2, max_tokens=16),
                           BOOK, database_url)
    assert e.output_tokens == 32 and e.output_basis.endswith("capped at max_tokens 16")


def test_a_dry_run_stores_nothing(database_url: str) -> None:
    add_models(database_url, "p/m")
    estimate_assessment(["p/m"], AssessParams(benchmarks=["humaneval"], limit=3), BOOK,
                        database_url)
    with Session(get_engine(database_url)) as s:
        assert s.exec(select(BenchmarkRun)).all() == []
        assert s.exec(select(SampleResult)).all() == []


def test_samples_multiply_requests(database_url: str) -> None:
    add_models(database_url, "p/m")
    e = estimate_benchmark("p/m", "humaneval",
                           AssessParams(benchmarks=["humaneval"], limit=2, samples=3),
                           BOOK, database_url)
    assert (e.planned, e.requests) == (6, 6)
    assert e.output_tokens == math.floor(6 * RECORDED_ANSWER_TOKENS["humaneval"] + 0.5)
