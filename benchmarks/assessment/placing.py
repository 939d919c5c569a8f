"""Write placements and fallback tables from the stored benchmark scores.

Scores are compared only within one protocol: for each benchmark the protocol of its
most recent score is the current one, and scores under older protocols are ignored
until their models are assessed again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from benchmarks.placement import (
    DEFAULT_CATEGORY_WEIGHTS,
    BenchmarkEvidence,
    Decision,
    place_category,
)
from router.placements import write_fallback_table
from router.store import get_engine
from router.store.models import BenchmarkScore, Model, ModelStatus, Placement
from router.store.types import utcnow
from router.store.versions import PLACEMENTS, bump_version

PLACEABLE = (ModelStatus.ASSESSED, ModelStatus.ASSESSING)


def current_evidence(session: Session) -> dict[str, dict[str, BenchmarkEvidence]]:
    scores = session.exec(select(BenchmarkScore).order_by(col(BenchmarkScore.computed_at))).all()
    current_protocol = {s.benchmark: s.protocol_version for s in scores}  # the latest wins
    placeable = set(session.exec(select(Model.id).where(col(Model.status).in_(PLACEABLE))))
    evidence: dict[str, dict[str, BenchmarkEvidence]] = {}
    for s in scores:
        if s.protocol_version != current_protocol[s.benchmark] or s.model_id not in placeable:
            continue
        evidence.setdefault(s.model_id, {})[s.benchmark] = BenchmarkEvidence(
            s.pass_at_1, s.ci_low, s.ci_high, s.latency_p50_ms, s.cost_per_solved_usd,
            s.robustness)
    return evidence


def place_all(
    weights: Mapping[str, Mapping[str, float]] = DEFAULT_CATEGORY_WEIGHTS,
    database_url: str | None = None,
) -> dict[str, list[Decision]]:
    """Recompute every category's placements and fallback table in one transaction.

    Two assessments finishing at once may both insert a model's first placement; the
    loser's transaction rolls back whole and is recomputed from what the winner wrote.
    """
    for attempt in range(3):
        try:
            return _place_all(weights, database_url)
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _place_all(
    weights: Mapping[str, Mapping[str, float]], database_url: str | None
) -> dict[str, list[Decision]]:
    with Session(get_engine(database_url)) as s:
        evidence = current_evidence(s)
        result: dict[str, list[Decision]] = {}
        for category, w in weights.items():
            existing = {p.model_id: p for p in
                        s.exec(select(Placement).where(Placement.category == category))}
            previous = {m: (p.layer, p.provisional) for m, p in existing.items()}
            decisions = place_category(category, evidence, w, previous)
            now = utcnow()
            for model_id, row in existing.items():
                if model_id not in {d.model_id for d in decisions}:
                    s.delete(row)
            for d in decisions:
                row = existing.get(d.model_id) or Placement(
                    model_id=d.model_id, category=category, layer=d.layer, rank_score=d.score)
                row.layer, row.rank_score, row.provisional = d.layer, d.score, d.provisional
                row.pass_rate = d.pass_rate
                row.evidence = {k: v for k, v in asdict(d).items()
                                if k not in ("model_id", "category")}
                row.assessed_at = now
                s.add(row)
            if decisions or existing:  # an emptied category must not keep a stale table
                write_fallback_table(s, category, [d.model_id for d in decisions])
            result[category] = decisions
        bump_version(s, PLACEMENTS)
        s.commit()
    return result
