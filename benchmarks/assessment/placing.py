"""Write placements and fallback tables from the stored benchmark scores.

Which scores place a model: per model and benchmark, its score of the placement protocol
(router.measurement: by default the whole suite, one sample, temperature 0) under the
benchmark's current protocol version, on the suite's current task set. Smoke and partial
runs, other sample counts or temperatures, and older protocols are stored and shown but
never placed, so the population of every z-score is like with like.

Placements only move on evidence:

- a model whose newest run of the placement protocol failed or was incomplete is placed
  from its last complete measurement, marked stale with the reason;
- a placed model with no measurement of the current protocol (after a protocol bump, or
  placed by an import) keeps its placement, stale with the reason (imports as given),
  until a complete run replaces it; its category's fallback table keeps it;
- only a model its provider retired leaves the placements.

An adaptive run (`assess --adaptive`, status `decided`) is accepted explicitly as
adaptive evidence: its score is placed as the full run it decided (`placement_evidence`),
the placement's evidence records that it was adaptive, after how many tasks and at which
confidence, and a later run of every task replaces it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from benchmarks.layering import (
    DEFAULT_CATEGORY_WEIGHTS,
    BenchmarkEvidence,
    Decision,
    place_category,
)
from benchmarks.stats import wilson_interval
from router.errors import UnknownNameError
from router.measurement import PlacementProtocol, load_placement_protocol
from router.placements import write_fallback_table
from router.store import get_engine
from router.store.models import (
    BenchmarkRun,
    BenchmarkScore,
    Model,
    ModelStatus,
    Placement,
    RunStatus,
)
from router.store.types import utcnow
from router.store.versions import PLACEMENTS, bump_version

UNFINISHED = (RunStatus.FAILED, RunStatus.INCOMPLETE)
#: runs that end with a score: a newer one of these clears an older failure's staleness
SCORED = (RunStatus.COMPLETED, RunStatus.DECIDED)


def current_protocol_version(benchmark: str) -> str | None:
    from benchmarks.registry import get_benchmark

    try:
        return str(get_benchmark(benchmark).protocol_version)
    except UnknownNameError:
        return None


@dataclass
class Evidence:
    """What placement may use, read from the store in one pass."""

    scores: list[BenchmarkScore] = field(default_factory=list)
    chosen: dict[str, dict[str, BenchmarkScore]] = field(default_factory=dict)
    not_placed: dict[int, str] = field(default_factory=dict)  # score id -> why
    stale: dict[tuple[str, str], str] = field(default_factory=dict)  # (model, bench) -> why

    def for_placement(self) -> dict[str, dict[str, BenchmarkEvidence]]:
        return {m: {b: placement_evidence(s) for b, s in benches.items()}
                for m, benches in self.chosen.items()}


def placement_evidence(score: BenchmarkScore) -> BenchmarkEvidence:
    """What placement sees of a score.

    A score of an adaptive run (`score.adaptive`, see benchmarks/assessment/decide.py) is
    placed as the full run it stands for: its confidence sequence holds the full run's
    pass count in [low, high] at the stated confidence, and when the run stopped, every
    count in that interval gave the model the same layer. It enters placement as the
    count nearest its measured rate inside that interval, with the Wilson interval of a
    run of every task: in the population of the decision that is the decided layer. The
    evidence says it was adaptive, after how many tasks, and at what confidence; a run of
    every task replaces it.
    """
    if not score.adaptive:
        return BenchmarkEvidence(score.pass_at_1, score.ci_low, score.ci_high,
                                 score.latency_p50_ms, score.cost_per_solved_usd,
                                 score.robustness)
    tasks = int(score.adaptive["tasks"])
    low, high = (int(x) for x in score.adaptive["count_interval"])
    count = min(max(round(score.pass_at_1 * tasks), low), high)
    ci_low, ci_high = wilson_interval(count, tasks)
    cost = score.cost_per_solved_usd
    if cost is not None and score.pass_at_1 > 0:  # the same cost per task, over `count`
        cost = cost * score.pass_at_1 * tasks / count if count else None
    return BenchmarkEvidence(count / tasks, float(ci_low), float(ci_high),
                             score.latency_p50_ms, cost, score.robustness)


def _mismatch(protocol: PlacementProtocol, measured: BenchmarkRun | BenchmarkScore,
              versions: dict[str, str | None]) -> str | None:
    """Why a run or score is not of the placement protocol (None: it is)."""
    return protocol.mismatch(
        scope=measured.task_scope, task_count=measured.task_count,
        samples=measured.samples_per_task, temperature=measured.temperature,
        protocol_version=measured.protocol_version,
        current_version=versions[measured.benchmark])


def gather_evidence(session: Session, protocol: PlacementProtocol) -> Evidence:
    scores = session.exec(select(BenchmarkScore).order_by(
        col(BenchmarkScore.computed_at), col(BenchmarkScore.id))).all()
    retired = set(session.exec(select(Model.id).where(Model.status == ModelStatus.RETIRED)))
    versions: dict[str, str | None] = {}
    for bench in {s.benchmark for s in scores}:
        versions[bench] = current_protocol_version(bench)
    out = Evidence(scores=list(scores))
    eligible: list[BenchmarkScore] = []
    for s in scores:
        why = ("its provider retired the model" if s.model_id in retired
               else _mismatch(protocol, s, versions))
        if why:
            out.not_placed[s.id] = why  # type: ignore[index]
        else:
            eligible.append(s)
    # One task set per benchmark: the suite's, as the newest eligible score saw it.
    suite = {s.benchmark: s.task_set for s in eligible}
    for s in eligible:
        if s.task_set != suite[s.benchmark]:
            out.not_placed[s.id] = (  # type: ignore[index]
                "measured on an earlier version of the suite's task set")
        else:
            out.chosen.setdefault(s.model_id, {})[s.benchmark] = s

    runs = session.exec(select(BenchmarkRun).where(
        col(BenchmarkRun.status).in_(list(UNFINISHED) + list(SCORED)))
        .order_by(col(BenchmarkRun.id))).all()
    newest: dict[tuple[str, str], BenchmarkRun] = {}
    for run in runs:
        if run.benchmark not in versions:
            versions[run.benchmark] = current_protocol_version(run.benchmark)
        if _mismatch(protocol, run, versions) is None:
            newest[(run.model_id, run.benchmark)] = run
    for (model_id, bench), run in newest.items():
        used = out.chosen.get(model_id, {}).get(bench)
        if run.status in UNFINISHED and (used is None or (used.run_id or 0) < (run.id or 0)):
            since = f" of {used.computed_at:%Y-%m-%d %H:%M} UTC" if used else ""
            out.stale[(model_id, bench)] = (
                f"{bench}: the newest run (#{run.id}, {run.started_at:%Y-%m-%d %H:%M} UTC) "
                f"{run.status}: {run.error or 'no reason recorded'}; "
                f"placed from the last complete run{since}")
    return out


def place_all(
    weights: Mapping[str, Mapping[str, float]] = DEFAULT_CATEGORY_WEIGHTS,
    database_url: str | None = None,
    protocol: PlacementProtocol | None = None,
) -> dict[str, list[Decision]]:
    """Recompute every category's placements and fallback table in one transaction.

    Two assessments finishing at once may both insert a model's first placement; the
    loser's transaction rolls back whole and is recomputed from what the winner wrote.
    """
    protocol = protocol or load_placement_protocol()
    for attempt in range(3):
        try:
            return _place_all(weights, database_url, protocol)
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _kept_reason(model_id: str, benches: list[str], evidence: Evidence,
                 scores: list[BenchmarkScore], decisions: list[Decision]) -> str:
    """Why a placed model has no measurement to place it with now."""
    compared = decisions[0].evidence if decisions else {}
    if model_id in compared.get("left_out", ()):
        common = ", ".join(compared.get("benchmarks", ()))
        return (f"kept from its last placement: not measured on {common}, which every "
                "other candidate of the category has")
    reasons = [f"{s.benchmark}: {evidence.not_placed[s.id]}" for s in scores
               if s.model_id == model_id and s.benchmark in benches and s.id in evidence.not_placed]
    reasons += [evidence.stale[(model_id, b)] for b in benches if (model_id, b) in evidence.stale]
    if not reasons:
        reasons = [f"no complete measurement of {', '.join(benches)} under the current protocol"]
    return "kept from its last placement: " + "; ".join(dict.fromkeys(reasons))


def _order(fresh: list[Decision], kept: list[Placement]) -> list[str]:
    """Layer first (fallback order never contradicts layers); within a layer the fresh
    decisions in placement's own order, then kept placements by score."""
    rows = [(d.layer, 0, i, d.model_id) for i, d in enumerate(fresh)]
    ranked = sorted(kept, key=lambda p: (-p.rank_score, p.model_id))
    rows += [(p.layer, 1, i, p.model_id) for i, p in enumerate(ranked)]
    return [model for *_, model in sorted(rows)]


