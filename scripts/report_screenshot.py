"""Make docs/report.png: a screenshot of `routerx report` over a store filled for real.

The store comes from `routerx demo` (discovery, assessment in the sandbox, scoring and
placement against the built-in SIMULATED provider; nothing is typed in by hand), then
live outcomes are routed by the real `Router` with exploration on, each succeeding with
the simulated model's known skill. The page is rendered and photographed by headless
Chromium (Debian package `chromium`).

    python scripts/report_screenshot.py [--limit 20] [--outcomes 400] [--out docs/report.png]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--hide-scrollbars")


def chromium_command(profile: Path, *args: str) -> list[str]:
    """Chromium with the flags this machine needs and a fresh profile directory."""
    return [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args]


def screenshot(page: Path, out: Path, profile: Path, width: int = 1200,
               height: int = 12000) -> None:
    """Photograph `page` in a tall window, then cut the empty bottom off."""
    from PIL import Image

    raw = out.with_suffix(".raw.png")
    subprocess.run(chromium_command(profile, f"--window-size={width},{height}",
                                    f"--screenshot={raw}", page.resolve().as_uri()),
                   check=True, capture_output=True, timeout=180)
    with Image.open(raw) as image:
        rgb = image.convert("RGB")
        background = rgb.getpixel((width - 1, height - 1))
        bottom = height
        pixels = rgb.load()
        while bottom > 1 and all(pixels[x, bottom - 1] == background
                                 for x in range(0, width, 4)):
            bottom -= 1
        rgb.crop((0, 0, width, min(height, bottom + 24))).save(out, optimize=True)
    raw.unlink()


def fill_store(home: Path, limit: int, outcomes: int) -> str:
    """Run `routerx demo`, then route and record `outcomes` live outcomes; return the URL."""
    env = dict(os.environ, XDG_DATA_HOME=str(home), ROUTERX_MODELS_DEV_URL="")
    subprocess.run([sys.executable, "-m", "router", "demo", "--limit", str(limit), "--json"],
                   check=True, env=env, stdout=subprocess.DEVNULL, timeout=1800)
    url = f"sqlite:///{home / 'routerx' / 'demo' / 'demo.db'}"

    import numpy as np

    from benchmarks.simulated import DEMO_MODELS
    from router import Router

    skill = {f"simulated/{m.name}": m for m in DEMO_MODELS}
    rng = np.random.default_rng(7)
    router = Router(url, seed=7)
    # An operator who wants to learn fast: many Thompson rounds, benchmarks worth little.
    router.activate("aggressive", budget=60, prior_strength=2)
    for _ in range(outcomes):
        choice = router.route("code-generation")
        # The agent works down the chain until a model succeeds, reporting every try.
        for name in (choice.model, *choice.fallbacks):
            model = skill[name]
            ok = bool(rng.random() < model.skill)
            router.record(name, category=choice.category, success=ok,
                          latency_ms=float(rng.gamma(4.0, model.latency_s * 250.0)),
                          is_exploration=choice.is_exploration and name == choice.model)
            if ok:
                break
        time.sleep(0.01)  # spread the outcomes over a few seconds of real time
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=20, help="HumanEval tasks per model")
    parser.add_argument("--outcomes", type=int, default=400, help="live outcomes to route")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "report.png")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} not found: apt-get install -y chromium")
    work = Path(tempfile.mkdtemp(prefix="routerx-report-"))
    try:
        url = fill_store(work / "data", args.limit, args.outcomes)
        from router.report.write import write_report

        written = write_report(work / "report", url)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        screenshot(written.path, args.out, work / "profile")
        print(f"{args.out}: {args.out.stat().st_size // 1024} KiB from {written.path.name} "
              f"({written.size_bytes // 1024} KiB, {len(written.data.models)} models, "
              f"{written.data.outcome_count} outcomes)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
