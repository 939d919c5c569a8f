"""A sample held at its process limit while samples of another worker start threads and
processes: the check behind "process counts are kept per worker" (root, subuid and
single-uid modes; ``test_sandbox_isolation``, and ``test_sandbox_unprivileged`` as an
ordinary user).

Why not one batch with a time limit: the neighbours must run while the holder is at
its limit, and on a loaded machine a holder with a few seconds may not even have
reached it (its stdout then holds no count), or its neighbours may all have finished
before it did (the check then proves nothing). Here the order is certain whatever the
load: the holder renames itself once at its limit, the neighbours run only after the
test has seen that name, and the holder is still holding after they ended; then a
signal lets it end. No limit is ever meant to be reached.
"""

from __future__ import annotations

import os
import signal
import textwrap
import threading
import time

from benchmarks.sandbox import Job, Sandbox, Verdict
from tests.benchmarks.sandbox.conftest import PATIENT_S, descendants, process_name

#: the name the holder takes once its process limit refused a fork
HOLDING = "rx-holding"
#: forks until the process limit refuses, reports how far it got, then holds every
#: process until SIGUSR1
HOLD_EVERY_PROCESS = textwrap.dedent(f"""\
    import ctypes, os, signal, time
    go = []
    signal.signal(signal.SIGUSR1, lambda *_: go.append(1))
    n, err = 0, None
    while True:
        try:
            pid = os.fork()
        except OSError as e:
            err = type(e).__name__
            break
        if pid == 0:
            time.sleep(600)
            os._exit(0)
        n += 1
    print(n, err, flush=True)
    ctypes.CDLL(None).prctl(15, {HOLDING.encode()!r}, 0, 0, 0)  # PR_SET_NAME
    while not go:
        time.sleep(0.05)
""")
#: what a neighbour needs: threads, a subprocess, a fork
THREADS_AND_PROCESSES = textwrap.dedent("""\
    import os, subprocess, threading
    box = []
    threads = [threading.Thread(target=box.append, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(box) == list(range(16))
    assert subprocess.run(["true"]).returncode == 0
    pid = os.fork()
    if pid == 0:
        os._exit(7)
    assert os.waitpid(pid, 0)[1] >> 8 == 7
""")


def _holding(sandbox: Sandbox) -> list[int]:
    """The sandbox's processes that took the holder's name."""
    return [p for p in descendants(sandbox._workers[0].proc.pid)
            if process_name(p) == HOLDING]


def hold_beside_neighbours(neighbours: Sandbox, count: int = 8) -> dict:
    """A holder in a one-worker sandbox of its own (same id mode as ``neighbours``, which
    has other workers) at its process limit while ``count`` neighbours run in
    ``neighbours``. What happened, as plain data for ``check_held`` (a test user's
    script prints it)."""
    holder_box: list[Verdict] = []
    with Sandbox(workers=1, memory_mb=256) as holder_sb:
        mode = holder_sb._workers[0].ids.mode
        assert mode == neighbours._workers[0].ids.mode, mode
        batch = threading.Thread(target=lambda: holder_box.extend(
            holder_sb.run([Job(HOLD_EVERY_PROCESS, timeout_s=PATIENT_S)])))
        batch.start()
        try:
            deadline = time.monotonic() + PATIENT_S
            held: list[int] = []
            while batch.is_alive() and time.monotonic() < deadline and not held:
                held = _holding(holder_sb)
                time.sleep(0.05)
            verdicts = neighbours.run(
                [Job(THREADS_AND_PROCESSES, timeout_s=PATIENT_S)] * count) if held else []
            still_held = bool(held) and _holding(holder_sb) == held
            for pid in held:
                os.kill(pid, signal.SIGUSR1)
            batch.join(PATIENT_S)
        finally:
            if batch.is_alive():  # never let it go: end it (its verdict is then crashed)
                holder_sb._workers[0].proc.kill()
                batch.join()
    holder = holder_box[0] if holder_box else Verdict("sandbox", "no verdict", 0.0)
    return {"mode": mode, "holder": [holder.status, holder.detail, holder.stdout],
            "reached_limit": bool(held), "held_throughout": still_held,
            "neighbours": [v.status for v in verdicts]}


def check_held(seen: dict, count: int = 8) -> None:
    """The holder reached its limit (a refused fork, between 40 and 64 processes),
    held it while every neighbour ran, and every neighbour passed."""
    status, detail, stdout = seen["holder"]
    assert seen["reached_limit"] and status == "passed", seen
    forked, error = stdout.split()
    assert error == "BlockingIOError" and 40 <= int(forked) < 64, stdout
    assert seen["held_throughout"], seen
    assert seen["neighbours"] == ["passed"] * count, seen
