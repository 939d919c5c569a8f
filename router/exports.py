"""The plan's "update files" step: scoring matrix, fallback tables, OpenCode config.

Each file is written atomically. None of them ever holds a key: the OpenCode config
gets model entries (and, for local endpoints, a base URL), and OpenCode reads keys
from the environment itself.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from router.errors import InputError
from router.files import atomic_write_json, atomic_write_text
from router.placements import latest_fallback_tables
from router.providers.catalog import is_hosted, opencode_provider_id
from router.scores import describe, unplaced_scores
from router.store import get_engine
from router.store.models import BenchmarkScore, Model, Placement

log = logging.getLogger(__name__)

# routerx provider name -> OpenCode's provider id (models.dev ids)
# Hosted providers OpenCode knows by itself (it needs no base URL for them).
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


def opencode_id(model_id: str) -> str:
    """A routerx model id as OpenCode names it (`gemini/x` is `google/x` there)."""
    provider, _, name = model_id.partition("/")
    return f"{opencode_provider_id(provider)}/{name}"


def fallback_tables_json(session: Session) -> dict[str, Any]:
    """Per category the fallback order in OpenCode's ids (`models`) and routerx's
    (`routerx_models`, what `routerx pin` and the API take); stale placements (keyed by
    OpenCode id) with their reason."""
    tables = latest_fallback_tables(session)
    stale: dict[str, dict[str, str]] = {}
    for p in session.exec(select(Placement).where(col(Placement.stale).is_(True))):
        stale.setdefault(p.category, {})[opencode_id(p.model_id)] = p.stale_reason or "stale"
    return {
        "generated_at": datetime.now(UTC).isoformat(),
        "categories": {c: {"version": t.version,
                           "models": [opencode_id(m) for m in t.models],
                           "routerx_models": list(t.models),
                           "stale": stale.get(c, {}),
                           "created_at": t.created_at.isoformat()}
                       for c, t in sorted(tables.items())},
    }


@dataclass(frozen=True)
class Endpoint:
    """A provider OpenCode does not know: where it is, and the variable with its key."""

    base_url: str
    key_env: str | None = None


@dataclass(frozen=True)
class OpenCodePlan:
    """What `routerx opencode` (or `assess --opencode-config`) writes besides the models.

    `serve_url`: write a `routerx` provider (`@ai-sdk/openai-compatible`) whose base URL
    is the routing endpoint, with models `auto` and one per category. `apply`: OpenCode
    agent (or `model`, `small_model`) -> category (`auto` for the default); each gets
    `routerx/<category>`, or with `direct` the category's layer-1 model itself.
    """

    serve_url: str | None = None
    token_env: str | None = None
    apply: dict[str, str] = field(default_factory=dict)
    direct: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Plain data, for a Prefect flow parameter."""
        return {"serve_url": self.serve_url, "token_env": self.token_env,
                "apply": dict(self.apply), "direct": self.direct}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> OpenCodePlan:
        data = data or {}
        return cls(data.get("serve_url"), data.get("token_env"), dict(data.get("apply") or {}),
                   bool(data.get("direct")))


def _limit(m: Model) -> dict[str, int] | None:
    """OpenCode wants both numbers or no `limit` at all (its schema requires both)."""
    if m.context_window and m.max_output_tokens:
        return {"context": m.context_window, "output": m.max_output_tokens}
    return None


