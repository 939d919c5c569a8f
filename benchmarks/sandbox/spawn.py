"""Starting the sandbox's own interpreters (workers, command helpers) from the host.

Why a fresh interpreter and not a fork of the host: a fork would carry the host's
memory, and with it the API keys in its environment block (readable through
/proc/self/environ or ctypes) and whatever else the host holds. These start isolated
(``python -I``) with an empty environment and the host's ``sys.path``; their
configuration arrives as the first message on stdin, never in argv, which every
process on the host can read.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from benchmarks.sandbox.protocol import encode
from router.errors import SandboxUnavailable

_BOOT = ("import sys; sys.path[:0] = [p for p in sys.argv[3:] if p not in sys.path]; "
         "getattr(__import__(sys.argv[1], fromlist=['_']), sys.argv[2])()")


def clean_environment() -> dict[str, str]:
    """The environment a sandbox interpreter starts with: nothing of the host's."""
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}


def check_supported() -> None:
    """Fail early, naming what is missing, where containment cannot work at all. (No
    root is needed: workers enter user namespaces of their own, ``userns``; whether the
    kernel allows them is found out, and explained, by the first worker.)"""
    if not sys.platform.startswith("linux"):
        raise SandboxUnavailable(f"the sandbox needs Linux namespaces; this is {sys.platform}")
    machine = os.uname().machine
    if machine not in ("x86_64", "aarch64", "arm64"):
        raise SandboxUnavailable(f"the sandbox supports x86_64 and aarch64 Linux; this is "
                                 f"{machine}")


def start(module: str, function: str, config: dict[str, Any], *,
          keep_stdin_open: bool) -> subprocess.Popen[bytes]:
    """Run ``module.function()`` in a fresh interpreter, ``config`` sent on its stdin
    (closed after it unless ``keep_stdin_open``: a worker reads jobs from it)."""
    check_supported()
    proc = subprocess.Popen(
        [sys.executable, "-I", "-c", _BOOT, module, function, *(p for p in sys.path if p)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=clean_environment(),
        close_fds=True, cwd="/", bufsize=0,
    )
    assert proc.stdin is not None
    proc.stdin.write(encode(config))
    if not keep_stdin_open:
        proc.stdin.close()
        proc.stdin = None  # finished: communicate() must not touch it
    return proc
