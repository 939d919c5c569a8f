"""Placements and fallback tables: read, write, import, export.

One JSON shape is both the export (`routerx placements --json`, `GET /v1/placements`)
and the import (`routerx placements import FILE.json`), so a team can share one
hierarchy between machines and tests can seed a router without assessments:

    {"<category>": [{"model": "provider/id", "layer": 1-6, "score": x,
                     "provisional": bool, "pass_rate": p | null,
                     "stale": bool, "stale_reason": text | null}, ...]}

entries best first (`stale` and `stale_reason` may be left out: not stale). A stale
placement is kept from the model's last complete measurement while a newer attempt
failed or ran under an older protocol (benchmarks/assessment/placing.py); it still
routes. A category's fallback table is its models ordered by layer (1 is
best) then by score (higher is better); ties keep the order they were given in, so a
file round-trips unchanged. The assessment flow reuses `write_fallback_table`, which
adds a version only when the order actually changes.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from router.errors import InputError, UnknownNameError
from router.ids import check_category, check_model_id, shown
from router.store.models import FallbackTable, Model, ModelStatus, Placement
from router.store.types import utcnow
from router.store.versions import PLACEMENTS, bump_version

_ENTRY_KEYS = {"model", "layer", "score", "provisional", "pass_rate", "stale", "stale_reason"}
# A shared hierarchy is a few KiB per category; a file far beyond that is a mistake.
MAX_IMPORT_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class PlacementEntry:
    model: str
    layer: int
    score: float
    provisional: bool = False
    pass_rate: float | None = None
    stale: bool = False
    stale_reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "layer": self.layer,
            "score": self.score,
            "provisional": self.provisional,
            "pass_rate": self.pass_rate,
            "stale": self.stale,
            "stale_reason": self.stale_reason,
        }


@dataclass(frozen=True, slots=True)
class ImportSummary:
    categories: int
    placements: int
    new_models: tuple[str, ...]
    removed: int
    fallback_versions: dict[str, int]
    placements_version: int


# --- ordering --------------------------------------------------------------------------


def fallback_order(entries: Iterable[PlacementEntry]) -> list[str]:
    """Models by layer (ascending) then score (descending); ties keep the given order."""
    ranked = sorted(enumerate(entries), key=lambda ie: (ie[1].layer, -ie[1].score, ie[0]))
    return [entry.model for _, entry in ranked]


def split_model_id(model_id: str) -> tuple[str, str]:
    """('provider', 'name') at the FIRST '/': `ollama/llama3.1:8b` -> ollama, llama3.1:8b.

    Ids are never split on ':' (the original sketch did, and broke Ollama tags).
    """
    provider, sep, name = model_id.partition("/")
    if not sep or not provider or not name or model_id != model_id.strip() or " " in model_id:
        raise ValueError(
            f"model id {model_id!r} must look like 'provider/model' (e.g. openai/gpt-5.2)"
        )
    return provider, name


# --- parsing (pure) --------------------------------------------------------------------


def _entry(raw: Any, where: str) -> PlacementEntry:
    if not isinstance(raw, dict):
        raise InputError(f"{where}: must be an object, got {type(raw).__name__}")
    unknown = set(raw) - _ENTRY_KEYS
    if unknown:
        raise InputError(
            f"{where}: unknown field(s) {', '.join(sorted(unknown))}; "
            f"allowed: {', '.join(sorted(_ENTRY_KEYS))}"
        )
    model = check_model_id(raw.get("model"), f"{where}: 'model'")
    where = f"{where} (model {shown(model)})"
    layer = raw.get("layer")
    if isinstance(layer, bool) or not isinstance(layer, int) or not 1 <= layer <= 6:
        raise InputError(f"{where}: 'layer' must be an integer from 1 to 6, got {layer!r}")
    score = raw.get("score")
    if isinstance(score, bool) or not isinstance(score, int | float) or not math.isfinite(score):
        raise InputError(f"{where}: 'score' must be a finite number, got {score!r}")
    provisional = raw.get("provisional", False)
    if not isinstance(provisional, bool):
        raise InputError(f"{where}: 'provisional' must be true or false, got {provisional!r}")
    pass_rate = raw.get("pass_rate")
    if pass_rate is not None and (
        isinstance(pass_rate, bool)
        or not isinstance(pass_rate, int | float)
        or not 0.0 <= pass_rate <= 1.0
    ):
        raise InputError(f"{where}: 'pass_rate' must be null or within [0, 1], got {pass_rate!r}")
    stale = raw.get("stale", False)
    if not isinstance(stale, bool):
        raise InputError(f"{where}: 'stale' must be true or false, got {stale!r}")
    stale_reason = raw.get("stale_reason")
    if stale_reason is not None and (not isinstance(stale_reason, str)
                                     or len(stale_reason) > 2000):
        raise InputError(f"{where}: 'stale_reason' must be null or a text of at most 2000 "
                         "characters")
    return PlacementEntry(
        model=model,
        layer=layer,
        score=float(score),
        provisional=provisional,
        pass_rate=None if pass_rate is None else float(pass_rate),
        stale=stale,
        stale_reason=stale_reason if stale else None,
    )


def parse_placements(data: Any, source: str = "placements") -> dict[str, list[PlacementEntry]]:
    """Validate the whole document before anything is written; errors name the entry."""
    if not isinstance(data, dict):
        raise InputError(
            f"{source}: expected an object {{\"<category>\": [entries...]}}, "
            f"got {type(data).__name__}"
        )
    if not data:
        raise InputError(f"{source}: no categories in the file")
    parsed: dict[str, list[PlacementEntry]] = {}
    for category, entries in data.items():
        check_category(category, f"{source}: category name")
        if not isinstance(entries, list) or not entries:
            raise InputError(
                f"{source}: category {shown(category)} must map to a non-empty list of entries"
            )
        seen: set[str] = set()
        out = []
        for i, raw in enumerate(entries, start=1):
            entry = _entry(raw, f"{source}: category {category!r} entry {i}")
            if entry.model in seen:
                raise InputError(
                    f"{source}: category {category!r} entry {i}: model {entry.model!r} "
                    "appears twice"
                )
            seen.add(entry.model)
            out.append(entry)
        parsed[category] = out
    return parsed


def read_placements_file(path: Path) -> dict[str, list[PlacementEntry]]:
    """Read and validate a whole file before anything is written.

    Whatever is wrong with it (unreadable, larger than MAX_IMPORT_BYTES, not UTF-8, not
    JSON, nested deeper than the parser recurses, a key given twice, the wrong shape) is
    one InputError naming the file, never a traceback.
    """
    try:
        with Path(path).open("rb") as handle:
            raw = handle.read(MAX_IMPORT_BYTES + 1)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(raw) > MAX_IMPORT_BYTES:
        raise InputError(f"{path}: larger than {MAX_IMPORT_BYTES >> 20} MiB; a placements "
                         "file is the JSON `routerx placements --json` prints")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset "
                         f"{exc.start}); save it as UTF-8 JSON") from None

    def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for key, value in pairs:
            if key in seen:
                raise InputError(f"{path}: key {shown(key)} appears twice in one object")
            seen[key] = value
        return seen

    try:
        data = json.loads(text, object_pairs_hook=unique_keys)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{path}: not valid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    except RecursionError:
        raise InputError(f"{path}: JSON nested too deeply; expected "
                         '{"<category>": [entries...]}') from None
    except ValueError:  # the only other one: an integer longer than Python converts
        raise InputError(f"{path}: a number has more digits than any placement "
                         "needs") from None
    return parse_placements(data, source=str(path))


# --- store -----------------------------------------------------------------------------


def latest_fallback_tables(
    session: Session, category: str | None = None
) -> dict[str, FallbackTable]:
    """The newest version of each category's fallback table."""
    newest = select(FallbackTable.category, func.max(FallbackTable.version).label("v"))
    if category is not None:
        newest = newest.where(FallbackTable.category == category)
    sub = newest.group_by(FallbackTable.category).subquery()
    rows = session.exec(
        select(FallbackTable).join(
            sub,
            (col(FallbackTable.category) == sub.c.category)
            & (col(FallbackTable.version) == sub.c.v),
        )
    ).all()
    return {row.category: row for row in rows}


