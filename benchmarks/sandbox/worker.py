"""A pre-forked worker: enters the sandbox's namespaces once, then runs Python jobs,
each as a candidate forked from its zygote and judged by its judge.

A worker is a fresh interpreter (``spawn``: no byte of the host's memory, so no key).
It enters a user namespace of its own with its own sample and judge uids (``userns``:
no root needed), becomes PID 1 of its own PID namespace (``lifeline``), imports the
preload modules once, unshares its network (empty), UTS, IPC (System V IPC disabled)
and mount namespaces, pivots into the read-only view (``rootfs``), installs the seccomp
filter, and only then forks its zygote (``zygote``: the pristine parent of every
candidate, forked before any job) and its judge (``judge``) and accepts jobs. Per job
(``trial``) it has the zygote fork a candidate into a new PID namespace (``child``)
with an empty scratch tmpfs (HOME and TMPDIR, owned by the worker's sample uid; the
rest of /tmp is read-only), hands the test to the judge, enforces the wall clock,
kills the candidate when the judge is done or on timeout (which takes its whole PID
namespace, every process it started, down) and replaces a used scratch tmpfs by a new
one (the old one is detached whole, however many files or levels it holds).

Why per job only a PID namespace: on this kind of machine a fork already costs
milliseconds, and a fresh mount or IPC namespace per job would add about half as
much again; the worker's ones are private to it, read-only, and reset between jobs.

Protocol (``benchmarks.sandbox.protocol`` on stdin/stdout): the host sends the
configuration, the worker answers ``{"ready": true}`` or ``{"ready": false, "error":
msg}``; then for each ``{"program", "test", "context", "names", "timeout_s",
"memory_mb"}`` one verdict dict.
"""

from __future__ import annotations

import gc
import math
import os
from typing import Any

from benchmarks.sandbox import confine, lifeline, linux, rootfs, seccomp, userns
from benchmarks.sandbox.judge import Judge
from benchmarks.sandbox.protocol import read_message, write_message
from benchmarks.sandbox.trial import ids, run_sample
from benchmarks.sandbox.zygote import Zygote

WORKER_NAMESPACES = (linux.CLONE_NEWNS | linux.CLONE_NEWNET | linux.CLONE_NEWUTS
                     | linux.CLONE_NEWIPC)


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
        _oom_first()
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


def _oom_first() -> None:
    """Offer this worker, and everything it forks (zygote, judge, samples), to the
    kernel's out-of-memory killer before any host process.

    Why: the address-space limit is per process, so a sample that forks up to its
    process limit can hold several times ``memory_mb``; without a memory cgroup the
    kernel, not routerx, stops it. With every sandbox process at the maximum score the
    killer picks among them by size, i.e. the sample hoarding memory, never the host
    (raising the score needs no privilege, so this holds in every id mode)."""
    with open("/proc/self/oom_score_adj", "w") as fh:
        fh.write("1000")


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


def run_job(job: dict[str, Any], config: dict[str, Any], zygote: Zygote,
            judge: Judge) -> dict[str, Any]:
    """One sample: its candidate from the zygote, its tests in the judge (``trial``)."""
    limits = job_limits(float(job["timeout_s"]), config, job.get("memory_mb"))
    return run_sample(job, config, zygote, judge, limits, _Scratch.spec)


def main() -> None:
    config = read_message(0)
    if config is None:  # the host went away before it sent the configuration
        return
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
        # before the first job: the zygote must never have held one
        zygote = Zygote(config)
        _, _, judge_uid, judge_gid = ids(config)
        judge = Judge(config, judge_uid, judge_gid)
        probe = run_job({"program": "pass", "timeout_s": 30}, config, zygote, judge)
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
            write_message(answers_fd, run_job(job, config, zygote, judge))
        except BrokenPipeError:
            return  # the host is gone

