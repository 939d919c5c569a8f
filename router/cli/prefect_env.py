"""Defaults for running Prefect from the CLI, set before Prefect is imported.

Every value is a default (`setdefault`): a user's own Prefect settings win.
- quiet logs: the CLI draws its own progress and summary;
- no telemetry: routerx runs where the network may be closed, and a CLI should not
  phone home on its users' behalf;
- a patient start-up for the temporary local server Prefect starts when no server is
  configured: on a busy two-core machine it can take longer than Prefect's 20 s;
- that temporary server dies with the CLI, even one killed with SIGKILL
  (`router/cli/orphan_guard.py`).
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

DEFAULTS = {
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
}


def prefect_defaults() -> None:
    for name, value in DEFAULTS.items():
        os.environ.setdefault(name, value)
    if os.environ.get("PREFECT_API_URL", "x").strip() == "":
        # Set but empty means "no server" to a user; to Prefect it is a server at "",
        # and every event it emits fails with a traceback.
        del os.environ["PREFECT_API_URL"]
    from prefect.settings import get_current_settings

    if not get_current_settings().api.url:  # Prefect will start a temporary server
        guard_temporary_server()


class _GuardedSubprocess:
    """Stands in for the `subprocess` module inside Prefect's server module: its Popen
    runs `python -m MODULE ...` under the orphan guard; everything else is subprocess's."""

    def __getattr__(self, name: str) -> Any:
        return getattr(subprocess, name)

    @staticmethod
    def Popen(args: Any, *rest: Any, **kwargs: Any) -> subprocess.Popen[Any]:  # noqa: N802
        from router.cli.orphan_guard import command

        argv = list(args) if isinstance(args, list | tuple) else None
        if argv and len(argv) >= 3 and argv[0] == sys.executable and argv[1] == "-m":
            args = command(argv[2], *argv[3:])
        return subprocess.Popen(args, *rest, **kwargs)


def guard_temporary_server() -> None:
    """Make every temporary server Prefect starts from this process die with it.

    Prefect starts it in `SubprocessASGIServer` as `python -m uvicorn ...`, with no hook
    for how; replacing the `subprocess` name that module sees changes only that launch.
    If a Prefect upgrade changes the command's shape, the server starts unguarded (and
    tests/router/cli/test_prefect_server_cleanup.py fails). Idempotent.
    """
    import prefect.server.api.server as server

    if not isinstance(server.subprocess, _GuardedSubprocess):
        server.subprocess = _GuardedSubprocess()  # type: ignore[assignment]


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """Hide what Prefect's temporary server prints while it shuts down.

    Real failures still reach the user: as exceptions (one line from the CLI) or as
    failed models in the summary.
    """
    with contextlib.redirect_stderr(io.StringIO()):
        yield
