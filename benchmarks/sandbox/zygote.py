"""The zygote: the pristine process every candidate is forked from.

Why: a candidate forked from the worker would inherit the worker's memory, which
holds the job being run (its tests, their expected values) and, in freed but never
cleared heap, the programs and tests of earlier samples; ``gc.get_objects()`` or a
read of its own address space would find them. The zygote is forked from the worker
once, after the worker's set-up and before its first job, and never receives a
program or a test: only "start a candidate on these pipes with these limits". Each
candidate reads its own program from its call pipe after the fork, so its memory is
the zygote's (interpreter, preloaded modules) plus that program and nothing else.

The zygote also supervises: it is the candidates' parent, so it reaps each one with
``wait4`` and reports the exit status and CPU time to the worker. The worker gets a
pidfd of each candidate as it starts (to notice its end and to kill it, without
pid-reuse races). Protocol, on a SOCK_SEQPACKET pair: worker -> zygote ``{"limits",
"uid", "gid", "scratch"}`` with the candidate's four pipes attached; zygote -> worker
``{"pid"}`` with a pidfd attached (or ``{"error"}``), and later ``{"exit", "status",
"cpu_s"}``. The zygote ends when the worker's end closes, and dies with the worker's
PID namespace in any case.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import socket
from typing import Any, NamedTuple, NoReturn

from benchmarks.sandbox import child, confine, linux
from benchmarks.sandbox.procname import ZYGOTE, name_process

_SOCKET_FD = 3
_DEVNULL_FD = 4
_PID_NS_FD = 5
_MESSAGE = 4096


class Started(NamedTuple):
    pid: int
    pidfd: int


class Exit(NamedTuple):
    status: int     # wait status
    cpu_s: float    # CPU seconds the candidate itself used


class Zygote:
    """The worker's handle on its zygote."""

    def __init__(self, config: dict[str, Any]) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        pid = os.fork()
        if pid == 0:
            try:
                ours.close()
                _serve(theirs.detach(), config)
            finally:
                os._exit(1)
        theirs.close()
        self.pid = pid
        self.sock = ours

    def request(self, fds: list[int], limits: confine.Limits, uid: int, gid: int,
                scratch: str) -> None:
        """Ask for a candidate on ``fds`` (request, reply, output, set-up pipes; the
        caller keeps and closes its own copies); ``started`` gets the answer."""
        message = {"limits": list(limits), "uid": uid, "gid": gid, "scratch": scratch}
        socket.send_fds(self.sock, [json.dumps(message).encode()], fds)

    def started(self) -> Started:
        """The candidate just requested; OSError if it could not start."""
        data, got, _, _ = socket.recv_fds(self.sock, _MESSAGE, 1)
        if not data:
            raise OSError("the zygote is gone")
        answer = json.loads(data)
        if "error" in answer:
            for fd in got:
                os.close(fd)
            raise OSError(answer["error"])
        if len(got) != 1:
            raise OSError("the zygote sent no pidfd")
        return Started(int(answer["pid"]), got[0])

    def wait_exit(self) -> Exit:
        """How the last candidate ended (blocks until the zygote has reaped it)."""
        data = self.sock.recv(_MESSAGE)
        if not data:
            raise OSError("the zygote is gone")
        answer = json.loads(data)
        return Exit(int(answer["status"]), float(answer["cpu_s"]))


def _serve(sock_fd: int, config: dict[str, Any]) -> NoReturn:
    """The zygote's loop (see module doc)."""
    name_process(ZYGOTE)
    lifted = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
              for fd in (sock_fd, config["devnull"], config["pid_ns"])]
    for target, fd in zip((_SOCKET_FD, _DEVNULL_FD, _PID_NS_FD), lifted, strict=True):
        os.dup2(fd, target, inheritable=False)
    linux.close_from(_PID_NS_FD + 1)
    sock = socket.socket(fileno=_SOCKET_FD)
    poller = select.poll()
    poller.register(_SOCKET_FD, select.POLLIN)
    children: dict[int, int] = {}  # pidfd -> pid
    while True:
        for fd, _ in poller.poll():
            if fd == _SOCKET_FD:
                data, fds, _, _ = socket.recv_fds(sock, _MESSAGE, 4)
                if not data:
                    os._exit(0)
                started = _spawn(sock, json.loads(data), fds)
                if started is not None:
                    children[started.pidfd] = started.pid
                    poller.register(started.pidfd, select.POLLIN)
            else:
                poller.unregister(fd)
                _, status, usage = os.wait4(children.pop(fd), 0)
                os.close(fd)
                sock.send(json.dumps({"exit": True, "status": status,
                                      "cpu_s": usage.ru_utime + usage.ru_stime}).encode())


def _spawn(sock: socket.socket, request: dict[str, Any], fds: list[int]) -> Started | None:
    try:
        if len(fds) != 4:
            raise OSError(f"expected 4 pipes, got {len(fds)}")
        limits = confine.Limits(*request["limits"])
        pid = linux.fork_into_new_pid_namespace(_PID_NS_FD)
    except OSError as exc:
        for fd in fds:
            os.close(fd)
        sock.send(json.dumps({"error": f"cannot start the sample: {exc}"}).encode())
        return None
    if pid == 0:
        try:
            child.main(fds, _DEVNULL_FD, limits, int(request["uid"]), int(request["gid"]),
                       str(request["scratch"]))
        finally:
            os._exit(child.SETUP_FAILED)
    for fd in fds:
        os.close(fd)
    pidfd = os.pidfd_open(pid)
    socket.send_fds(sock, [json.dumps({"pid": pid}).encode()], [pidfd])
    return Started(pid, pidfd)
