"""The verdict vocabulary: which outcomes are the model's and which are routerx's.

Why one table: a score is only honest when it counts the model's own failures and
nothing else. An environment that could not be built, an interpreter that is not
installed, a sandbox that would not start, a provider that kept failing after every
retry, or a SWE-bench instance that cannot run offline says nothing about the model;
such samples are stored with their reason and left out of pass@k, robustness and
placement. Every module that writes or reads a verdict takes its names from here.

Model outcomes (they score the model):

- ``passed``: the judge ran every test and all held;
- ``failed``: a test did not hold (an assertion, a wrong value, an exception where a
  value was expected, FAIL_TO_PASS or PASS_TO_PASS not met);
- ``error``: the candidate's own code raised (a SyntaxError, a NameError...): the model's
  program is broken, which is a failure of the model;
- ``timeout``, ``out_of_memory``, ``crashed``: how the candidate's process ended, seen
  from outside;
- ``patch_failed``: the model's diff does not apply;
- ``patch_touches_tests``: the model's diff changes test infrastructure (conftest,
  pytest configuration, test files); those hunks are not applied and it counts as failed;
- ``rejected``: the judge refused the candidate (e.g. non-test source importing pytest
  internals to rewrite reports); counts as failed;
- ``no_answer``, ``unparseable``: the provider answered but with nothing usable.

Infrastructure outcomes (routerx's failures, never scored):

- ``environment``: the repository's environment could not be built;
- ``interpreter``: the Python version an instance needs is not installed;
- ``sandbox``: the sandbox could not run the sample;
- ``provider_error``: the provider failed after every retry (no answer to judge);
- ``unsupported``: the instance cannot run here (e.g. ``unsupported_offline``: its
  tests need the internet).
"""

from __future__ import annotations

MODEL_STATUSES = frozenset({
    "passed", "failed", "error", "timeout", "out_of_memory", "crashed",
    "patch_failed", "patch_touches_tests", "rejected", "no_answer", "unparseable",
})
INFRA_STATUSES = frozenset({
    "environment", "interpreter", "sandbox", "provider_error", "unsupported",
    "unsupported_offline",
})
#: a run whose share of infrastructure outcomes exceeds this is incomplete, not scored
MAX_INFRA_SHARE = 0.05


def is_infrastructure(status: str) -> bool:
    """True for routerx's own failures; unknown statuses are not silently scored."""
    if status in INFRA_STATUSES:
        return True
    if status in MODEL_STATUSES:
        return False
    raise ValueError(f"unknown verdict status {status!r}; known: "
                     f"{', '.join(sorted(MODEL_STATUSES | INFRA_STATUSES))}")
