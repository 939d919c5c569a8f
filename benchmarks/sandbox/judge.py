"""The judge: the process that runs a sample's tests and decides its verdict.

Why a process of its own: when the tests ran inside the program they judge, the
program could write its own verdict (to the verdict pipe, or by patching the module
that classified exceptions, or from a forked child), or return an object equal to
everything. Here the candidate (``child``) holds only the program; the judge holds
the test code (HumanEval's ``check``, MBPP's asserts and set-up code) and the
prompt's own helper functions, trusted, and reaches the candidate only through the
call channel:

- the names the tests use that the program defines (the entry point always, MBPP's
  classes...) are bound to ``Remote`` proxies; calling one sends the arguments as
  data and gets back the return value (or the exception) as data, decoded here with
  builtin types only (``values``), so what the test compares was built by the judge;
- a name the program binds to a module (``import sys``) is the judge's own import of
  it, never the candidate's module;
- the channel is strict: answers in turn, each one value or one exception, within a
  size limit. Anything else breaks the channel, and a broken channel is never a pass,
  whatever the test code did afterwards (``ChannelBroken`` is not an ``Exception``,
  and the judge remembers it).

The candidate cannot reach this process: it is not in the candidate's PID namespace
(so it cannot be named, signalled or traced from there), runs as another user (where
there is one: ``userns``'s single-uid mode has only one uid), and shares no descriptor
with it but the call channel's two pipes. Its report (a status for tests that ran to
the end, or why the channel broke) reaches the worker over the judge's own socket,
which no candidate ever holds; the worker classifies the candidate's end (exit,
signal, CPU time) itself.

One judge process serves a worker's samples one after another (``Judge``), each test
in fresh globals: forking a judge per sample would double the forks a sample costs.
Nothing a candidate sends can run in it, so what one sample left in its memory is data
that no later candidate can read.
"""

from __future__ import annotations

import builtins
import fcntl
import importlib
import json
import os
import resource
import signal
import socket
import sys
from typing import Any, NoReturn

from benchmarks.sandbox import confine, linux
from benchmarks.sandbox.capture import DETAIL_LIMIT, cap_text
from benchmarks.sandbox.procname import JUDGE, name_process
from benchmarks.sandbox.protocol import HEADER, FrameReader, read_message, write_message
from benchmarks.sandbox.protocol import encode as encode_frame
from benchmarks.sandbox.values import BadValue, decode, decode_exception, encode, importable

#: the largest message the judge reads from a candidate
MESSAGE_LIMIT = 16 * 1024 * 1024
#: where the judge keeps its socket to the worker
_SOCKET_FD = 3
#: a name may be the judge's own import of a module by another name only for these
MODULE_ALIASES = {("np", "numpy"), ("pd", "pandas")}
#: the packages besides the standard library whose modules a name may stand for
_THIRD_PARTY_MODULES = frozenset({"numpy", "pandas", "scipy", "sympy"})


class ChannelBroken(BaseException):  # noqa: N818 - not an error of the test's making
    """The candidate stopped answering as the protocol says: it closed the channel,
    exited or was killed, or sent something that is not an answer. A BaseException,
    so that a test's ``except Exception`` cannot take it for the candidate's answer."""

    def __init__(self, reason: str, stage: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.stage = stage


class Remote:
    """One of the candidate's objects, as the judge holds it: opaque, equal only to
    itself, hashable by identity, true. Calling it, reading or setting an attribute
    goes through the channel; nothing else does (no operator, no comparison, no
    ``len`` or iteration reaches the candidate's object)."""

    __slots__ = ("_channel", "_handle", "_type")

    def __init__(self, channel: Channel, handle: int, type_name: str) -> None:
        object.__setattr__(self, "_channel", channel)
        object.__setattr__(self, "_handle", handle)
        object.__setattr__(self, "_type", type_name[:100])

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._channel.ask({"op": "call", "f": self._handle,
                                  "a": self._channel.send(list(args)),
                                  "k": {k: self._channel.send(v) for k, v in kwargs.items()}})

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)  # introspection stays on the judge's side
        return self._channel.ask({"op": "getattr", "o": self._handle, "n": name})

    def __setattr__(self, name: str, value: Any) -> None:
        self._channel.ask({"op": "setattr", "o": self._handle, "n": name,
                           "v": self._channel.send(value)})

    def __repr__(self) -> str:
        return f"<the candidate's {self._type} object #{self._handle}>"


