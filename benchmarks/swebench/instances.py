"""SWE-bench task instances: loading them and choosing a subset.

Sources: a local JSON array or JSON-lines file (``.gz`` too), in the format the
SWE-bench datasets publish (``instance_id``, ``repo``, ``base_commit``, ``patch``,
``test_patch``, ``problem_statement``, ``version``, ``FAIL_TO_PASS``,
``PASS_TO_PASS``, ``environment_setup_commit``), or the Hugging Face hub through
``datasets`` (optional: it is heavy, and routerx must work offline).

Why subsets are first-class: a full SWE-bench run costs hours per model, so an
assessment measures a slice; the slice must be reproducible (ids, repositories, the
first N, or N drawn with a stated seed) so that two models meet the same instances.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from router.errors import ConfigError

LITE = "princeton-nlp/SWE-bench_Lite"
VERIFIED = "princeton-nlp/SWE-bench_Verified"
HUB_DATASETS = {"lite": LITE, "verified": VERIFIED}

_REQUIRED = ("instance_id", "repo", "base_commit", "patch", "test_patch", "problem_statement",
             "FAIL_TO_PASS", "PASS_TO_PASS")


@dataclass(frozen=True)
class Instance:
    """One SWE-bench task instance (field names as in the dataset, tests as tuples)."""

    instance_id: str
    repo: str
    base_commit: str
    patch: str
    test_patch: str
    problem_statement: str
    fail_to_pass: tuple[str, ...]
    pass_to_pass: tuple[str, ...]
    version: str = ""
    environment_setup_commit: str = ""
    hints_text: str = ""
    created_at: str = ""

    @property
    def task_id(self) -> str:
        """The registry's name for an instance id."""
        return self.instance_id

    @property
    def env_commit(self) -> str:
        return self.environment_setup_commit or self.base_commit

    def to_record(self) -> dict[str, Any]:
        """The dataset's own format (tests as JSON strings), as the harness reads it."""
        return {
            "instance_id": self.instance_id,
            "repo": self.repo,
            "base_commit": self.base_commit,
            "patch": self.patch,
            "test_patch": self.test_patch,
            "problem_statement": self.problem_statement,
            "hints_text": self.hints_text,
            "created_at": self.created_at,
            "version": self.version,
            "FAIL_TO_PASS": json.dumps(list(self.fail_to_pass)),
            "PASS_TO_PASS": json.dumps(list(self.pass_to_pass)),
            "environment_setup_commit": self.environment_setup_commit,
        }


