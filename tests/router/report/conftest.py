"""A small store with hand-picked numbers, so each chart's content can be checked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from router.store import session_scope
from router.store.models import BenchmarkScore, Model, Outcome, Placement

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

GPT = "openai/gpt-5.2"
CLAUDE = "anthropic/claude-sonnet-4-5"
QWEN = "ollama/qwen2.5-coder:7b"  # free: cost 0, must still be plotted (symlog)
LLAMA = "groq/llama-3.3-70b"  # no price: cost unknown, listed apart
MODELS = (GPT, CLAUDE, QWEN, LLAMA)


def _score(model: str, bench: str, p: float, lo: float, hi: float, *, cost: float | None,
           p50: float | None, p95: float | None, at: datetime, protocol: str = "v2",
           n: int = 50, not_placed: str | None = None) -> BenchmarkScore:
    return BenchmarkScore(model_id=model, benchmark=bench, protocol_version=protocol,
                          task_set=f"first-{n}", task_count=n,
                          task_scope="all" if n == 50 else f"first {n}",
                          n_tasks=n, n_samples=n, pass_at_1=p, ci_low=lo, ci_high=hi,
                          latency_p50_ms=p50, latency_p95_ms=p95, cost_per_solved_usd=cost,
                          computed_at=at, placed=not_placed is None,
                          not_placed_reason=not_placed)


def seed(url: str) -> None:
    with session_scope(url) as s:
        for m in MODELS:
            s.add(Model(id=m, provider=m.split("/")[0], name=m.split("/", 1)[1],
                        status="assessed"))
        s.flush()
        for model, layer, score, provisional, rate in (
                (GPT, 1, 1.21, False, 0.9), (CLAUDE, 1, 1.05, False, 0.88),
                (LLAMA, 3, 0.12, False, 0.6), (QWEN, 5, -0.74, False, 0.55)):
            s.add(Placement(model_id=model, category="code-generation", layer=layer,
                            rank_score=score, provisional=provisional, pass_rate=rate,
                            assessed_at=T0))
        s.add(Placement(model_id=CLAUDE, category="bug-fix", layer=2, rank_score=0.71,
                        provisional=True, pass_rate=0.71, assessed_at=T0, stale=True,
                        stale_reason="swebench: the newest run failed: HTTP 401"))
        # an older protocol's score and a smoke run: listed apart, never charted
        s.add(_score(GPT, "humaneval", 0.5, 0.4, 0.6, cost=0.5, p50=1.0, p95=2.0,
                     at=T0 - timedelta(days=30), protocol="v1",
                     not_placed="protocol v1; the current one is v2"))
        s.add(_score(QWEN, "humaneval", 1.0, 0.44, 1.0, cost=0.0, p50=900, p95=950,
                     at=T0 + timedelta(hours=1), n=3,
                     not_placed="smoke or partial run (first 3: 3 task(s))"))
        s.add(_score(GPT, "humaneval", 0.9, 0.84, 0.94, cost=0.012, p50=800, p95=2100, at=T0))
        s.add(_score(CLAUDE, "humaneval", 0.88, 0.8, 0.93, cost=0.02, p50=950, p95=1800,
                     at=T0))
        s.add(_score(QWEN, "humaneval", 0.55, 0.45, 0.65, cost=0.0, p50=4200, p95=9100, at=T0))
        s.add(_score(LLAMA, "humaneval", 0.6, 0.5, 0.7, cost=None, p50=300, p95=None, at=T0))
        s.add(_score(QWEN, "mbpp", 0.0, 0.0, 0.07, cost=None, p50=None, p95=None, at=T0))
        s.add(_score(CLAUDE, "mbpp", 0.7, 0.6, 0.78, cost=0.03, p50=700, p95=1500, at=T0))
        # live outcomes, interleaved: gpt S S F S, claude F S
        for i, (model, ok, explored) in enumerate((
                (GPT, True, False), (CLAUDE, False, True), (GPT, True, False),
                (GPT, False, False), (CLAUDE, True, True), (GPT, True, False))):
            s.add(Outcome(category="code-generation", model_id=model,
                          provider=model.split("/")[0], success=ok, is_exploration=explored,
                          recorded_at=T0 + timedelta(minutes=5 * i)))


@pytest.fixture
def seeded(database_url: str) -> str:
    seed(database_url)
    return database_url


@pytest.fixture
def seeded_sqlite(tmp_path) -> str:  # noqa: ANN001
    url = f"sqlite:///{tmp_path / 'seeded.db'}"
    seed(url)
    return url
