"""The held-out scenario of issue 11, through the CLI against the loopback provider.

Full runs of four models place them; then a `--limit 3` smoke run of the leader, a
re-assessment whose key the provider rejects, one naming a provider routerx no longer
knows, and one while the provider is down. After each, every placement's score and
layer is exactly what the full runs left; the failed attempts only mark the leader's
placement stale, with the reason, and it keeps routing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from benchmarks.simulated import SimulatedModel, SimulatedProvider
from tests.deployments.conftest import base_env, running_prefect_server

MODELS = (SimulatedModel("sim-ace", 0.95, 0.01), SimulatedModel("sim-solid", 0.7, 0.01),
          SimulatedModel("sim-fair", 0.45, 0.01), SimulatedModel("sim-weak", 0.15, 0.01))
PLACEMENT_TASKS = 12  # the placement protocol here: the first 12 HumanEval tasks
KEY = "sim-key-for-the-scenario-0001"


def _config(path: Path, base_url: str | None) -> Path:
    lines = ['[prices."simulated/*"]', "input = 1.0", "output = 2.0",
             "[placement]", f"limit = {PLACEMENT_TASKS}"]
    if base_url:  # without it routerx no longer knows the provider
        lines += ["[providers.simulated]", f'base_url = "{base_url}"', 'api_key_env = "SIM_KEY"']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _routerx(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "router", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=900)


def _json(proc: subprocess.CompletedProcess[str], code: int = 0) -> Any:
    assert proc.returncode == code, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def _numbers(listing: dict[str, list[dict]]) -> dict[str, list[tuple]]:
    """What must not move: order, layer, score, pass rate, provisional."""
    return {c: [(e["model"], e["layer"], e["score"], e["pass_rate"], e["provisional"])
                for e in entries] for c, entries in listing.items()}


@pytest.mark.slow  # a real Prefect server and whole assessments: minutes
def test_smoke_and_failed_runs_leave_every_placement_as_the_full_runs_did(tmp_path: Path) -> None:
    # One Prefect server for the seven CLI runs (each would otherwise start its own).
    (tmp_path / "prefect").mkdir()
    with running_prefect_server(tmp_path / "prefect") as server:
        _scenario(tmp_path, base_env(tmp_path) | {
            "PREFECT_API_URL": server.url,
            "ROUTERX_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}", "SIM_KEY": KEY,
            "ROUTERX_HTTP_RETRIES": "1", "ROUTERX_HTTP_RETRY_MAX_SECONDS": "2"})


def _scenario(tmp_path: Path, env: dict[str, str]) -> None:
    with SimulatedProvider(MODELS, api_key=KEY) as sim:
        env["ROUTERX_CONFIG"] = str(_config(tmp_path / "routerx.toml", sim.base_url))
        assert _routerx(env, tmp_path, "discover", "--json").returncode == 0
        ids = [f"simulated/{m.name}" for m in MODELS]
        full = _json(_routerx(env, tmp_path, "assess", *ids, "-b", "humaneval",
                              "--limit", str(PLACEMENT_TASKS), "--json"))
        assert {m["outcome"] for m in full["models"].values()} == {"completed"}
        placed = _json(_routerx(env, tmp_path, "placements", "--json"))
        leader = placed["code-generation"][0]["model"]
        assert leader == "simulated/sim-ace"
        assert not any(e["stale"] for e in placed["code-generation"])

        # 1. a smoke run of the leader: its own score, never placed
        smoke = _json(_routerx(env, tmp_path, "assess", leader, "-b", "humaneval",
                               "--limit", "3", "--json"))
        score = smoke["models"][leader]["benchmarks"]["humaneval"]
        assert (score["tasks"], score["task_scope"], score["placed"]) == (3, "first 3", False)
        assert "smoke or partial run" in score["not_placed_reason"]
        assert _json(_routerx(env, tmp_path, "placements", "--json")) == placed

        # 2. the provider revoked the key
        env["SIM_KEY"] = "revoked-key-0000000000"
        revoked = _json(_routerx(env, tmp_path, "assess", leader, "-b", "humaneval", "--limit",
                                 str(PLACEMENT_TASKS), "--seed", "1", "--json"), code=1)
        assert sim.rejected >= 1
        assert revoked["models"][leader]["outcome"] == "failed"
        assert revoked["models"][leader]["status"] == "assessed"
        assert "401" in revoked["models"][leader]["reason"]
        assert "revoked-key" not in json.dumps(revoked)
        after = _json(_routerx(env, tmp_path, "placements", "--json"))
        assert _numbers(after) == _numbers(placed)
        stale = after["code-generation"][0]
        assert stale["stale"] and "failed" in stale["stale_reason"] and \
            "401" in stale["stale_reason"]
        env["SIM_KEY"] = KEY

        # 3. a provider routerx does not know any more (removed from routerx.toml)
        env_unknown = env | {"ROUTERX_CONFIG": str(_config(tmp_path / "bare.toml", None))}
        unknown = _json(_routerx(env_unknown, tmp_path, "assess", leader, "-b", "humaneval",
                                 "--limit", str(PLACEMENT_TASKS), "--seed", "2", "--json"), code=1)
        assert unknown["models"][leader]["outcome"] == "failed"
        assert _numbers(_json(_routerx(env, tmp_path, "placements", "--json"))) == \
            _numbers(placed)

    # 4. the provider is down
    down = _json(_routerx(env, tmp_path, "assess", leader, "-b", "humaneval", "--limit",
                          str(PLACEMENT_TASKS), "--seed", "3", "--json"), code=1)
    assert down["models"][leader]["outcome"] == "failed"
    assert "cannot connect" in down["models"][leader]["reason"]
    final = _json(_routerx(env, tmp_path, "placements", "--json"))
    assert _numbers(final) == _numbers(placed)
    assert "cannot connect" in final["code-generation"][0]["stale_reason"]

    # the leader still routes first, and every view says what happened
    route = _json(_routerx(env, tmp_path, "route", "--category", "code-generation", "--json"))
    assert route["model"] == leader
    models = {m["id"]: m for m in _json(_routerx(env, tmp_path, "models", "--json"))["models"]}
    ace = models[leader]
    assert ace["status"] == "assessed" and "did not complete" in ace["status_reason"]
    assert [(s["tasks"], s["placed"]) for s in ace["scores"]] == [
        (PLACEMENT_TASKS, True), (3, False)]
    assert ace["placements"]["code-generation"]["stale"] is True
    human = _routerx(env, tmp_path, "placements")
    assert human.returncode == 0, human.stderr
    assert "stale: why" in human.stdout and "measured, not placed" in human.stdout
    assert "first 3" in human.stdout