def _tests(value: Any, where: str, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{where}: {key} is not a JSON list: {exc.msg}") from exc
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise ConfigError(f"{where}: {key} must be a list of test names")
    return tuple(value)


def from_record(record: Mapping[str, Any], where: str) -> Instance:
    """An Instance from one dataset record; ``where`` names the record in errors."""
    missing = [k for k in _REQUIRED if k not in record]
    if missing:
        raise ConfigError(f"{where}: not a SWE-bench instance, missing {', '.join(missing)}")
    return Instance(
        instance_id=str(record["instance_id"]),
        repo=str(record["repo"]),
        base_commit=str(record["base_commit"]),
        patch=str(record["patch"]),
        test_patch=str(record["test_patch"]),
        problem_statement=str(record["problem_statement"]),
        fail_to_pass=_tests(record["FAIL_TO_PASS"], where, "FAIL_TO_PASS"),
        pass_to_pass=_tests(record["PASS_TO_PASS"], where, "PASS_TO_PASS"),
        version=str(record.get("version") or ""),
        environment_setup_commit=str(record.get("environment_setup_commit") or ""),
        hints_text=str(record.get("hints_text") or ""),
        created_at=str(record.get("created_at") or ""),
    )


def read_instances(path: Path) -> list[Instance]:
    """Instances from a JSON array or JSON-lines file, optionally gzipped."""
    from benchmarks.datafiles import read_json_records

    return [from_record(record, where)
            for where, record in read_json_records(path, "SWE-bench")]


def from_hub(dataset: str = LITE, split: str = "test") -> list[Instance]:
    """Instances from the Hugging Face hub (``datasets`` must be installed and online)."""
    try:
        from datasets import load_dataset
    except ImportError as exc:
        raise ConfigError(
            "loading SWE-bench from the hub needs the 'datasets' package; install it or give a "
            "local file (--data PATH or ROUTERX_SWEBENCH_PATH)"
        ) from exc
    try:
        rows = load_dataset(dataset, split=split)
    except Exception as exc:  # datasets raises many types; all mean "not reachable here"
        raise ConfigError(
            f"cannot load {dataset} ({split}) from the Hugging Face hub: {exc}; when offline, "
            "give a local file (--data PATH or ROUTERX_SWEBENCH_PATH)"
        ) from exc
    return [from_record(r, f"{dataset}[{i}]") for i, r in enumerate(rows)]


def files_touched(patch: str) -> frozenset[str]:
    """Every file a patch edits, creates or deletes, read as the swebench harness reads
    patches (``unidiff``)."""
    from unidiff import PatchSet

    return frozenset(f.path for f in PatchSet(patch))


def touching_at_least(instances: Sequence[Instance], min_files: int, source: str
                      ) -> list[Instance]:
    """The instances whose reference patch touches `min_files` files or more.

    Why: a category such as multi-file is only measured by tasks whose known solution
    really spans several files; every SWE-bench Lite reference patch edits one file, so
    Lite cannot measure it and an empty selection is an error, not a score of nothing.
    """
    if min_files <= 1:
        return list(instances)
    chosen = [i for i in instances if len(files_touched(i.patch)) >= min_files]
    if not chosen:
        raise ConfigError(
            f"no instance of {source} has a reference patch touching {min_files} or more "
            "files (every SWE-bench Lite patch edits one file); give SWE-bench Verified "
            "(ROUTERX_SWEBENCH_PATH or the hub)")
    return chosen


def select(
    instances: Sequence[Instance],
    ids: Iterable[str] | None = None,
    repos: Iterable[str] | None = None,
    limit: int | None = None,
    sample: int | None = None,
    seed: int = 0,
    strict: bool = True,
) -> list[Instance]:
    """A subset, in dataset order: ``ids``, then ``repos``, then a seeded random
    ``sample`` of N, then the first ``limit``.

    ``repos`` accepts ``owner/name`` or the bare name (``flask``). With ``strict``,
    an id or repository the data does not hold is an error naming it; without, it is
    simply absent (the registry's ``load`` contract).
    """
    chosen = list(instances)
    if ids is not None:
        wanted = list(dict.fromkeys(str(i) for i in ids))
        known = {i.instance_id for i in chosen}
        unknown = [i for i in wanted if i not in known]
        if unknown and strict:
            raise ConfigError(f"unknown SWE-bench instance id(s): {', '.join(unknown[:5])}"
                              + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""))
        keep = set(wanted)
        chosen = [i for i in chosen if i.instance_id in keep]
    if repos is not None:
        names = {r.strip().lower() for r in repos}
        known_repos = sorted({i.repo for i in chosen})
        aliases = {r: {r.lower(), r.split("/")[-1].lower()} for r in known_repos}
        matched = {r for r in known_repos if aliases[r] & names}
        unmatched = [n for n in names if not any(n in aliases[r] for r in matched)]
        if unmatched and strict:
            raise ConfigError(f"no SWE-bench instances of repository {', '.join(sorted(unmatched))}"
                              f"; known: {', '.join(known_repos)}")
        chosen = [i for i in chosen if i.repo in matched]
    if sample is not None:
        if sample < 0:
            raise ConfigError(f"sample size must be >= 0, got {sample}")
        picked = set(random.Random(seed).sample(range(len(chosen)), min(sample, len(chosen))))
        chosen = [inst for k, inst in enumerate(chosen) if k in picked]
    if limit is not None:
        if limit < 0:
            raise ConfigError(f"limit must be >= 0, got {limit}")
        chosen = chosen[:limit]
    return chosen