def _place_all(weights: Mapping[str, Mapping[str, float]], database_url: str | None,
               protocol: PlacementProtocol) -> dict[str, list[Decision]]:
    with Session(get_engine(database_url)) as s:
        evidence = gather_evidence(s, protocol)
        all_scores = evidence.scores
        retired = set(s.exec(select(Model.id).where(Model.status == ModelStatus.RETIRED)))
        used: set[tuple[str, str]] = set()
        result: dict[str, list[Decision]] = {}
        now = utcnow()
        for category, w in weights.items():
            benches = [b for b, x in w.items() if x > 0]
            existing = {p.model_id: p for p in
                        s.exec(select(Placement).where(Placement.category == category))}
            previous = {m: (p.layer, p.provisional) for m, p in existing.items()}
            decisions = place_category(category, evidence.for_placement(), w, previous)
            placed = {d.model_id for d in decisions}
            kept: list[Placement] = []
            for model_id, row in existing.items():
                if model_id in placed:
                    continue
                if model_id in retired:
                    s.delete(row)
                    continue
                if (row.evidence or {}).get("source") != "import":
                    row.stale = True
                    row.stale_reason = _kept_reason(model_id, benches, evidence, all_scores,
                                                  decisions)
                    s.add(row)
                kept.append(row)
            for d in decisions:
                chosen = evidence.chosen[d.model_id]
                used_benches = [b for b in d.evidence.get("benchmarks", benches) if b in chosen]
                used.update((d.model_id, b) for b in used_benches)
                stale = [evidence.stale[(d.model_id, b)] for b in used_benches
                         if (d.model_id, b) in evidence.stale]
                row = existing.get(d.model_id) or Placement(
                    model_id=d.model_id, category=category, layer=d.layer, rank_score=d.score)
                row.layer, row.rank_score, row.provisional = d.layer, d.score, d.provisional
                row.pass_rate = d.pass_rate
                row.stale, row.stale_reason = bool(stale), "; ".join(stale) or None
                row.evidence = {k: v for k, v in asdict(d).items()
                                if k not in ("model_id", "category")}
                row.evidence["measurements"] = {b: _measurement(chosen[b]) for b in used_benches}
                row.assessed_at = now
                s.add(row)
            if decisions or existing:  # an emptied category must not keep a stale table
                write_fallback_table(s, category, _order(decisions, kept))
            result[category] = decisions
        _mark_scores(all_scores, evidence, used)
        for score in all_scores:
            s.add(score)
        bump_version(s, PLACEMENTS)
        s.commit()
    return result


def _measurement(score: BenchmarkScore) -> dict[str, Any]:
    return {"score_id": score.id, "run_id": score.run_id, "protocol": score.protocol_version,
            "tasks": score.task_count, "task_scope": score.task_scope,
            "samples": score.samples_per_task, "temperature": score.temperature,
            "pass_at_1": score.pass_at_1, "computed_at": score.computed_at.isoformat(),
            "adaptive": score.adaptive}


def _mark_scores(scores: list[BenchmarkScore], evidence: Evidence,
                 used: set[tuple[str, str]]) -> None:
    """Record on every score whether it places its model, and why not."""
    for score in scores:
        chosen = evidence.chosen.get(score.model_id, {}).get(score.benchmark)
        is_used = chosen is not None and chosen.id == score.id and \
            (score.model_id, score.benchmark) in used
        score.placed = is_used
        if is_used:
            score.not_placed_reason = None
        elif score.id in evidence.not_placed:
            score.not_placed_reason = evidence.not_placed[score.id]
        else:
            score.not_placed_reason = "no category's placement uses this benchmark"
