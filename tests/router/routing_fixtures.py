"""Helpers that seed a store with a hierarchy, the way a team shares one (an import)."""

from __future__ import annotations

from typing import Any

import pytest

from router.placements import import_placements, parse_placements
from router.store import session_scope
from router.store.models import Model

CATEGORY = "code-generation"


def doc(n: int = 4, category: str = CATEGORY, prefix: str = "prov") -> dict[str, list[dict]]:
    """n models best first: layers 1.., scores falling, pass rates falling."""
    return {
        category: [
            {
                "model": f"{prefix}/model-{i}:8b",
                "layer": 1 + i // 3,
                "score": round(1.0 - i * 0.05, 3),
                "provisional": False,
                "pass_rate": round(0.85 - i * 0.03, 3),
                "stale": False,
                "stale_reason": None,
            }
            for i in range(n)
        ]
    }


def seed(url: str, placements: dict[str, list[dict]], models: list[Model] | None = None) -> Any:
    """Catalogue `models` first (so their provider column is what the test says), then
    import `placements` like `routerx placements import` does."""
    with session_scope(url) as s:
        for m in models or []:
            s.add(m)
    with session_scope(url) as s:
        return import_placements(s, parse_placements(placements), source="test.json")


def run_main(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
             *args: str) -> tuple[int, str, str]:
    """Run `routerx ARGS` through the real entry point; (exit code, stdout, stderr)."""
    from router.cli import main

    monkeypatch.setattr("sys.argv", ["routerx", *args])
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err