class Channel:
    """The judge's end of the call channel: one request, then exactly its answer."""

    def __init__(self, request_fd: int, reply_fd: int) -> None:
        self.request_fd = request_fd
        self.reply_fd = reply_fd
        self.number = 0
        self.stage = "load"
        self.broken: ChannelBroken | None = None
        self.remotes: dict[int, Remote] = {}

    def fail(self, reason: str) -> NoReturn:
        if self.broken is None:
            self.broken = ChannelBroken(reason, self.stage)
        raise self.broken

    def remote(self, handle: int, type_name: str) -> Remote:
        found = self.remotes.get(handle)
        if found is None:
            found = self.remotes[handle] = Remote(self, handle, type_name)
        return found

    def send(self, value: Any) -> Any:
        """A test's argument as data; the candidate's own objects go back as
        references, anything else the judge cannot hand over is the test's error."""

        def ref(obj: Any) -> Any:
            if isinstance(obj, Remote) and obj._channel is self:
                return {"t": "ref", "id": obj._handle}
            by_name = importable(obj)
            if by_name is not None:
                return by_name
            raise TypeError(f"the judge cannot pass a {type(obj).__name__} to the candidate "
                            "(only plain data, importable names and the candidate's own "
                            "objects cross)")

        return encode(value, ref)

    def value(self, node: Any) -> Any:
        try:
            return decode(node, self.remote)
        except BadValue as exc:
            self.fail(f"sent an unreadable value ({exc})")

    def ask(self, message: dict[str, Any], decode_ok: bool = True) -> Any:
        """Send one request; its value, or raise the candidate's exception."""
        if self.broken is not None:
            raise self.broken
        self.number += 1
        message["id"] = self.number
        try:
            write_message(self.request_fd, message)
        except OSError:
            self.fail("closed the call channel")
        try:
            reply = read_message(self.reply_fd, MESSAGE_LIMIT)
        except (ValueError, RecursionError, MemoryError) as exc:
            self.fail(f"sent a malformed message ({type(exc).__name__}: {str(exc)[:200]})")
        except OSError:
            self.fail("closed the call channel")
        if reply is None:
            self.fail("closed the call channel")
        if type(reply) is not dict or type(reply.get("id")) is not int \
                or reply["id"] != self.number:
            self.fail("answered out of turn")
        if "ok" in reply and "raise" not in reply:
            return self.value(reply["ok"]) if decode_ok else reply["ok"]
        if "raise" in reply and "ok" not in reply:
            try:
                raised = decode_exception(reply["raise"], self.remote)
            except BadValue as bad:
                self.fail(f"sent an unreadable exception ({bad})")
            raise raised
        self.fail("sent neither a value nor an exception")

    def load(self, program: str, names: list[str]) -> dict[str, Any]:
        """Have the candidate run its program; what each of ``names`` is there (the
        names it does not define are absent)."""
        found = self.ask({"op": "load", "src": program, "names": names}, decode_ok=False)
        self.stage = "test"
        if type(found) is not dict or not set(found) <= set(names):
            self.fail("answered the load request with something else")
        bound: dict[str, Any] = {}
        for name, node in found.items():
            if name != names[0] and name in sys.stdlib_module_names:
                # A test that uses a standard module the program imported (MBPP/596:
                # ``tuple_size(t) == sys.getsizeof(t)``) means that module: the judge's
                # own, whatever the program bound to the name (an object whose
                # getsizeof returns 0 would decide both sides of the comparison).
                module = _own_module(name, name)
                if module is not None:
                    bound[name] = module
            elif type(node) is dict and node.get("t") == "module":
                # (never for the entry point: a module is no function, and its name
                # is the program's choice)
                module = None if name == names[0] else _own_module(name, node.get("v"))
                if module is not None:
                    bound[name] = module
            else:
                bound[name] = self.value(node)
        return bound


def _own_module(name: str, module: Any) -> Any:
    """The judge's own import of the module the program bound to ``name``, when that
    is the module's name (or a common alias of it); None otherwise."""
    if type(module) is not str or not (module == name or module.rsplit(".", 1)[-1] == name
                                       or (name, module) in MODULE_ALIASES):
        return None
    if module.split(".", 1)[0] not in sys.stdlib_module_names | _THIRD_PARTY_MODULES:
        return None  # the name is the candidate's to choose: never run an arbitrary
        # installed package's import-time code in the judge, which serves later samples
    try:
        return importlib.import_module(module)
    except Exception:
        return None


def describe(exc: BaseException) -> str:
    name = type(exc).__name__
    try:
        message = str(exc)
    except BaseException:  # a test's value with a hostile __str__ must not lose the verdict
        message = "<unprintable>"
    if isinstance(exc, SyntaxError) and exc.lineno is not None:
        message = f"{exc.msg} (line {exc.lineno})"
    return cap_text(f"{name}: {message}" if message else name, DETAIL_LIMIT)


def classify(exc: BaseException) -> str:
    if isinstance(exc, AssertionError):
        return "failed"
    if isinstance(exc, MemoryError):
        return "out_of_memory"
    return "error"


