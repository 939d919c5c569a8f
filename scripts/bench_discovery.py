"""Discovery speed: eight providers answering after 500 ms, and CLI start-up time.

Prints, measured side by side in one run:
- the wall time of one concurrent poll of eight providers vs the 4 s a sequential poll
  would need (target: under 1 s);
- `routerx --help` start-up (target: under 300 ms) next to `python -c pass` and
  `python -c "import prefect"`, so the share that is Python itself is visible.

Run: python scripts/bench_discovery.py
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from router.discovery import poll_providers  # noqa: E402
from router.providers.catalog import BUILTIN, load_providers  # noqa: E402
from router.settings import load_settings  # noqa: E402
from tests.fakes.http_server import FakeHTTPServer, Reply  # noqa: E402
from tests.fakes.providers import (  # noqa: E402
    anthropic_paged,
    gemini_model,
    gemini_paged,
    ollama_tags,
    openai_list,
)

DELAY = 0.5


def _delayed(handler):  # noqa: ANN001, ANN202
    def slow(rec):  # noqa: ANN001, ANN202
        time.sleep(DELAY)
        return handler(rec)

    return slow


def bench_poll() -> float:
    with FakeHTTPServer() as srv:
        for name in BUILTIN:
            if name == "ollama":
                os.environ["OLLAMA_HOST"] = f"{srv.url}/ollama"
                srv.route("GET", "/ollama/api/tags", Reply(200, ollama_tags(["q:7b"]), delay=DELAY))
                continue
            os.environ[BUILTIN[name].key_env] = f"bench-{name}"
            if name == "anthropic":
                os.environ["ANTHROPIC_BASE_URL"] = f"{srv.url}/anthropic"
                srv.route("GET", "/anthropic/v1/models", _delayed(anthropic_paged(["c"], 5)))
            elif name == "gemini":
                os.environ["GEMINI_BASE_URL"] = f"{srv.url}/gemini"
                srv.route("GET", "/gemini/v1beta/models",
                          _delayed(gemini_paged([gemini_model("g", ["generateContent"])], 5)))
            else:
                os.environ[BUILTIN[name].base_env] = f"{srv.url}/{name}/v1"
                srv.route("GET", f"/{name}/v1/models", Reply(200, openai_list(["m"]), delay=DELAY))
        settings = load_settings()
        configs = list(load_providers(settings).values())
        assert len(configs) == 8 and all(c.configured for c in configs)
        runs = []
        for _ in range(5):
            started = time.perf_counter()
            polls = asyncio.run(poll_providers(configs, settings))
            runs.append(time.perf_counter() - started)
            assert all(p.status == "ok" for p in polls), [p.error for p in polls]
    return statistics.median(runs)


def bench_command(argv: list[str], repeat: int = 7) -> float:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True, env=env)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as home:
        os.environ["XDG_DATA_HOME"] = home
        poll_s = bench_poll()
    print(f"eight providers x {DELAY * 1000:.0f} ms: one poll took {poll_s * 1000:.0f} ms "
          f"(sequential would be {8 * DELAY * 1000:.0f} ms; ratio {poll_s / (8 * DELAY):.2f})")
    routerx = shutil.which("routerx") or str(Path(sys.executable).with_name("routerx"))
    bare = bench_command([sys.executable, "-c", "pass"])
    prefect = bench_command([sys.executable, "-c", "import prefect"], repeat=3)
    helps = bench_command([routerx, "--help"])
    print(f"python -c pass: {bare * 1000:.0f} ms; import prefect: {prefect * 1000:.0f} ms; "
          f"routerx --help: {helps * 1000:.0f} ms (target < 300 ms)")


if __name__ == "__main__":
    main()
