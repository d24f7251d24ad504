"""Benchmark: time until the Experiments panel's runs table shows the first page of a 5,000-run experiment.

    .venv/bin/python bench/ui_runs.py [--runs 5000] [--repeat 5]

Bulk-loads an experiment into a fresh STUDIO_HOME's SQLite store (bench/runs.py's loader), starts a
real `jupyter lab` with this checkout's built labextension (the browser-test fixtures' set-up, no
agent), and in headless Chromium (/usr/bin/chromium) opens the experiment from the Experiments
panel `--repeat` times: each time a fresh view fetches and renders the first page (100 rows), timed
in the page from the click until the rows are in the DOM. Then times "Load 100 more". Target: the
first page in under 1 s. Prints figures only; no asserts.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests"), str(REPO / "bench")]

# Click, then resolve once `count` run rows are in the DOM: milliseconds, measured in the page.
TIME_ROWS_JS = """async ([selector, count]) => {
  const rows = () => document.querySelectorAll('.jp-studio-ExperimentView .jp-studio-run-row').length;
  const start = performance.now();
  document.querySelector(selector).click();
  await new Promise(resolve => {
    const check = () => (rows() >= count ? resolve() : requestAnimationFrame(check));
    check();
  });
  return performance.now() - start;
}"""


def main() -> None:
    from e2e.server import kill_studio_processes, start_studio_server
    from playwright.sync_api import sync_playwright
    from runs import populate
    from ui.conftest import CHROMIUM, CHROMIUM_ARGS, lab_environment

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="studio-ui-bench-") as tmp:
        base = Path(tmp)
        home = base / "home"
        home.mkdir()
        uri = f"sqlite:///{home / 'mlflow.db'}"
        started = time.monotonic()
        exp = populate(uri, home, args.runs)
        print(f"loaded {args.runs} runs into experiment {exp} in {time.monotonic() - started:.1f}s", flush=True)
        lab_args, env = lab_environment(base)
        server = start_studio_server(base / "root", home, log_dir=base / "logs", start_agent=False,
                                     extra_args=lab_args, extra_env=env)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                page.set_default_timeout(120_000)
                page.goto(f"{server.url}lab?reset&token={server.token}")
                page.wait_for_selector('.jp-SideBar [data-id="jp-studio-experiments-panel"]')
                page.click('.jp-SideBar [data-id="jp-studio-experiments-panel"]')
                row = f'.jp-studio-experiment-row[data-experiment-id="{exp}"]'
                page.wait_for_selector(row)
                first: list[float] = []
                for _ in range(args.repeat + 1):  # the first open also warms the server's MLflow client
                    first.append(page.evaluate(TIME_ROWS_JS, [row, 100]))
                    page.click(".jp-studio-ExperimentWidget .lm-TabBar-tabCloseIcon, "
                               ".lm-DockPanel-tabBar .lm-mod-current .lm-TabBar-tabCloseIcon")
                    page.wait_for_selector(".jp-studio-ExperimentView", state="detached")
                page.evaluate(TIME_ROWS_JS, [row, 100])
                more = page.evaluate(TIME_ROWS_JS, ['[data-testid="runs-more"]', 200])
                browser.close()
        finally:
            server.stop()
            kill_studio_processes(home)
    warm = first[1:]
    print(f"first page (100 of {args.runs} runs) in the panel: cold {first[0]:.0f} ms; "
          f"warm median {statistics.median(warm):.0f} ms, max {max(warm):.0f} ms over {len(warm)} opens")
    print(f"'Load 100 more': {more:.0f} ms")


if __name__ == "__main__":
    main()
