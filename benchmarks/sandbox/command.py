"""``Sandbox.run_command``: a command (SWE-bench's ``git apply``, a test run) contained,
with one host directory writable.

Why a fresh helper interpreter per command rather than a pool worker: each command
needs its own filesystem view (its workdir read-write and its read-only paths at their
host paths), and a command lasts seconds, so the helper's ~50 ms start is noise. The
helper starts with an empty environment and leases a uid pair of its own (``userns``),
enters a user namespace with it (no root needed), hands the workdir to the command's
uid, enters network, mount, UTS and IPC namespaces (System V IPC disabled), then forks
an init (PID 1 of a new PID namespace) that enters the allow-listed read-only root with
a procfs of its own namespace (mounted before the pivot: the kernel allows a procfs in
a user namespace only while a full one is visible), installs the seccomp filter, drops
privileges, starts the command and reaps whatever it leaves behind. On the deadline the
helper kills the init, and with it every process of the command; then it hands the
workdir back to the owner it had.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import time
from typing import Any

from benchmarks.sandbox import confine, lifeline, linux, rootfs, seccomp, spawn, userns
from benchmarks.sandbox.capture import CappedBuffer
from benchmarks.sandbox.jobs import CommandJob, CommandResult
from benchmarks.sandbox.protocol import read_message
from benchmarks.sandbox.supervise import supervise
from router.errors import SandboxUnavailable

DEFAULT_MEMORY_MB = 4096
OUTPUT_LIMIT = 16 * 1024 * 1024
SCRATCH_MB = 512
#: the host waits this long beyond the command's timeout before killing the helper
HELPER_GRACE_S = 30.0
#: exit status of an init that could not set the command's view up
INIT_SETUP_FAILED = 125


def command_limits(job: dict[str, Any]) -> confine.Limits:
    return confine.Limits(cpu_s=math.ceil(job["timeout_s"]) + 1,
                          memory_mb=int(job["memory_mb"]), nproc=512, fsize_mb=1024,
                          nofile=4096)


def run_command(job: CommandJob, config: dict[str, Any]) -> CommandResult:
    """Host side: start the helper, give it the job, read its one JSON answer."""
    workdir = rootfs.host_path(job.workdir)
    if not os.path.isdir(workdir):
        raise FileNotFoundError(f"CommandJob.workdir {workdir} is not a directory")
    if not job.argv:
        raise ValueError("CommandJob.argv is empty")
    spec = {
        "argv": [str(a) for a in job.argv],
        "workdir": workdir,
        "readonly": [rootfs.host_path(p) for p in job.readonly_paths
                     if os.path.exists(p)],
        "env": {str(k): str(v) for k, v in job.env.items()},
        "timeout_s": float(job.timeout_s),
        "memory_mb": job.memory_mb or DEFAULT_MEMORY_MB,
    }
    start = time.monotonic()
    ids = userns.lease(config.get("id_mode"))
    try:
        proc = spawn.start("benchmarks.sandbox.command", "helper_main",
                           {**config, **ids.config(), "job": spec}, keep_stdin_open=False)
        try:
            out, _ = proc.communicate(timeout=job.timeout_s + HELPER_GRACE_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            return CommandResult("timeout", None, "the sandbox helper stopped answering",
                                 time.monotonic() - start)
    finally:
        ids.release()
    try:
        answer = json.loads(out)
    except ValueError:
        return CommandResult("crashed", None, f"the sandbox helper died (exit "
                             f"{proc.returncode})", time.monotonic() - start)
    if "unavailable" in answer:
        raise SandboxUnavailable(f"cannot set up the sandbox: {answer['unavailable']}")
    return CommandResult(status=answer["status"], returncode=answer["returncode"],
                         output=answer["output"], duration_s=answer["duration_s"])


def _chown_tree(root: str, uid: int, gid: int) -> None:
    """``root`` and everything below it to ``uid``/``gid``, symlinks not followed. Best
    effort: an entry whose owner has no id in this user namespace stays as it is."""
    for path in _tree(root):
        try:
            os.lchown(path, uid, gid)
        except PermissionError:
            continue


def _tree(root: str) -> list[str]:
    paths = [root]
    for base, dirs, files in os.walk(root):
        paths += [os.path.join(base, name) for name in (*dirs, *files)]
    return paths


def helper_main() -> None:
    config = read_message(0)
    if config is None:  # the host went away before it sent the job
        return
    job = config["job"]
    uid, gid = config["sandbox_uid"], config["sandbox_gid"]
    try:
        userns.enter(config)
        lifeline.become_init(keep_fds=())
        confine.use_ids(uid, gid, setgroups=config["id_mode"] != "single")
        owner = os.stat(job["workdir"])
        # the workdir must be writable by the uid the command runs as, then given back
        handed = (owner.st_uid, owner.st_gid) != (uid, gid)
        if handed:
            _chown_tree(job["workdir"], uid, gid)
        linux.unshare(linux.CLONE_NEWNS | linux.CLONE_NEWNET | linux.CLONE_NEWUTS
                      | linux.CLONE_NEWIPC)
        linux.sethostname("sandbox")
        confine.disable_sysv_ipc()
        extra = [rootfs.Bind(job["workdir"], writable=True),
                 *(rootfs.Bind(p) for p in job["readonly"])]
        binds = rootfs.allowed_binds(extra, config.get("hidden", ()))
        linux.unshare(linux.CLONE_NEWPID)  # for the init forked next
    except OSError as exc:
        print(json.dumps({"unavailable": str(userns.explain(
            exc, "cannot set up the command's namespaces"))}))
        return
    out_r, out_w = os.pipe()
    res_r, res_w = os.pipe()
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(out_r)
            os.close(res_r)
            _init(job, binds, rootfs.Scratch(SCRATCH_MB, uid, gid, 0o700), out_w, res_w)
        finally:
            os._exit(126)
    os.close(out_w)
    os.close(res_w)
    limit = int(config.get("command_output_limit") or OUTPUT_LIMIT)
    output, report = CappedBuffer(limit, tail=limit // 2), CappedBuffer(4096)
    ended = supervise(pid, {out_r: output, res_r: report}, start + job["timeout_s"])
    if handed:
        _chown_tree(job["workdir"], owner.st_uid, owner.st_gid)
    print(json.dumps({**_judge(ended.status, ended.killed, bytes(report.kept)),
                      "output": output.text(), "duration_s": time.monotonic() - start}))


def _judge(init_status: int, killed: bool, report: bytes) -> dict[str, Any]:
    if killed:
        return {"status": "timeout", "returncode": None}
    try:
        ended = json.loads(report)
    except ValueError:
        ended = None
    if isinstance(ended, dict) and "unavailable" in ended:
        return {"unavailable": str(ended["unavailable"])}
    if not isinstance(ended, dict):
        # the init itself died: only an outside SIGKILL (the OOM killer) does that
        sig = os.WTERMSIG(init_status) if os.WIFSIGNALED(init_status) else None
        return {"status": "out_of_memory" if sig == signal.SIGKILL else "crashed",
                "returncode": None}
    if ended.get("signal") is not None:
        sig = int(ended["signal"])
        status = "timeout" if sig == signal.SIGXCPU else "crashed"
        return {"status": status, "returncode": -sig}
    return {"status": "ok", "returncode": int(ended["returncode"])}


def _init(job: dict[str, Any], binds: list[rootfs.Bind], scratch: rootfs.Scratch,
          out_w: int, res_w: int) -> None:
    """PID 1 of the command's namespace: enter the view, start the command, reap
    everything, report how the command itself ended, exit (which kills whatever is
    left)."""
    try:
        rootfs.enter_root(binds, scratch, proc=True)
        seccomp.install()
    except OSError as exc:
        message = str(userns.explain(exc, "cannot set up the command's read-only view"))
        os.write(res_w, json.dumps({"unavailable": message}).encode())
        os._exit(INIT_SETUP_FAILED)
    os.setsid()
    limits = command_limits(job)
    env = confine.minimal_env("/tmp", job["env"])
    null = os.open("/dev/null", os.O_RDONLY)
    pid = os.fork()
    if pid == 0:
        try:
            os.dup2(null, 0)
            os.dup2(out_w, 1)
            os.dup2(out_w, 2)
            linux.close_from(3)
            os.setpgid(0, 0)
            os.chdir(job["workdir"])
            confine.apply_limits(limits)
            confine.drop_privileges()
            for sig in range(1, signal.NSIG):
                try:
                    signal.signal(sig, signal.SIG_DFL)
                except (OSError, ValueError):
                    pass
            os.execvpe(job["argv"][0], job["argv"], env)
        except BaseException as exc:
            os.write(2, f"sandbox: cannot run {job['argv'][0]!r}: {exc}\n".encode())
        os._exit(127)
    os.close(out_w)
    os.dup2(res_w, 3)
    linux.close_from(4)
    res_w = 3
    confine.drop_privileges()
    while True:
        try:
            done, status = os.waitpid(-1, 0)
        except ChildProcessError:
            os._exit(0)
        if done == pid:
            break
    if os.WIFSIGNALED(status):
        report = {"signal": os.WTERMSIG(status)}
    else:
        report = {"returncode": os.WEXITSTATUS(status)}
    os.write(res_w, json.dumps(report).encode())
    os._exit(0)