def merge_opencode_config(path: Path, models: list[Model], endpoints: dict[str, Endpoint],
                          plan: OpenCodePlan | None = None,
                          categories: dict[str, str | None] | None = None) -> int:
    """Add `models` under provider.<id>.models.<name> (and what `plan` asks for) to an
    OpenCode config, JSON or JSONC, editing its text: comments, order and every other
    key stay as they were. The previous file is kept as `<name>.bak`. Returns how many
    model entries were added. `categories`: category -> its layer-1 model (for apply).
    """
    from router.jsonc import Document

    plan = plan or OpenCodePlan()
    text = '{\n  "$schema": "https://opencode.ai/config.json"\n}\n'
    if path.exists():
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{path}: cannot read it as UTF-8 text ({exc}); fix or move it, "
                             "routerx will not overwrite a config it cannot read") from None
    doc = Document(text, str(path))
    added = 0

    def missing(*keys: str) -> bool:
        node: Any = doc.value
        for key in keys:
            if not isinstance(node, dict) or key not in node:
                return True
            node = node[key]
        return False

    for m in models:
        pid = opencode_provider_id(m.provider)
        endpoint = endpoints.get(m.provider)
        if endpoint is None and not is_hosted(m.provider):
            # A custom endpoint not configured here (say, the demo's simulated provider,
            # gone with the demo): OpenCode could neither find nor reach it.
            log.info("opencode export: %s skipped: its provider is not configured here",
                     m.id)
            continue
        if endpoint is not None and missing("provider", pid, "options"):
            options: dict[str, str] = {"baseURL": endpoint.base_url}
            if endpoint.key_env:
                options["apiKey"] = f"{{env:{endpoint.key_env}}}"
            doc.set(("provider", pid, "npm"), OPENAI_COMPATIBLE_NPM)
            doc.set(("provider", pid, "name"), m.provider)
            doc.set(("provider", pid, "options"), options)
        if not missing("provider", pid, "models", m.name):
            continue
        item: dict[str, Any] = {"name": m.display_name or m.name}
        limit = _limit(m)
        if limit:
            item["limit"] = limit
        doc.set(("provider", pid, "models", m.name), item)
        added += 1
    categories = categories or {}
    routed = plan.serve_url is not None or (plan.apply and not plan.direct)
    if routed:
        _routerx_provider(doc, plan, sorted(categories), missing)
    for agent, category in plan.apply.items():
        if plan.direct:
            first = categories.get(category)
            if first is None:
                raise InputError(f"--apply {agent}={category}: no placed model in category "
                                 f"{category!r}; known: {', '.join(sorted(categories))}")
            value = opencode_id(first)
        else:
            value = f"{ROUTERX_PROVIDER}/{category}"
        doc.set((agent,) if agent in TOP_LEVEL_MODELS else ("agent", agent, "model"), value)
    if path.exists():
        shutil.copy2(path, path.with_name(path.name + ".bak"))
    atomic_write_text(path, doc.text)
    return added


ROUTERX_PROVIDER = "routerx"
TOP_LEVEL_MODELS = ("model", "small_model")
DEFAULT_SERVE_URL = "http://127.0.0.1:8787/v1"


def _routerx_provider(doc: Any, plan: OpenCodePlan, categories: list[str],
                      missing: Any) -> None:
    base = ("provider", ROUTERX_PROVIDER)
    options: dict[str, str] = {"baseURL": plan.serve_url or DEFAULT_SERVE_URL}
    if plan.token_env:
        options["apiKey"] = f"{{env:{plan.token_env}}}"
    if missing(*base, "npm"):
        doc.set((*base, "npm"), OPENAI_COMPATIBLE_NPM)
        doc.set((*base, "name"), "routerx")
    doc.set((*base, "options"), options)
    for name, title in [("auto", "routerx: routed (default category)")] + [
            (c, f"routerx: routed ({c})") for c in categories]:
        if missing(*base, "models", name):
            doc.set((*base, "models", name), {"name": title})


def custom_endpoints() -> dict[str, Endpoint]:
    """Local and custom endpoints need their base URL (and key variable) in OpenCode's
    config; the hosted providers are known to OpenCode already."""
    from router.providers.catalog import load_providers
    from router.settings import load_settings

    out: dict[str, Endpoint] = {}
    for name, cfg in load_providers(load_settings()).items():
        if not cfg.base_url:
            continue
        if name == "ollama":
            base = cfg.base_url if "://" in cfg.base_url else f"http://{cfg.base_url}"
            out[name] = Endpoint(f"{base}/v1")
        elif cfg.wire == "openai" and not is_hosted(name):
            out[name] = Endpoint(cfg.base_url, cfg.key_env)
    return out


def export_all(export_dir: Path, opencode_config: Path | None = None,
               database_url: str | None = None,
               plan: OpenCodePlan | None = None) -> ExportPaths:
    with Session(get_engine(database_url)) as s:
        matrix = scoring_matrix_markdown(s)
        tables = fallback_tables_json(s)
        placed = list(s.exec(select(Model).where(col(Model.id).in_(
            select(Placement.model_id))).order_by(col(Model.id))))
        firsts = {c: (t.models[0] if t.models else None)
                  for c, t in latest_fallback_tables(s).items()}
    atomic_write_text(export_dir / "scoring-matrix.md", matrix)
    atomic_write_json(export_dir / "fallback-tables.json", tables)
    if opencode_config is not None:
        merge_opencode_config(opencode_config, placed, custom_endpoints(), plan, firsts)
    return ExportPaths(export_dir / "scoring-matrix.md", export_dir / "fallback-tables.json",
                       opencode_config)
