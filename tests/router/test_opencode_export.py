"""The OpenCode export: OpenCode's schema accepts every file routerx writes, JSONC is
edited in place, and the routing endpoint and agents are wired in on request."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from sqlmodel import Session

from router.errors import InputError
from router.exports import OpenCodePlan, export_all, merge_opencode_config
from router.jsonc import parse
from router.placements import write_fallback_table
from router.store import get_engine
from router.store.models import Model, Placement
from tests.router.routing_fixtures import run_main

SCHEMA = json.loads((Path(__file__).parents[1] / "fixtures" / "opencode" /
                     "config.schema.json").read_text())


def strict(schema: Any) -> Any:
    """The strict variant: every object closed to keys it does not declare."""
    out = copy.deepcopy(schema)

    def close(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "object" and "properties" in node:
                node["additionalProperties"] = False
            for value in node.values():
                close(value)
        elif isinstance(node, list):
            for value in node:
                close(value)

    close(out)
    return out


def accepted(text: str) -> dict[str, Any]:
    value, _ = parse(text)
    jsonschema.validate(value, SCHEMA)
    jsonschema.validate(value, strict(SCHEMA))
    return value


MODELS = [("gemini/gemini-2.5-pro", 1_048_576, 65_536), ("ollama/qwen2.5-coder:7b", 32768, None),
          ("vllm/coder-32b", None, None), ("anthropic/claude-x", 200_000, 64_000),
          ("simulated/sim-ace", None, None)]


def seed(url: str | None = None) -> None:
    with Session(get_engine(url)) as s:
        for i, (mid, ctx, out) in enumerate(MODELS):
            prov, name = mid.split("/", 1)
            s.add(Model(id=mid, provider=prov, name=name, status="assessed",
                        context_window=ctx, max_output_tokens=out))
            s.flush()
            s.add(Placement(model_id=mid, category="code-generation", layer=1 + i,
                            rank_score=1 - i / 10, provisional=True))
        s.add(Placement(model_id="anthropic/claude-x", category="bug-fix", layer=1,
                        rank_score=0.9, provisional=True))
        write_fallback_table(s, "code-generation", [m for m, _, _ in MODELS])
        write_fallback_table(s, "bug-fix", ["anthropic/claude-x"])
        s.commit()


@pytest.fixture
def configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OLLAMA_HOST", "http://127.0.0.1:11434")
    monkeypatch.setenv("VLLM_API_KEY", "vllm-SECRET-key-0123456789")
    toml = tmp_path / "routerx.toml"
    toml.write_text('[providers.vllm]\nbase_url = "http://127.0.0.1:8000/v1"\n'
                    'api_key_env = "VLLM_API_KEY"\n')
    monkeypatch.setenv("ROUTERX_CONFIG", str(toml))
    seed()
    return tmp_path


USER_JSONC = """{
  // my settings: keep this comment
  "$schema": "https://opencode.ai/config.json",
  "theme": "tokyonight", /* and this one */
  "provider": {
    "google": {
      "options": {"timeout": 600000},
      "models": {"gemini-1.5-pro": {"name": "mine"}},
    },
  },
  "agent": {"plan": {"temperature": 0.1}},
}
"""


def test_models_merged_into_jsonc_keep_comments_keys_and_schema(configured: Path) -> None:
    config = configured / "opencode.jsonc"
    config.write_text(USER_JSONC)
    export_all(configured / "out", config)
    text = config.read_text()
    assert "// my settings: keep this comment" in text and "/* and this one */" in text
    merged = accepted(text)
    assert merged["theme"] == "tokyonight" and merged["agent"] == {"plan": {"temperature": 0.1}}
    google = merged["provider"]["google"]
    assert google["options"] == {"timeout": 600000}
    assert google["models"]["gemini-1.5-pro"] == {"name": "mine"}
    assert google["models"]["gemini-2.5-pro"]["limit"] == {"context": 1_048_576,
                                                            "output": 65_536}
    assert "gemini" not in merged["provider"]  # OpenCode's id for Gemini is google
    assert "limit" not in merged["provider"]["ollama"]["models"]["qwen2.5-coder:7b"]
    vllm = merged["provider"]["vllm"]
    assert vllm["npm"] == "@ai-sdk/openai-compatible"
    assert vllm["options"] == {"baseURL": "http://127.0.0.1:8000/v1",
                               "apiKey": "{env:VLLM_API_KEY}"}
    assert "SECRET" not in text
    # an endpoint not configured here (the demo's simulated provider, gone with the demo)
    # is left out: OpenCode could neither find nor reach it
    assert "simulated" not in merged["provider"]
    assert (configured / "opencode.jsonc.bak").read_text() == USER_JSONC
    tables = json.loads((configured / "out" / "fallback-tables.json").read_text())
    assert tables["categories"]["code-generation"]["models"][0] == "google/gemini-2.5-pro"


def test_routed_through_routerx_serve(configured: Path) -> None:
    config = configured / "opencode.json"
    plan = OpenCodePlan(serve_url="http://127.0.0.1:8787/v1", token_env="ROUTERX_API_TOKEN",
                        apply={"model": "auto", "build": "code-generation", "plan": "bug-fix"})
    export_all(configured / "out", config, plan=plan)
    merged = accepted(config.read_text())
    routerx = merged["provider"]["routerx"]
    assert routerx["npm"] == "@ai-sdk/openai-compatible"
    assert routerx["options"] == {"baseURL": "http://127.0.0.1:8787/v1",
                                  "apiKey": "{env:ROUTERX_API_TOKEN}"}
    assert set(routerx["models"]) == {"auto", "code-generation", "bug-fix"}
    assert merged["model"] == "routerx/auto"
    assert merged["agent"]["build"]["model"] == "routerx/code-generation"
    assert merged["agent"]["plan"]["model"] == "routerx/bug-fix"


def test_direct_mode_writes_the_layer_one_model(configured: Path) -> None:
    config = configured / "opencode.json"
    export_all(configured / "out", config,
               plan=OpenCodePlan(apply={"build": "code-generation", "small_model": "bug-fix"},
                                 direct=True))
    merged = accepted(config.read_text())
    assert merged["agent"]["build"]["model"] == "google/gemini-2.5-pro"
    assert merged["small_model"] == "anthropic/claude-x"
    assert "routerx" not in merged["provider"]


def test_a_config_opencode_could_not_read_is_refused_untouched(tmp_path: Path) -> None:
    config = tmp_path / "opencode.jsonc"
    broken = '{\n  "theme": "x"\n  "model": "y"\n}\n'
    config.write_text(broken)
    with pytest.raises(InputError, match=r"line 3, column 3: expected , or \}"):
        merge_opencode_config(config, [], {})
    assert config.read_text() == broken and not (tmp_path / "opencode.jsonc.bak").exists()


def test_the_command(configured: Path, monkeypatch: pytest.MonkeyPatch,
                     capsys: pytest.CaptureFixture[str]) -> None:
    config = configured / "opencode.json"
    code, out, err = run_main(monkeypatch, capsys, "opencode", str(config), "--provider",
                              "--apply", "model=auto,build=code-generation", "--json")
    assert code == 0, err
    assert json.loads(out)["routerx_provider"] == "http://127.0.0.1:8787/v1"
    merged = accepted(config.read_text())
    assert merged["agent"]["build"]["model"] == "routerx/code-generation"
    assert "apiKey" not in merged["provider"]["routerx"]["options"]  # no token configured
    code, _, err = run_main(monkeypatch, capsys, "opencode", str(config), "--apply", "build")
    assert code == 2 and "AGENT=CATEGORY" in err


def test_the_readme_opencode_config_is_valid() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    section = readme[readme.index("### OpenCode"):]
    block = section[section.index("```json\n") + 8:section.index("\n```", section.index("```json"))]
    config = accepted(block)
    routed = [config["model"], config["small_model"],
              *(a["model"] for a in config["agent"].values())]
    models = config["provider"]["routerx"]["models"]
    assert all(m.startswith("routerx/") and m.split("/", 1)[1] in models for m in routed)


def test_assess_takes_the_same_options(configured: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(monkeypatch, capsys, "assess", "gemini/gemini-2.5-pro",
                            "--opencode-provider")
    assert code == 2 and "need --opencode-config" in err
    from router.cli.opencode import build_plan
    from router.exports import OpenCodePlan

    plan = build_plan(True, "http://127.0.0.1:9999/v1/", ["build=auto"], False)
    assert OpenCodePlan.from_dict(plan.to_dict()) == plan
    assert plan.serve_url == "http://127.0.0.1:9999/v1" and plan.apply == {"build": "auto"}
    direct = build_plan(False, "x", ["build=auto"], True)
    assert direct.apply == {"build": "code-generation"} and direct.serve_url is None
