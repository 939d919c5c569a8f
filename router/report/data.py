"""What the report shows, read from the store in one pass and shaped into plain records.

The charts show the scores that place models (the placement protocol's measurements,
`BenchmarkScore.placed`): like with like. Every other score (a smoke run, another
sample count or temperature, an older protocol) is listed apart with the reason it is
not placed, never mixed in.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import select as sa_select
from sqlalchemy.engine import URL
from sqlmodel import Session, col, select

from router.report.shaping import running_beta, thin
from router.scores import describe
from router.store import get_engine
from router.store.models import BenchmarkScore, Outcome, Placement
from router.store.types import utcnow

MAX_POSTERIOR_POINTS = 300


@dataclass(frozen=True, slots=True)
class PlacementRow:
    category: str
    model: str
    layer: int
    rank_score: float
    provisional: bool
    pass_rate: float | None
    assessed_at: datetime
    stale: bool = False
    stale_reason: str | None = None


@dataclass(frozen=True, slots=True)
class UnplacedRow:
    """A score that places nothing, and why."""

    model: str
    what: str
    reason: str


@dataclass(frozen=True, slots=True)
class ScoreRow:
    model: str
    benchmark: str
    protocol: str
    n_tasks: int
    n_samples: int
    pass_at_1: float
    ci_low: float
    ci_high: float
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    cost_per_solved_usd: float | None
    computed_at: datetime
    #: an adaptive score's stopping point (empty for a score of every task)
    stopped_early: str = ""

    @property
    def cost_status(self) -> str:
        """`known`, `nothing solved` (cost per solved task undefined) or `unknown`."""
        if self.cost_per_solved_usd is not None:
            return "known"
        return "nothing solved" if self.pass_at_1 == 0 else "unknown"


@dataclass(frozen=True, slots=True)
class PosteriorSeries:
    """One model's running Beta(1 + s, 1 + f) in one category, thinned for drawing.

    `position` counts outcomes of the whole category (not just this model's), so the
    curves of one category share an axis even when timestamps coincide."""

    category: str
    model: str
    times: list[datetime]
    position: np.ndarray
    mean: np.ndarray
    sd: np.ndarray
    outcomes: int
    successes: int
    explored: int

    @property
    def final_mean(self) -> float:
        return float(self.mean[-1])

    @property
    def final_sd(self) -> float:
        return float(self.sd[-1])


@dataclass(frozen=True)
class ReportData:
    generated_at: datetime
    store: str
    placements: dict[str, list[PlacementRow]] = field(default_factory=dict)
    scores: list[ScoreRow] = field(default_factory=list)
    unplaced: list[UnplacedRow] = field(default_factory=list)
    posteriors: dict[str, list[PosteriorSeries]] = field(default_factory=dict)
    outcome_count: int = 0

    @property
    def empty(self) -> bool:
        return not (self.placements or self.scores or self.unplaced or self.posteriors)

    @property
    def benchmarks(self) -> list[str]:
        return sorted({s.benchmark for s in self.scores})

    def scores_for(self, benchmark: str) -> list[ScoreRow]:
        """One benchmark's scores, best pass@1 first (ties by model id)."""
        rows = [s for s in self.scores if s.benchmark == benchmark]
        return sorted(rows, key=lambda s: (-s.pass_at_1, s.model))

    @property
    def models(self) -> list[str]:
        names = {p.model for rows in self.placements.values() for p in rows}
        names |= {s.model for s in self.scores}
        names |= {u.model for u in self.unplaced}
        names |= {p.model for rows in self.posteriors.values() for p in rows}
        return sorted(names)


def store_label(url: URL) -> str:
    """Where the data came from, for the page's header. The page may be shared, so the
    password is masked and the query (which may carry credentials too) is dropped."""
    return url.set(query={}).render_as_string(hide_password=True)


def load_report_data(database_url: str | None = None,
                     max_points: int = MAX_POSTERIOR_POINTS) -> ReportData:
    engine = get_engine(database_url)
    with Session(engine) as session:
        placements = _placements(session)
        scores, unplaced = _scores(session)
        posteriors, outcomes = _posteriors(session, max_points)
    return ReportData(generated_at=utcnow(), store=store_label(engine.url),
                      placements=placements, scores=scores, unplaced=unplaced,
                      posteriors=posteriors, outcome_count=outcomes)


def _placements(session: Session) -> dict[str, list[PlacementRow]]:
    rows = session.exec(select(Placement).order_by(
        col(Placement.category), col(Placement.layer), col(Placement.rank_score).desc(),
        col(Placement.model_id))).all()
    out: dict[str, list[PlacementRow]] = {}
    for p in rows:
        out.setdefault(p.category, []).append(PlacementRow(
            p.category, p.model_id, p.layer, p.rank_score, p.provisional, p.pass_rate,
            p.assessed_at, p.stale, p.stale_reason))
    return out


def _scores(session: Session) -> tuple[list[ScoreRow], list[UnplacedRow]]:
    rows = session.exec(select(BenchmarkScore).order_by(
        col(BenchmarkScore.computed_at).desc(), col(BenchmarkScore.id).desc())).all()
    shaped = [ScoreRow(s.model_id, s.benchmark, s.protocol_version, s.n_tasks, s.n_samples,
                       s.pass_at_1, s.ci_low, s.ci_high, s.latency_p50_ms, s.latency_p95_ms,
                       s.cost_per_solved_usd, s.computed_at, stopping_point(s.adaptive))
              for s in rows if s.placed]
    shaped.sort(key=lambda s: (s.benchmark, -s.pass_at_1, s.model))
    unplaced = [UnplacedRow(s.model_id, describe(s), s.not_placed_reason or "not yet placed")
                for s in rows if not s.placed]
    return shaped, unplaced


def stopping_point(adaptive: dict[str, Any] | None) -> str:
    """Where an adaptive run stopped, the requests it saved and the layer it decided."""
    if not adaptive:
        return ""
    layers = ", ".join(f"{c} {v}" for c, v in adaptive.get("layers", {}).items())
    asked, tasks = adaptive["asked"], adaptive["tasks"]
    return (f"after {asked} of {tasks} tasks ({tasks - asked} not asked), layer {layers} "
            f"decided at {adaptive['confidence']:.0%}")


def _posteriors(session: Session, max_points: int) -> tuple[dict[str, list[PosteriorSeries]], int]:
    t = Outcome.__table__  # type: ignore[attr-defined]
    result = session.connection().execute(
        sa_select(t.c.category, t.c.model_id, t.c.success, t.c.is_exploration, t.c.recorded_at)
        .order_by(t.c.id))
    # category -> model -> (position in category, success, explored, time)
    streams: dict[str, dict[str, list[tuple[int, bool, bool, datetime]]]] = defaultdict(
        lambda: defaultdict(list))
    seen: dict[str, int] = defaultdict(int)
    total = 0
    for category, model, success, explored, at in result:
        streams[category][model].append((seen[category], bool(success), bool(explored), at))
        seen[category] += 1
        total += 1
    out: dict[str, list[PosteriorSeries]] = {}
    for category in sorted(streams):
        series = []
        for model in sorted(streams[category]):
            events = streams[category][model]
            wins = np.fromiter((e[1] for e in events), dtype=bool, count=len(events))
            mean, sd = running_beta(wins)
            keep = thin(len(events), max_points)
            series.append(PosteriorSeries(
                category=category, model=model,
                times=[events[i][3] for i in keep],
                position=np.array([events[i][0] for i in keep], dtype=np.intp),
                mean=mean[keep], sd=sd[keep], outcomes=len(events),
                successes=int(wins.sum()), explored=sum(e[2] for e in events)))
        series.sort(key=lambda s: (-s.final_mean, s.model))
        out[category] = series
    return out, total
