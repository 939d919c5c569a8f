"""The Prefect UI, in headless Chromium: rerun an assessment with the parameter form.

Chromium comes from Debian (`apt-get install chromium chromium-driver`; .ci/run installs
it); Playwright's Python package drives /usr/bin/chromium, nothing is downloaded.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from router.store import get_engine
from router.store.models import BenchmarkRun, SampleResult
from tests.deployments.conftest import Served
from tests.servers import wait_until

CHROMIUM = "/usr/bin/chromium"
# headless=True adds --headless; the profile directory is the test's own (user_data_dir).
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]


def _field(page: Any, name: str, control: str) -> Any:
    """The control of the parameter form's field whose label starts with `name (`."""
    return page.locator(f"xpath=//*[starts-with(normalize-space(text()), '{name} (')]"
                        f"/ancestor::*[.//{control}][1]//{control}").first


@pytest.fixture
def browser(tmp_path: Path) -> Any:
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        pytest.fail("Chromium is missing: apt-get install -y chromium chromium-driver")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=CHROMIUM, headless=True,
            args=FLAGS, viewport={"width": 1400, "height": 1000})
        try:
            yield context
        finally:
            context.close()


def test_a_custom_run_from_the_ui_form_completes(served: Served, prefect_server: Any,
                                                 prefect_api: str, browser: Any,
                                                 tmp_path: Path) -> None:
    from playwright.sync_api import expect
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName

    # The model must be catalogued (a no-op when another test already discovered it);
    # in a child process, as Playwright's event loop runs in this one.
    env = os.environ | {"ROUTERX_CONFIG": str(served.config),
                        "ROUTERX_DATABASE_URL": served.database_url}
    subprocess.run([sys.executable, "-m", "router", "discover", "--local", "-p", "simulated",
                    "--json"], env=env, check=True, capture_output=True, timeout=120)
    with get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name("assess/manual")

    page = browser.new_page()
    page.set_default_timeout(60_000)
    page.goto(f"{prefect_server.ui_url}/deployments/deployment/{deployment.id}")
    page.get_by_role("button", name="Run", exact=True).click()
    page.get_by_text("Custom run").first.click()

    name = f"ui-rerun-{uuid.uuid4().hex[:8]}"
    page.get_by_role("button", name="Add item").click()             # models: one item
    _field(page, "models", "textarea").fill("simulated/sim-fair")
    _field(page, "limit", "input[@type='number']").fill("3")
    _field(page, "samples", "input[@type='number']").fill("2")
    _field(page, "seed", "input[@type='number']").fill("11")
    page.locator("input.p-text-input__control").first.fill(name)   # Run Name
    page.screenshot(path=str(tmp_path / "form.png"), full_page=True)
    page.get_by_role("button", name="Submit").click()

    page.wait_for_url(re.compile(r".*tab=Runs"))  # the UI went back: the run was created

    def created() -> list[Any]:
        with get_client(sync_client=True) as client:
            return client.read_flow_runs(flow_run_filter=FlowRunFilter(
                name=FlowRunFilterName(any_=[name])))

    (run,) = wait_until(created, 60, f"flow run {name} to exist")
    page.goto(f"{prefect_server.ui_url}/runs/flow-run/{run.id}")
    expect(page.get_by_text(name).first).to_be_visible()

    def final() -> bool:
        page.reload()
        page.wait_for_load_state("networkidle")
        return page.get_by_text(re.compile(r"^(Completed|Failed|Crashed)$")).count() > 0

    wait_until(final, 600, "the UI to show the run finished", interval=3)
    page.screenshot(path=str(tmp_path / "run.png"))
    expect(page.get_by_text("Completed", exact=True).first).to_be_visible()

    (run,) = created()
    assert run.state.is_completed()
    assert (run.parameters["models"], run.parameters["limit"], run.parameters["samples"],
            run.parameters["seed"]) == (["simulated/sim-fair"], 3, 2, 11)
    with Session(get_engine(served.database_url)) as s:
        (bench_run,) = s.exec(select(BenchmarkRun).where(
            BenchmarkRun.flow_run_id == str(run.id))).all()
        samples = s.exec(select(SampleResult).where(SampleResult.run_id == bench_run.id)).all()
    assert len(samples) == 3 * 2
