"""The sandbox's pure parts: time limits, framing, output caps, the filesystem plan,
and refusing to run when containment is impossible."""

from __future__ import annotations

import math
import os
from pathlib import Path

import pytest

from benchmarks.sandbox import CommandJob, Job, Sandbox, rootfs, spawn, timeout_for
from benchmarks.sandbox.capture import CappedBuffer, cap_text
from benchmarks.sandbox.protocol import FrameReader, encode
from router.errors import SandboxUnavailable


@pytest.mark.parametrize(("runtime", "expected"), [
    (0.01, 4.0),        # fast reference: the floor
    (1.0, 4.0),         # 4 x 1.0 == floor
    (2.5, 10.0),        # slow reference: 4 x its runtime
    (None, 4.0), (-1.0, 4.0), (math.nan, 4.0), (math.inf, 4.0),
])
def test_timeout_for_is_evalplus_rule(runtime: float | None, expected: float) -> None:
    assert timeout_for(runtime) == expected


def test_timeout_for_custom_floor_and_multiple() -> None:
    assert timeout_for(0.5, floor_s=1.0, multiple=3.0) == 1.5
    assert timeout_for(0.1, floor_s=1.0, multiple=3.0) == 1.0
    with pytest.raises(ValueError):
        timeout_for(1.0, floor_s=0)


def test_frames_split_anywhere_are_reassembled() -> None:
    messages = [{"a": 1}, {"program": "x" * 70000}, {"status": "passed", "detail": None}]
    data = b"".join(encode(m) for m in messages)
    reader, out = FrameReader(), []
    for i in range(0, len(data), 7):
        out += reader.feed(data[i:i + 7])
    assert out == messages


def test_capped_buffer_head_only() -> None:
    buf = CappedBuffer(5)
    buf.add(b"abc")
    buf.add(b"defgh")
    assert buf.text() == "abcde\n... [3 more bytes of output cut]"


def test_capped_buffer_head_and_tail() -> None:
    buf = CappedBuffer(6, tail=3)
    for chunk in (b"ab", b"cdefg", b"hij"):
        buf.add(chunk)
    assert buf.text() == "abc\n... [4 more bytes of output cut]\nhij"
    whole = CappedBuffer(10, tail=5)
    whole.add(b"short")
    assert whole.text() == "short"


def test_cap_text() -> None:
    assert cap_text("abc", 5) == "abc"
    assert cap_text("abcdefgh", 5) == "abcde... [3 more characters cut]"


def test_allow_list_never_shows_a_home_whole(tmp_path: os.PathLike) -> None:
    home = os.path.realpath(tmp_path)
    inside = os.path.join(home, "venv")
    os.mkdir(inside)
    binds = rootfs.allowed_binds([rootfs.Bind(inside)], hidden=[home])
    sources = [b.source for b in binds]
    assert home not in sources and inside in sources
    assert "/" not in sources
    assert "/usr" in sources
    assert all(not rootfs._within(home, s) for s in sources if s != inside)


def test_allow_list_keeps_a_writable_dir_inside_a_readonly_one(tmp_path: os.PathLike) -> None:
    base = os.path.realpath(tmp_path)
    os.mkdir(os.path.join(base, "work"))
    binds = rootfs.allowed_binds([rootfs.Bind(base), rootfs.Bind(os.path.join(base, "work"),
                                                                 writable=True)])
    mine = [b for b in binds if b.source.startswith(base)]
    assert mine == [rootfs.Bind(base), rootfs.Bind(os.path.join(base, "work"), True)]
    with pytest.raises(ValueError):
        rootfs.allowed_binds([rootfs.Bind("/")])


def test_refuses_where_there_are_no_namespaces(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spawn.sys, "platform", "darwin")
    with pytest.raises(SandboxUnavailable, match="needs Linux namespaces; this is darwin"):
        Sandbox(workers=1)


def test_a_worker_that_cannot_set_up_is_sandbox_unavailable() -> None:
    with pytest.raises(SandboxUnavailable, match="no_such_module_routerx"):
        Sandbox(workers=1, preload=["no_such_module_routerx"])


def test_rejects_nonsense_settings() -> None:
    with pytest.raises(ValueError):
        Sandbox(workers=0)
    with pytest.raises(ValueError):
        Sandbox(workers=1, memory_mb=1)


@pytest.mark.parametrize("kw", [{"timeout_s": 0}, {"timeout_s": -1}, {"timeout_s": math.nan},
                                {"timeout_s": math.inf}, {"memory_mb": 1}, {"memory_mb": 1.5}])
def test_jobs_with_impossible_limits_are_refused(kw: dict) -> None:
    with pytest.raises(ValueError, match="Job"):
        Job("pass", **kw)
    with pytest.raises(ValueError, match="CommandJob"):
        CommandJob(["true"], Path("/"), **kw)
