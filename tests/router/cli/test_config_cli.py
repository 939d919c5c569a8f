"""`routerx config`, and the README's table of every setting it is generated from."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from router.cli.config import REFERENCE_BEGIN, REFERENCE_END, reference, variables
from tests.router.cli.process import routerx

REPO = Path(__file__).resolve().parents[3]
CODE = ("router", "benchmarks", "tasks", "flows", "deployments")
# A ROUTERX_ variable as the code names it: a string literal (an alias, an envvar, a
# message naming it); a bare prefix (env_prefix) ends in "_" and names none.
_NAME = re.compile(r"""["'`](ROUTERX_[A-Z0-9_]*[A-Z0-9])["'`]""")


def _names_in_code() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in CODE:
        for path in sorted((REPO / package).rglob("*.py")):
            for name in _NAME.findall(path.read_text(encoding="utf-8")):
                found.setdefault(name, path.relative_to(REPO))
    return found


def test_every_variable_the_code_names_is_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    found = _names_in_code()
    assert "ROUTERX_DEFAULT_CATEGORY" in found  # the grep sees what it should
    missing = {name: str(path) for name, path in found.items() if name not in readme}
    assert not missing, f"ROUTERX_ variables the README does not document: {missing}"


def test_every_setting_is_declared_with_a_description() -> None:
    names = [v.name for v in variables()]
    assert len(names) == len(set(names)), "a variable declared twice"
    assert set(_names_in_code()) <= set(names), "a ROUTERX_ variable read outside a settings class"
    undescribed = [v.name for v in variables() if not v.description]
    assert not undescribed


def test_the_readme_table_is_the_generated_one() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = readme.split(REFERENCE_BEGIN, 1)[1].split(REFERENCE_END, 1)[0]
    assert block.strip() == reference().strip(), (
        "README's table is stale: paste `routerx config --reference` between its markers")


def test_config_shows_values_and_their_source_with_keys_masked(
        monkeypatch: pytest.MonkeyPatch) -> None:
    done = routerx("config", env={"ROUTERX_API_TOKEN": "tok-secret-0001",
                                  "OPENAI_API_KEY": "sk-secret-0002",
                                  "ROUTERX_STUCK_AFTER": "5", "COLUMNS": "200"})
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "tok-secret-0001" not in out and "sk-secret-0002" not in out
    assert re.search(r"ROUTERX_API_TOKEN\s.*\*\*\*\s.*environment", out)
    assert re.search(r"OPENAI_API_KEY\s.*\*\*\*\s.*environment", out)
    assert re.search(r"ROUTERX_STUCK_AFTER\s.*5\s.*environment", out)
    assert re.search(r"ROUTERX_DISCOUNT\s.*0\.99\s.*default", out)
