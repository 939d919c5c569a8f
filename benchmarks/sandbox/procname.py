"""The names (``comm``, what ps and /proc show) of the sandbox's own processes.

Why: a worker keeps two long-lived processes besides its samples, its zygote and its
judge; naming them tells them apart from samples (and from what a sample leaves
behind) without any state on the host. Each candidate renames itself on start, so it
is never taken for the zygote it was forked from.
"""

from __future__ import annotations

import ctypes

from benchmarks.sandbox import linux

ZYGOTE = b"rx-zygote"
JUDGE = b"rx-judge"
SAMPLE = b"rx-sample"
_PR_SET_NAME = 15


def name_process(name: bytes) -> None:
    """Set this process's name (at most 15 bytes are kept)."""
    buffer = ctypes.create_string_buffer(name[:15])
    linux.prctl(_PR_SET_NAME, ctypes.addressof(buffer))
