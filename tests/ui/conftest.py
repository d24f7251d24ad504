"""Browser-test fixtures: a real JupyterLab with studio_ext and its agent, and headless Chromium.

    ui_server    module-scoped StudioServer (tests/e2e/server.py) whose JupyterLab loads the built
                 labextension from this checkout and shows no news toast
    lab_page     a Playwright page in a fresh headless Chromium profile (Debian's /usr/bin/chromium)
    artifacts    folder for screenshots: $STUDIO_UI_ARTIFACTS or <repo>/tmp/artifacts/ui
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from e2e.server import REPO, kill_studio_processes, start_studio_server

CHROMIUM = os.environ.get("STUDIO_CHROMIUM", "/usr/bin/chromium")
# TOOLCHAIN.md: Debian's Chromium, headless, no network side trips, a fresh profile per test.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LABEXTENSION = REPO / "studio_ext" / "labextension"
NO_NEWS = {"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False}}


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory):
    if not (LABEXTENSION / "package.json").is_file():
        pytest.fail(f"the JupyterLab extension is not built ({LABEXTENSION} is missing): run "
                    "`cd labextension && jlpm install && jlpm build` (or `make install`)")
    base = tmp_path_factory.mktemp("ui")
    # The checkout's bundle, found first on JUPYTER_PATH, whether or not the package is installed.
    data_dir = base / "jupyter-data"
    (data_dir / "labextensions").mkdir(parents=True)
    (data_dir / "labextensions" / "studio_ext").symlink_to(LABEXTENSION, target_is_directory=True)
    # The "Jupyter news" toast would cover the panels in screenshots (TOOLCHAIN.md).
    app_settings = base / "lab-settings"
    app_settings.mkdir()
    (app_settings / "overrides.json").write_text(json.dumps(NO_NEWS))
    server = start_studio_server(
        base / "root", base / "home", log_dir=base / "logs",
        extra_args=[f"--LabApp.app_settings_dir={app_settings}", "--StudioApp.agent_warm_pool=1"],
        extra_env={"JUPYTER_PATH": str(data_dir),
                   "JUPYTERLAB_SETTINGS_DIR": str(base / "user-settings"),
                   "JUPYTERLAB_WORKSPACES_DIR": str(base / "workspaces")},
    )
    yield server
    server.stop()
    kill_studio_processes(server.studio_home)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    path = Path(os.environ.get("STUDIO_UI_ARTIFACTS") or REPO / "tmp" / "artifacts" / "ui")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def lab_page(tmp_path, artifacts, request):
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install -y chromium fonts-dejavu-core` (make chromium)")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=CHROMIUM, args=CHROMIUM_ARGS,
            headless=True, viewport={"width": 1400, "height": 900}, accept_downloads=True)
        context.set_default_timeout(60_000)  # a busy 2-core machine: generous, never asserted on
        page = context.pages[0] if context.pages else context.new_page()
        page.console_messages = []
        page.on("console", lambda msg: page.console_messages.append(f"{msg.type}: {msg.text}"))
        yield page
        # The last screen of every test, passed or failed, for a person to look at.
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)[:120]
        try:
            page.screenshot(path=str(artifacts / f"{name}-final.png"))
        except Exception:  # the page may already be gone after a crash; the test reports that
            pass
        context.close()
