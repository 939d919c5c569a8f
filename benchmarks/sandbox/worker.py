"""A pre-forked worker: enters the sandbox's namespaces once, then runs Python jobs,
each in a fresh fork of itself.

A worker is a fresh interpreter (``spawn``: no byte of the host's memory, so no key).
It enters a user namespace of its own with its own sample and judge uids (``userns``:
no root needed), becomes PID 1 of its own PID namespace (``lifeline``), imports the
preload modules once, unshares its network (empty), UTS, IPC (System V IPC disabled)
and mount namespaces, pivots into the read-only view (``rootfs``), installs the seccomp
filter, and only then accepts jobs. Per job it forks a child into a new PID
namespace (``benchmarks.sandbox.child``) with an empty scratch tmpfs (HOME and TMPDIR,
owned by the worker's sample uid; the rest of /tmp is read-only), enforces the wall
clock, kills the child on timeout (which takes its whole PID namespace, every process it
started, down) and replaces a used scratch tmpfs by a new one (the old one is detached
whole, however many files or levels it holds).

Why per-job only a PID namespace: on this kind of machine a fork already costs
milliseconds, and a fresh mount or IPC namespace per job would add about half as
much again; the worker's ones are private to it, read-only, and reset between jobs.

Protocol (``benchmarks.sandbox.protocol`` on stdin/stdout): the host sends the
configuration, the worker answers ``{"ready": true}`` or ``{"ready": false, "error":
msg}``; then for each ``{"program", "timeout_s", "memory_mb"}`` one verdict dict.
"""

from __future__ import annotations

import gc
import json
import math
import os
import signal
import time
from typing import Any

from benchmarks.sandbox import child, confine, lifeline, linux, rootfs, seccomp, userns
from benchmarks.sandbox.capture import DETAIL_LIMIT, CappedBuffer, cap_text
from benchmarks.sandbox.protocol import read_message, write_message
from benchmarks.sandbox.supervise import Ended, signal_name, supervise

WORKER_NAMESPACES = (linux.CLONE_NEWNS | linux.CLONE_NEWNET | linux.CLONE_NEWUTS
                     | linux.CLONE_NEWIPC)
RESULT_LIMIT = 64 * 1024
CHILD_STATUSES = ("passed", "failed", "error", "out_of_memory")


def setup(config: dict[str, Any]) -> None:
    """Enter the sandbox (see module doc); raises OSError naming what failed.

    The worker is already root of its own user namespace (``userns.enter``) and PID 1
    of its own PID namespace (``lifeline``): if it dies, every sample it started dies
    with it. It ends at end-of-file on its job pipe, which the host's exit closes.
    ``config`` carries its ids (``sandbox_uid``/``sandbox_gid`` for samples,
    ``judge_uid``/``judge_gid`` for judges; see ``userns``)."""
    for name in config.get("preload", ()):
        __import__(name)
    confine.use_ids(config["sandbox_uid"], config["sandbox_gid"],
                    setgroups=config["id_mode"] != "single")
    try:
        linux.unshare(WORKER_NAMESPACES)
        linux.sethostname("sandbox")
        config["pid_ns"] = os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC)
        confine.disable_sysv_ipc()
        binds = rootfs.allowed_binds((), config.get("hidden", ()))
        _Scratch.spec = rootfs.Scratch(int(config["scratch_mb"]), config["sandbox_uid"],
                                       config["sandbox_gid"], 0o700, at=JOB_DIR)
        rootfs.enter_root(binds, _Scratch.spec)
    except OSError as exc:
        raise userns.explain(exc, "cannot create the sandbox's network, mount, IPC and "
                             "UTS namespaces and its read-only view") from exc
    # The environment every job sees, set here once rather than in each child; then
    # freeze the heap so the children's garbage collector leaves its pages shared.
    confine.replace_environ(confine.minimal_env(JOB_DIR, {"TMPDIR": JOB_DIR}))
    config["devnull"] = os.open("/dev/null", os.O_RDONLY)
    confine.apply_shared_limits(job_limits(30, config))
    seccomp.install()
    gc.collect()
    gc.freeze()


#: each job's scratch tmpfs (and HOME), empty for every job
JOB_DIR = f"{rootfs.SCRATCH}/job"


class _Scratch:
    """The worker's scratch tmpfs (size, owner, place), set by ``setup``."""

    spec = rootfs.Scratch(64, at=JOB_DIR)


def job_limits(timeout_s: float, config: dict[str, Any],
               memory_mb: int | None = None) -> confine.Limits:
    return confine.Limits(cpu_s=math.ceil(timeout_s) + 1,
                          memory_mb=int(memory_mb or config["memory_mb"]),
                          nproc=int(config.get("nproc", 64)))