def run(job: dict[str, Any], channel: Channel) -> dict[str, Any]:
    """Load the program, then run the tests against it; the report. Raises
    ChannelBroken if the candidate stopped answering, even if the tests went on."""
    try:
        bound = channel.load(job["program"], list(job.get("names") or ()))
    except ChannelBroken:
        raise
    except BaseException as exc:  # the program itself raised while it ran
        return {"status": classify(exc), "detail": describe(exc)}
    outcome: dict[str, Any] = {"status": "passed", "detail": None}
    test = job.get("test")
    if test is not None:
        namespace: dict[str, Any] = {"__builtins__": builtins}
        try:
            if job.get("context"):
                exec(_compiled(job["context"], "<prompt>"), namespace)  # noqa: S102
            namespace.update(bound)
            exec(_compiled(test, "<test>"), namespace)  # noqa: S102
        except BaseException as exc:
            outcome = {"status": classify(exc), "detail": describe(exc)}
    if channel.broken is not None:
        raise channel.broken
    return outcome


_COMPILED: dict[tuple[str, str], Any] = {}


def _compiled(source: str, filename: str) -> Any:
    """The task's code compiled once per judge (samples of one task share it)."""
    key = (source, filename)
    code = _COMPILED.get(key)
    if code is None:
        if len(_COMPILED) >= 256:
            _COMPILED.clear()
        code = _COMPILED[key] = compile(source, filename, "exec")
    return code


def judge_one(job: dict[str, Any], fds: list[int]) -> dict[str, Any]:
    """The report on one job whose channel is ``fds`` (request write end, reply read
    end); closes them."""
    channel = None
    try:
        if len(fds) != 2:
            raise OSError(f"expected the call channel's 2 pipes, got {len(fds)}")
        channel = Channel(fds[0], fds[1])
        return run(job, channel)
    except ChannelBroken as broken:
        return {"broken": broken.reason, "stage": broken.stage}
    except BaseException as exc:
        return {"sandbox": f"the judge failed: {describe(exc)}"}
    finally:
        if channel is not None and channel.broken is None:
            # a proxy the test kept somewhere must not reach the next job's pipes,
            # which may get the same descriptor numbers
            channel.broken = ChannelBroken("was asked after its job ended", "done")
        for fd in fds:
            os.close(fd)


class Judge:
    """The worker's handle on its judge: one process per worker, forked from the
    worker after its set-up (so it sits in the worker's namespaces, under its seccomp
    filter), running as the judge user. It takes one job at a time (the job as a
    length-prefixed JSON frame on a stream socket, the call channel's two pipes
    attached to it) and answers with one report frame. A judge that dies, or does not
    report within a grace period after its candidate was killed, is replaced."""

    def __init__(self, config: dict[str, Any], uid: int, gid: int) -> None:
        self.config = config
        self.uid = uid
        self.gid = gid
        self._start()

    def _start(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        pid = os.fork()
        if pid == 0:
            try:
                ours.close()
                _serve(theirs.detach(), self.config["devnull"], self.uid, self.gid,
                       int(self.config["memory_mb"]))
            finally:
                os._exit(1)
        theirs.close()
        self.pid = pid
        self.pidfd = os.pidfd_open(pid)
        self.sock = ours
        self.fd = ours.fileno()
        self.reader = FrameReader()

    def submit(self, job: dict[str, Any], fds: list[int]) -> None:
        """Send a job; the caller keeps (and closes) its own copies of ``fds``."""
        data = encode_frame(job)
        sent = socket.send_fds(self.sock, [data], fds)
        if sent < len(data):
            self.sock.sendall(data[sent:])

    def read(self) -> list[Any] | None:
        """The reports in what is readable now (call when poll says so); None if the
        judge closed its end."""
        data = os.read(self.fd, 1 << 16)
        if not data:
            return None
        return self.reader.feed(data)

    def restart(self) -> None:
        try:
            signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(self.pid, 0)
        os.close(self.pidfd)
        self.sock.close()
        self._start()


def _serve(sock_fd: int, devnull: int, uid: int, gid: int, memory_mb: int) -> NoReturn:
    """The judge's life: confine once, then judge job after job (see ``Judge``)."""
    name_process(JUDGE)
    sock_fd = fcntl.fcntl(sock_fd, fcntl.F_DUPFD_CLOEXEC, 10)
    devnull = fcntl.fcntl(devnull, fcntl.F_DUPFD_CLOEXEC, 10)
    os.dup2(sock_fd, _SOCKET_FD, inheritable=False)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    linux.close_from(_SOCKET_FD + 1)
    os.chdir("/")
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    confine.drop_privileges(uid, gid)
    sock = socket.socket(fileno=_SOCKET_FD)
    while True:
        received = _receive(sock)
        if received is None:
            os._exit(0)
        job, fds = received
        sock.sendall(encode_frame(judge_one(job, fds)))


def _receive(sock: socket.socket) -> tuple[dict[str, Any], list[int]] | None:
    data, fds, _, _ = socket.recv_fds(sock, 1 << 16, 4)
    if not data:
        return None
    buffer = bytearray(data)
    while True:
        if len(buffer) >= HEADER.size:
            (size,) = HEADER.unpack_from(buffer)
            if len(buffer) >= HEADER.size + size:
                return json.loads(bytes(buffer[HEADER.size:HEADER.size + size])), fds
        chunk = sock.recv(1 << 20)
        if not chunk:
            return None
        buffer += chunk
