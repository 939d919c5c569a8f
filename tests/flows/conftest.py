from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """A temporary Prefect API and database for the whole session (starts once, ~10 s).

    Its server is tied to this pytest process: a run killed outright leaves none behind.
    """
    from prefect.testing.utilities import prefect_test_harness

    from router.cli.prefect_env import guard_temporary_server

    guard_temporary_server()

    with prefect_test_harness(server_startup_timeout=120):
        yield
