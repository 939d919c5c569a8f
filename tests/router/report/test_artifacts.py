"""What the assessment flow publishes as Prefect artifacts (built without Prefect)."""

from __future__ import annotations

import base64
import re
from pathlib import Path

from router.report.artifacts import report_artifacts
from tests.router.report.conftest import GPT, LLAMA

KEY = re.compile(r"^[a-z0-9-]+$")  # Prefect's rule for artifact keys


def test_artifacts_carry_the_charts_tables_and_a_link(seeded_sqlite: str,
                                                      tmp_path: Path) -> None:
    art = report_artifacts(seeded_sqlite, tmp_path / "out")
    assert art.report_path == tmp_path / "out" / "report.html" and art.report_path.is_file()
    assert art.link == art.report_path.resolve().as_uri()
    assert not art.empty
    keys = [art.link_key, art.markdown_key] + [t.key for t in art.tables]
    assert all(KEY.match(k) for k in keys) and len(keys) == len(set(keys))
    images = re.findall(r"!\[([^\]]+)\]\(data:image/png;base64,([A-Za-z0-9+/=]+)\)",
                        art.markdown)
    assert [title for title, _ in images] == [
        "bug-fix: hierarchy (layers 1-6)", "code-generation: hierarchy (layers 1-6)",
        "humaneval: pass@1", "mbpp: pass@1",
        "humaneval: cost per solved task vs pass@1", "mbpp: cost per solved task vs pass@1",
        "humaneval: latency p50 / p95", "mbpp: latency p50 / p95",
        "code-generation: posteriors"]
    assert all(base64.b64decode(data).startswith(b"\x89PNG\r\n\x1a\n") for _, data in images)
    assert f"> humaneval: cost unknown (no price, not plotted): {LLAMA}" in art.markdown
    tables = {t.key: t for t in art.tables}
    board = tables["routerx-report-leaderboard-code-generation"].rows
    assert board[0] == {"rank": 1, "model": GPT, "layer": 1, "rank_score": 1.21,
                        "provisional": False, "pass_rate": 0.9, "stale": ""}
    cost = tables["routerx-report-cost-humaneval"].rows
    assert cost[-1] == {"model": LLAMA, "usd_per_solved": None, "pass_at_1": 0.6,
                        "cost": "unknown"}


def test_empty_store_gives_a_clear_markdown_and_no_tables(tmp_path: Path) -> None:
    art = report_artifacts(f"sqlite:///{tmp_path / 'empty.db'}", tmp_path / "out")
    assert art.empty and art.tables == []
    assert "Nothing to report yet" in art.markdown and "data:image" not in art.markdown
