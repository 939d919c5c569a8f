"""The page in a real browser: headless Chromium (Debian package `chromium`) loads the
written file, and its DOM and pixels show the seeded models and their charts."""

from __future__ import annotations

import importlib.util
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from types import ModuleType

import pytest

from router.report.charts import LAYER_COLOURS
from router.report.write import write_report
from tests.router.report.conftest import MODELS

REPO = Path(__file__).resolve().parents[3]


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "routerx_report_screenshot", REPO / "scripts" / "report_screenshot.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SCRIPT = _script()
pytestmark = pytest.mark.skipif(not Path(SCRIPT.CHROMIUM).exists(),
                                reason=f"{SCRIPT.CHROMIUM} absent: apt-get install -y chromium")


class _Texts(HTMLParser):
    """Text inside SVG <text> elements (per figure id) and inside table cells."""

    def __init__(self) -> None:
        super().__init__()
        self.figure: str | None = None
        self.in_text = self.in_cell = False
        self.chart_text: dict[str, list[str]] = {}
        self.cells: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "figure":
            self.figure = dict(attrs).get("id")
            self.chart_text[self.figure or ""] = []
        self.in_text |= tag == "text" and self.figure is not None
        self.in_cell |= tag == "td"

    def handle_endtag(self, tag: str) -> None:
        if tag == "figure":
            self.figure = None
        self.in_text &= tag != "text"
        self.in_cell &= tag != "td"

    def handle_data(self, data: str) -> None:
        if self.in_text and self.figure:
            self.chart_text[self.figure].append(data.strip())
        if self.in_cell:
            self.cells.append(data.strip())


def test_chromium_shows_every_model_in_charts_and_tables(seeded_sqlite: str,
                                                         tmp_path: Path) -> None:
    page = write_report(tmp_path / "out", seeded_sqlite).path
    dom = subprocess.run(
        SCRIPT.chromium_command(tmp_path / "profile-dom", "--dump-dom", page.as_uri()),
        capture_output=True, text=True, timeout=180, check=True).stdout
    assert "<title>routerx report</title>" in dom
    parsed = _Texts()
    parsed.feed(dom)
    charts = parsed.chart_text
    assert len(charts) == 9
    hierarchy = " ".join(charts["chart-hierarchy-code-generation"])
    posterior = " ".join(charts["chart-posterior-code-generation"])
    for model in MODELS:
        assert model in hierarchy, model
        assert model in parsed.cells, model
    assert "openai/gpt-5.2 (4 outcomes)" in posterior

    shot = tmp_path / "page.png"
    SCRIPT.screenshot(page, shot, tmp_path / "profile-shot", width=1200, height=6000)
    from PIL import Image

    with Image.open(shot) as image:
        rgb = image.convert("RGB")
        width, height = rgb.size
        # the page was trimmed to its content, which is long: nine charts and tables
        assert width == 1200 and 2500 < height < 6000
        colours = {c for _, c in rgb.getcolors(maxcolors=1 << 20)}
    # the layer-1 bars of the hierarchy were actually painted
    layer1 = tuple(int(LAYER_COLOURS[0][i:i + 2], 16) for i in (1, 3, 5))
    assert layer1 in colours
