"""Fidelity: routerx's evaluation agrees with the verdicts published harnesses recorded.

Real completions of real models (../shared/data, see PROVENANCE.md there) are run
through the same path as `routerx evaluate` (suite, program assembly, reference-derived
timeouts, sandbox) via the adapters in scripts/fidelity.py. Each file must agree with
its recorded verdicts on at least 97% of tasks. docs/fidelity.md lists every
disagreement and its cause. Skips when the shared data is absent.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import SHARED_DATA, shared_path

REPO = Path(__file__).resolve().parents[2]

#: two sources per suite at least; one file per source keeps the run short
FILES = [
    "humaneval/adadec/deepseek-6.7b_greedy.jsonl",
    "humaneval/ldb/seed_gpt-3.5-turbo-0613.jsonl",
    "humaneval/mapcoder/GPT4-Turbo-MapCoder-5-5-Human-Python3-0-1.jsonl",
    "mbpp/adadec/deepseek-6.7b_greedy.jsonl",
    "mbpp/ldb/seed_codellama.jsonl",
    "mbpp/reflexion/simple_gpt-4.jsonl",
]


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("routerx_fidelity", REPO / "scripts" /
                                                  "fidelity.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    module.SHARED = SHARED_DATA  # the tests' own idea of where the shared data is
    return module


@pytest.mark.shared_data
@pytest.mark.parametrize("relative", FILES)
def test_agrees_with_recorded_verdicts(relative: str) -> None:
    shared_path(*relative.split("/"))
    fidelity = load_script()
    outcome = fidelity.run(fidelity.prepare(relative))
    listed = "; ".join(f"{d.task_id} recorded={d.recorded} ours={d.ours} {d.result[:80]}"
                       for d in outcome.disagreements)
    assert outcome.agreement >= 0.97, f"{relative}: {outcome.agreement:.2%}: {listed}"
    # every disagreement must have a known cause (docs/fidelity.md)
    assert [d.task_id for d in outcome.disagreements if d.cause == "unexplained"] == []