def write_fallback_table(
    session: Session, category: str, models: Sequence[str]
) -> tuple[int, bool]:
    """Store `models` as the category's fallback order; a new version only on change.

    Returns (current version, whether a version was added). The caller bumps the
    placements version once per transaction (see `router.store.versions`).
    """
    models = list(models)
    current = latest_fallback_tables(session, category).get(category)
    if current is not None and list(current.models) == models:
        return current.version, False
    version = 1 if current is None else current.version + 1
    session.add(FallbackTable(category=category, version=version, models=models))
    session.flush()
    return version, True


def import_placements(
    session: Session, placements: dict[str, list[PlacementEntry]], *, source: str
) -> ImportSummary:
    """Replace the placements of each category in `placements`; other categories stay.

    Runs in the caller's transaction (use `session_scope`): an error anywhere leaves
    the store as it was.
    """
    now = utcnow()
    wanted = {e.model for entries in placements.values() for e in entries}
    known = set(
        session.exec(select(Model.id).where(col(Model.id).in_(sorted(wanted)))).all()
    )
    new_models = sorted(wanted - known)
    for model_id in new_models:
        provider, name = split_model_id(model_id)
        session.add(
            Model(
                id=model_id,
                provider=provider,
                name=name,
                status=ModelStatus.ASSESSED,
                status_reason=f"placed by `routerx placements import` of {Path(source).name}",
                first_seen=now,
                last_seen=now,
            )
        )
    session.flush()

    removed = 0
    count = 0
    versions: dict[str, int] = {}
    for category, entries in placements.items():
        existing = {
            p.model_id: p
            for p in session.exec(select(Placement).where(Placement.category == category)).all()
        }
        keep = {e.model for e in entries}
        for model_id, row in existing.items():
            if model_id not in keep:
                session.delete(row)
                removed += 1
        for entry in entries:
            row = existing.get(entry.model) or Placement(model_id=entry.model, category=category,
                                                          layer=entry.layer, rank_score=entry.score)
            row.layer = entry.layer
            row.rank_score = entry.score
            row.provisional = entry.provisional
            row.pass_rate = entry.pass_rate
            row.stale, row.stale_reason = entry.stale, entry.stale_reason
            row.evidence = {"source": "import", "file": Path(source).name}
            row.assessed_at = now
            session.add(row)
            count += 1
        session.flush()
        versions[category], _ = write_fallback_table(session, category, fallback_order(entries))
    version = bump_version(session, PLACEMENTS)
    return ImportSummary(
        categories=len(placements),
        placements=count,
        new_models=tuple(new_models),
        removed=removed,
        fallback_versions=versions,
        placements_version=version,
    )


def list_placements(session: Session,
                    category: str | None = None) -> dict[str, list[dict[str, Any]]]:
    """The export shape, best first: in fallback-table order, then by layer and score."""
    query = select(Placement)
    if category is not None:
        query = query.where(Placement.category == category)
    rows = session.exec(query).all()
    if category is not None and not rows:
        known = session.exec(select(Placement.category).distinct()).all()
        raise UnknownNameError("category", category, known)
    tables = latest_fallback_tables(session, category)
    by_category: dict[str, list[Placement]] = {}
    for row in rows:
        by_category.setdefault(row.category, []).append(row)
    out: dict[str, list[dict[str, Any]]] = {}
    for cat in sorted(by_category):
        order = {m: i for i, m in enumerate(tables[cat].models)} if cat in tables else {}
        ranked = sorted(
            by_category[cat],
            key=lambda p: (order.get(p.model_id, len(order)), p.layer, -p.rank_score, p.model_id),
        )
        out[cat] = [
            PlacementEntry(
                model=p.model_id,
                layer=p.layer,
                score=p.rank_score,
                provisional=p.provisional,
                pass_rate=p.pass_rate,
                stale=p.stale,
                stale_reason=p.stale_reason,
            ).to_dict()
            for p in ranked
        ]
    return out
