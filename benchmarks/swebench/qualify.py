"""Whether an instance can be judged here at all: its reference patch must resolve.

Why: a failing test says something about the model only if a right patch would pass it
here. When the local environment differs from the harness's (a library of another
version, a test that needs the internet, a missing system tool), the reference patch
fails too, and every model would be scored down for routerx's shortcoming. So when a
sample fails (``failed``, or ``error``: no test result at all), the reference patch is
judged once on the same instance (cached on disk per instance, environment and judge
version); if it does not resolve either, the sample's verdict is an infrastructure
outcome: ``unsupported_offline`` when the reference's log shows the network was out of
reach (the sandbox has none), else ``environment``, with both results in the detail.
Verdicts that blame the patch itself (``patch_failed``, ``patch_touches_tests``,
``rejected``) and the sandbox's ``timeout``/``crashed``/``out_of_memory`` stand.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from benchmarks.swebench.instances import Instance
    from benchmarks.swebench.local import InstanceVerdict

#: bump when a change in judging makes cached reference verdicts stale
JUDGE_VERSION = "1"
QUALIFIED = ("failed", "error")
_NETWORK = re.compile(
    r"Network is unreachable|\[Errno (?:101|-2|-3|-5)\]|Temporary failure in name resolution"
    r"|Name or service not known|nodename nor servname|getaddrinfo failed"
    r"|Failed to establish a new connection|No route to host|urlopen error"
    r"|Max retries exceeded with url")


def network_symptom(log: str) -> str:
    """The first log line showing a connection that could not be made ("" if none)."""
    for line in log.splitlines():
        if _NETWORK.search(line):
            return line.strip()[:300]
    return ""


class ReferenceCache:
    """The reference patch's verdict per instance and environment, judged at most once
    (a file lock per entry: two workers needing it at once run it once)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, instance: Instance, env_key: str) -> Path:
        record = json.dumps(instance.to_record(), sort_keys=True)
        digest = hashlib.sha256(f"{record}:{env_key}:{JUDGE_VERSION}".encode())
        return self.root / f"{instance.instance_id}-{digest.hexdigest()[:12]}.json"

    def get(self, instance: Instance, env_key: str,
            judge: Callable[[], InstanceVerdict]) -> dict[str, str]:
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.path(instance, env_key)
        with open(f"{path}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if path.is_file():
                return json.loads(path.read_text())
            verdict = judge()
            entry = {"status": verdict.status, "detail": verdict.detail,
                     "network": verdict.network}
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(entry))
            os.replace(tmp, path)
            return entry


def requalified(verdict: InstanceVerdict, reference: dict[str, str]) -> InstanceVerdict:
    """The sample's verdict once the reference's is known (unchanged if it resolves)."""
    from benchmarks.swebench.local import InstanceVerdict

    if reference["status"] == "passed":
        return verdict
    status = "unsupported_offline" if reference.get("network") else "environment"
    why = (f"its tests need the network ({reference['network']})" if reference.get("network")
           else "the reference patch does not resolve here either")
    detail = (f"instance not judged here: {why}; reference: {reference['status']}"
              + (f" ({reference['detail'][:300]})" if reference.get("detail") else "")
              + f"; this patch: {verdict.status}"
              + (f" ({verdict.detail[:300]})" if verdict.detail else ""))
    return InstanceVerdict(**{**verdict.__dict__, "status": status, "detail": detail})
