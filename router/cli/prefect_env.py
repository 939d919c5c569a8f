"""Defaults for running Prefect from the CLI, set before Prefect is imported.

Every value is a default (`setdefault`): a user's own Prefect settings win.
- quiet logs: the CLI draws its own progress and summary;
- no telemetry: routerx runs where the network may be closed, and a CLI should not
  phone home on its users' behalf;
- a patient start-up for the temporary local server Prefect starts when no server is
  configured: on a busy two-core machine it can take longer than Prefect's 20 s.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator

DEFAULTS = {
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
}


def prefect_defaults() -> None:
    for name, value in DEFAULTS.items():
        os.environ.setdefault(name, value)


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """Hide what Prefect's temporary server prints while it shuts down.

    Real failures still reach the user: as exceptions (one line from the CLI) or as
    failed models in the summary.
    """
    with contextlib.redirect_stderr(io.StringIO()):
        yield
