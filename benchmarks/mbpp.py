"""MBPP (Austin et al. 2021): Mostly Basic Python Problems.

Sources, in order: the ``data`` argument, the ``ROUTERX_MBPP_PATH`` environment
variable, then the Hugging Face hub through ``datasets`` (an optional dependency: it
is heavy, and routerx must work offline). Both published formats are accepted, as a
JSON array or JSON lines (optionally gzipped):

- original (``full``): ``task_id``, ``text``, ``code``, ``test_list``,
  ``test_setup_code``, ``challenge_test_list``
- sanitized: ``task_id``, ``prompt``, ``code``, ``test_list``, ``test_imports``

Task ids are ``MBPP/<n>``; a predictions file may also say ``11``, ``"11"`` or
``Mbpp/11`` (EvalPlus). ``load()`` returns the test split (tasks 11-510, the split the
MBPP paper and most leaderboards report) unless ``ids`` are given, which are looked up
across all splits (prompt 1-10, test 11-510, validation 511-600, train 601-974).

A sample is judged in two processes: the candidate runs the test imports and the
solution; the judge runs the test imports, the test set-up code and the ``test_list``
asserts, with the names they use from the solution (the function, and classes such as
``Node`` that the set-up code builds trees of) bound to the candidate's. This is the
original order (imports, solution, set-up, asserts) split where the model's code
ends. ``challenge_test_list`` is kept in the metadata but not run, as in the paper's
evaluation.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from benchmarks.datafiles import read_json_records
from benchmarks.extraction import EXTRACTION_VERSION, is_body
from benchmarks.functional import FunctionalBenchmark, TestCode, select
from benchmarks.prompts import MBPP_TEMPLATE_VERSION, mbpp_messages
from benchmarks.registry import Message, Task, register
from router.errors import ConfigError
from router.settings import from_environment

HUB_DATASET = "google-research-datasets/mbpp"
ENV_PATH = "ROUTERX_MBPP_PATH"
SPLITS = (("prompt", 1, 10), ("test", 11, 510), ("validation", 511, 600), ("train", 601, 974))
_ID = re.compile(r"^(?:mbpp/)?(\d+)$", re.IGNORECASE)


class MBPPSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", env_ignore_empty=True)

    path: Path | None = Field(
        default=None, validation_alias=ENV_PATH,
        description="a local mbpp.jsonl or sanitized-mbpp.json (else the Hugging Face hub)")


def split_of(number: int) -> str:
    for split, low, high in SPLITS:
        if low <= number <= high:
            return split
    return "extra"


@register("mbpp", name="mbpp", config="full", weights={"code-generation": 0.5},
          default=True)
@register("mbpp-sanitized", name="mbpp-sanitized", config="sanitized")
class MBPP(FunctionalBenchmark):
    protocol_version = f"mbpp-p{MBPP_TEMPLATE_VERSION}-x{EXTRACTION_VERSION}"

    def __init__(self, name: str = "mbpp", config: str = "full", split: str = "test") -> None:
        self.name = name
        self.config = config
        self.split = split

    def canonical_id(self, raw: object) -> str:
        match = _ID.match(str(raw).strip())
        return f"MBPP/{int(match.group(1))}" if match else str(raw)

    def load(
        self, data: Path | None = None, limit: int | None = None, ids: Sequence[str] | None = None
    ) -> list[Task]:
        records = self._records(data)
        tasks = sorted((to_task(r, where) for where, r in records),
                       key=lambda t: t.metadata["number"])
        if ids is None and self.split != "all":
            tasks = [t for t in tasks if t.metadata["split"] == self.split]
        wanted = None if ids is None else [self.canonical_id(i) for i in ids]
        return select(tasks, limit, wanted)

    def _records(self, data: Path | None) -> list[tuple[str, Mapping[str, Any]]]:
        path = data if data is not None else from_environment(MBPPSettings).path
        if path is not None:
            return list(read_json_records(Path(path), "MBPP"))
        return _from_hub(self.config)

    def prompt(self, task: Task) -> list[Message]:
        return mbpp_messages(task.prompt, task.metadata["test_list"])

    def solution(self, task: Task, code: str) -> str:
        """The test imports (a solution may rely on them, as in the original harness),
        then the code; a bare body gets the reference's signature."""
        if is_body(code) and task.metadata.get("signature"):
            code = task.metadata["signature"] + "\n" + code
        return _lines(["\n".join(task.metadata.get("imports", ())), code])

    def tests(self, task: Task) -> TestCode:
        return TestCode(context=_lines(["\n".join(task.metadata.get("imports", ()))]),
                        test=_lines([task.metadata.get("setup", ""), task.test]))


def _lines(parts: list[str]) -> str:
    kept = "\n".join(p for p in parts if p)
    return kept + "\n" if kept else ""


def to_task(record: Mapping[str, Any], where: str) -> Task:
    """One MBPP record (either format) as a Task; ``where`` names it in errors."""
    try:
        number = int(record["task_id"])
        code = str(record["code"])
        tests = [str(t) for t in record["test_list"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(
            f"{where}: not an MBPP record (needs task_id, code, test_list): {exc!r}"
        ) from exc
    text = record.get("text") or record.get("prompt")
    if not text:
        raise ConfigError(f"{where}: MBPP record {number} has neither 'text' nor 'prompt'")
    entry = entry_point(code, tests)
    if entry is None:
        raise ConfigError(f"{where}: MBPP task {number}: no function of the code is tested")
    return Task(
        task_id=f"MBPP/{number}",
        prompt=str(text),
        entry_point=entry,
        test="\n".join(tests),
        reference=code,
        metadata={
            "number": number,
            "split": split_of(number),
            "test_list": tests,
            "challenge_test_list": list(record.get("challenge_test_list") or ()),
            "setup": str(record.get("test_setup_code") or ""),
            "imports": [str(i) for i in record.get("test_imports") or ()],
            "signature": signature(code, entry),
        },
    )


def entry_point(code: str, tests: Iterable[str]) -> str | None:
    """The function the tests call that the reference code defines (first one)."""
    defined = re.findall(r"^(?:async\s+)?def\s+(\w+)\s*\(", code, re.MULTILINE)
    if not defined:
        return None
    for test in tests:
        try:
            tree = ast.parse(test)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                if node.func.id in defined:
                    return node.func.id
    return defined[0]


def signature(code: str, name: str) -> str:
    """The reference's ``def name(...):`` header, for completions that are a bare body."""
    match = re.search(
        rf"^(?:async\s+)?def\s+{re.escape(name)}\s*\(.*?\)\s*(?:->[^:]*)?:", code,
        re.MULTILINE | re.DOTALL,
    )
    return match.group(0) if match else ""


def _from_hub(config: str) -> list[tuple[str, Mapping[str, Any]]]:
    hint = (f"pass --data PATH (an mbpp.jsonl or sanitized-mbpp.json) or set {ENV_PATH}")
    try:
        import datasets  # optional: heavy, and only useful online or with a warm cache
    except ImportError as exc:
        raise ConfigError(f"MBPP: no local data and `datasets` is not installed; {hint}") from exc
    try:
        loaded = datasets.load_dataset(HUB_DATASET, config)
    except Exception as exc:  # network, cache, auth: all mean "use a local file"
        raise ConfigError(f"MBPP: cannot load {HUB_DATASET} ({config}) from the hub "
                          f"({type(exc).__name__}: {exc}); {hint}") from exc
    return [(f"{HUB_DATASET}[{config}/{split}] row {i}", row)
            for split, rows in loaded.items() for i, row in enumerate(rows)]