def _scratch_dir() -> str:
    """JOB_DIR, an empty scratch tmpfs: never one that holds a previous job's leftovers
    (``_remove`` replaces a used one after each job; checked again here)."""
    rootfs.renew_scratch(_Scratch.spec)
    return JOB_DIR


def run_job(job: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    timeout_s = float(job["timeout_s"])
    limits = job_limits(timeout_s, config, job.get("memory_mb"))
    scratch = _scratch_dir()
    out_r, out_w = os.pipe()
    res_r, res_w = os.pipe()
    start = time.monotonic()
    try:
        pid = linux.fork_into_new_pid_namespace(config["pid_ns"])
    except OSError as exc:
        for fd in (out_r, out_w, res_r, res_w):
            os.close(fd)
        _remove(scratch)
        return {"status": "crashed", "detail": f"sandbox could not start the sample: {exc}",
                "duration_s": 0.0, "stdout": ""}
    if pid == 0:
        try:
            child.main(job["program"], scratch, out_w, res_w, config["devnull"], limits)
        finally:
            os._exit(child.SETUP_FAILED)
    os.close(out_w)
    os.close(res_w)
    output, result = CappedBuffer(config["stdout_limit"]), CappedBuffer(RESULT_LIMIT)
    ended = supervise(pid, {out_r: output, res_r: result}, start + timeout_s)
    duration = time.monotonic() - start
    _remove(scratch)
    status_, detail = _judge(ended, limits.cpu_s, bytes(result.kept))
    return {"status": status_, "detail": detail, "duration_s": duration,
            "stdout": output.text()}


def _remove(path: str) -> None:
    """Empty a job's scratch (``path``, its tmpfs): a used one is replaced whole by a
    new one, so no tree is walked and none can be too deep or too large to remove."""
    assert path == _Scratch.spec.at
    rootfs.renew_scratch(_Scratch.spec)


def _judge(ended: Ended, cpu_limit_s: int, reported: bytes) -> tuple[str, str | None]:
    """The verdict from how the child ended. The CPU limit shows as the child's
    CPU_EXCEEDED exit (its SIGXCPU handler) or, if it was stuck in C code, as the
    SIGKILL one second later; any other SIGKILL we did not send is the kernel's
    out-of-memory killer."""
    if ended.killed:
        return "timeout", "wall-clock limit exceeded"
    if os.WIFSIGNALED(ended.status):
        sig = os.WTERMSIG(ended.status)
        if sig == signal.SIGXCPU or (sig == signal.SIGKILL
                                     and ended.cpu_s >= cpu_limit_s - 0.05):
            return "timeout", "CPU-time limit exceeded"
        if sig == signal.SIGKILL:
            return "out_of_memory", "killed by SIGKILL from outside the sandbox " \
                                    "(the kernel's out-of-memory killer)"
        return "crashed", f"killed by {signal_name(sig)}"
    code = os.WEXITSTATUS(ended.status)
    if code == child.CPU_EXCEEDED:
        return "timeout", "CPU-time limit exceeded"
    message = _parse_report(reported)
    if code == 0 and message is not None:
        return message
    if code == child.SETUP_FAILED:
        return "crashed", "the sandbox could not confine the sample"
    return "crashed", f"exited with code {code} before the program finished"


def _parse_report(data: bytes) -> tuple[str, str | None] | None:
    try:
        message = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(message, dict) or message.get("status") not in CHILD_STATUSES:
        return None
    detail = message.get("detail")
    if detail is not None and not isinstance(detail, str):
        return None
    return message["status"], None if detail is None else cap_text(detail, DETAIL_LIMIT)


def main() -> None:
    config = read_message(0)
    jobs_fd, answers_fd = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    os.set_inheritable(jobs_fd, False)
    os.set_inheritable(answers_fd, False)
    try:
        userns.enter(config)
        lifeline.become_init(keep_fds=(jobs_fd, answers_fd))
        setup(config)
        probe = run_job({"program": "pass", "timeout_s": 30}, config)
        if probe["status"] != "passed":
            raise OSError(f"the probe sample did not pass: {probe['status']}: "
                          f"{probe['detail']} {probe['stdout'][-500:]}")
    except (OSError, ImportError) as exc:
        write_message(answers_fd, {"ready": False, "error": str(exc)})
        return
    write_message(answers_fd, {"ready": True})
    while True:
        job = read_message(jobs_fd)
        if job is None:
            return
        try:
            write_message(answers_fd, run_job(job, config))
        except BrokenPipeError:
            return  # the host is gone

