"""The plan's "update files" step: scoring matrix, fallback tables, OpenCode config.

Each file is written atomically. None of them ever holds a key: the OpenCode config
gets model entries (and, for local endpoints, a base URL), and OpenCode reads keys
from the environment itself.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from router.errors import InputError
from router.files import atomic_write_json, atomic_write_text
from router.placements import latest_fallback_tables
from router.scores import describe, unplaced_scores
from router.store import get_engine
from router.store.models import BenchmarkScore, Model, Placement

# routerx provider name -> OpenCode's provider id (models.dev ids)
OPENCODE_PROVIDER_IDS = {"gemini": "google"}
OPENAI_COMPATIBLE_NPM = "@ai-sdk/openai-compatible"


@dataclass(frozen=True)
class ExportPaths:
    scoring_matrix: Path
    fallback_tables: Path
    opencode_config: Path | None


def _fmt(x: float | None, spec: str = ".3f", unit: str = "") -> str:
    return "n/a" if x is None else f"{x:{spec}}{unit}"


def _evidence_scores(session: Session, placements: list[Placement]
                     ) -> dict[tuple[str, str], dict[str, BenchmarkScore]]:
    """(model, category) -> the scores its placement was computed from.

    Read from the placement's recorded measurements, so a stale placement shows the
    numbers it stands on, and a smoke run's score never shows up as a model's score.
    """
    wanted = {int(m["score_id"]) for p in placements
              for m in ((p.evidence or {}).get("measurements") or {}).values()
              if m.get("score_id") is not None}
    by_id = {s.id: s for s in session.exec(
        select(BenchmarkScore).where(col(BenchmarkScore.id).in_(sorted(wanted))))}
    placed: dict[str, dict[str, BenchmarkScore]] = {}
    for s in session.exec(select(BenchmarkScore).where(col(BenchmarkScore.placed).is_(True))):
        placed.setdefault(s.model_id, {})[s.benchmark] = s
    out: dict[tuple[str, str], dict[str, BenchmarkScore]] = {}
    for p in placements:
        used = ((p.evidence or {}).get("measurements") or {})
        if used:
            out[(p.model_id, p.category)] = {b: by_id[m["score_id"]] for b, m in used.items()
                                             if m.get("score_id") in by_id}
        else:  # placed before placements recorded their measurements
            out[(p.model_id, p.category)] = placed.get(p.model_id, {})
    return out


def scoring_matrix_markdown(session: Session) -> str:
    placements = session.exec(select(Placement).order_by(
        col(Placement.category), col(Placement.layer), col(Placement.rank_score).desc())).all()
    evidence = _evidence_scores(session, list(placements))
    lines = ["# routerx scoring matrix", "",
             f"Generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Every figure is measured; "
             "`n/a` means not measured or unknown (an unknown price is never counted as zero). "
             "Each placement shows the scores it was computed from; a *stale* placement is "
             "kept from the model's last complete measurement (reason below its table).",
             ""]
    by_category: dict[str, list[Placement]] = {}
    for p in placements:
        by_category.setdefault(p.category, []).append(p)
    for category, rows in by_category.items():
        benches = sorted({b for p in rows for b in evidence[(p.model_id, category)]})
        lines += [f"## {category}", ""]
        head = ["model", "layer"] + [f"{b} pass@1 [95% CI]" for b in benches] + [
            "tasks", "z", "latency p50/p95 ms", "cost per solved task", "robustness",
            "assessed"]
        lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for p in rows:
            ms = evidence[(p.model_id, category)]
            marks = [m for m, on in (("provisional", p.provisional), ("stale", p.stale)) if on]
            flags = f" ({', '.join(marks)})" if marks else ""
            cells = [f"`{p.model_id}`", f"{p.layer}{flags}"]
            for b in benches:
                s = ms.get(b)
                cells.append("n/a" if s is None else
                             f"{s.pass_at_1:.3f} [{s.ci_low:.3f}, {s.ci_high:.3f}]")
            primary = [ms[b] for b in benches if b in ms]
            cells.append(", ".join(f"{s.task_count} ({s.task_scope})" for s in primary) or
                         "n/a (imported)")
            zs = [s.z_score for s in primary if s.z_score is not None]
            cells.append(", ".join(f"{z:+.2f}" for z in zs) if zs else "n/a (< 3 models)")
            lat = [(s.latency_p50_ms, s.latency_p95_ms) for s in primary]
            cells.append(", ".join(f"{_fmt(a, '.0f')}/{_fmt(b, '.0f')}" for a, b in lat) or "n/a")
            costs = [s.cost_per_solved_usd for s in primary]
            cells.append(", ".join(_fmt(c, ".5f", " USD") for c in costs) or "n/a")
            cells.append(", ".join(_fmt(s.robustness, ".2f") for s in primary) or "n/a")
            cells.append(f"{p.assessed_at:%Y-%m-%d}")
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
        lines += [f"- `{p.model_id}` is stale: {p.stale_reason or 'no reason recorded'}"
                  for p in rows if p.stale]
        if any(p.stale for p in rows):
            lines.append("")
    if not by_category:
        lines.append("No placements yet: run `routerx assess`.")
    unplaced = unplaced_scores(session)
    if unplaced:
        lines += ["", "## Measured, not placed", "",
                  "Smoke and partial runs, other sample counts or temperatures, and older "
                  "protocols: shown, never placed.", "",
                  "| model | score | why not placed |", "|---|---|---|"]
        lines += [f"| `{s.model_id}` | {describe(s)} | {s.not_placed_reason or 'not yet placed'} |"
                  for s in unplaced]
    return "\n".join(lines) + "\n"


def fallback_tables_json(session: Session) -> dict[str, Any]:
    tables = latest_fallback_tables(session)
    stale: dict[str, dict[str, str]] = {}
    for p in session.exec(select(Placement).where(col(Placement.stale).is_(True))):
        stale.setdefault(p.category, {})[p.model_id] = p.stale_reason or "stale"
    return {
        "generated_at": datetime.now(UTC).isoformat(),
        "categories": {c: {"version": t.version, "models": list(t.models),
                           "stale": stale.get(c, {}),
                           "created_at": t.created_at.isoformat()}
                       for c, t in sorted(tables.items())},
    }


def merge_opencode_config(path: Path, models: list[Model], base_urls: dict[str, str]) -> int:
    """Add `models` under provider.<id>.models.<name>; keep every other key the user has.

    The previous file is kept as `<name>.bak`. Returns how many model entries were added.
    """
    config: dict[str, Any] = {"$schema": "https://opencode.ai/config.json"}
    if path.exists():
        try:
            config = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}: not valid JSON ({exc}); fix or move it, routerx will "
                             "not overwrite a config it cannot read") from None
        if not isinstance(config, dict):
            raise InputError(f"{path}: the top level must be a JSON object")
    providers = config.setdefault("provider", {})
    added = 0
    for m in models:
        pid = OPENCODE_PROVIDER_IDS.get(m.provider, m.provider)
        entry = providers.setdefault(pid, {})
        if m.provider in base_urls and "options" not in entry:
            entry.update({"npm": OPENAI_COMPATIBLE_NPM, "name": m.provider,
                          "options": {"baseURL": base_urls[m.provider]}})
        catalogue = entry.setdefault("models", {})
        if m.name in catalogue:
            continue
        item: dict[str, Any] = {"name": m.display_name or m.name}
        limit = {k: v for k, v in (("context", m.context_window),
                                   ("output", m.max_output_tokens)) if v}
        if limit:
            item["limit"] = limit
        catalogue[m.name] = item
        added += 1
    if path.exists():
        shutil.copy2(path, path.with_name(path.name + ".bak"))
    atomic_write_json(path, config)
    return added


def export_all(export_dir: Path, opencode_config: Path | None = None,
               database_url: str | None = None) -> ExportPaths:
    from router.providers.catalog import load_providers
    from router.settings import load_settings

    with Session(get_engine(database_url)) as s:
        matrix = scoring_matrix_markdown(s)
        tables = fallback_tables_json(s)
        placed = list(s.exec(select(Model).where(col(Model.id).in_(
            select(Placement.model_id))).order_by(col(Model.id))))
    atomic_write_text(export_dir / "scoring-matrix.md", matrix)
    atomic_write_json(export_dir / "fallback-tables.json", tables)
    if opencode_config is not None:
        # Local and custom endpoints need their base URL in OpenCode's config; the
        # hosted providers are known to OpenCode already.
        local = {n: c.base_url for n, c in load_providers(load_settings()).items()
                 if c.base_url and (n == "ollama" or c.wire == "openai" and n not in
                                    ("openai", "groq", "cerebras", "nvidia"))}
        if "ollama" in local:
            local["ollama"] = f"{local['ollama']}/v1"
        merge_opencode_config(opencode_config, placed, local)
    return ExportPaths(export_dir / "scoring-matrix.md", export_dir / "fallback-tables.json",
                       opencode_config)
