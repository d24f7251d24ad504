"""Browser-test fixtures: a real JupyterLab with studio_ext and its agent, and headless Chromium.

    ui_server    module-scoped StudioServer (tests/e2e/server.py) whose JupyterLab loads the built
                 labextension from this checkout and shows no news toast
    lab_without_studio  (url, token) of a JupyterLab whose studio_ext server extension is OFF
    lab_page     a Playwright page in a fresh headless Chromium profile (Debian's /usr/bin/chromium)
    artifacts    folder for screenshots: $STUDIO_UI_ARTIFACTS or <repo>/tmp/artifacts/ui
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import requests
from e2e.server import (
    REPO,
    free_port,
    jupyter_lab_command,
    kill_studio_processes,
    start_studio_server,
)

CHROMIUM = os.environ.get("STUDIO_CHROMIUM", "/usr/bin/chromium")
# TOOLCHAIN.md: Debian's Chromium, headless, no network side trips, a fresh profile per test.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LABEXTENSION = REPO / "studio_ext" / "labextension"
NO_NEWS = {"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False}}


def lab_environment(base: Path) -> tuple[list[str], dict[str, str]]:
    """JupyterLab arguments and environment that load this checkout's built labextension (first on
    JUPYTER_PATH, whether or not the package is installed) and hide the news toast."""
    if not (LABEXTENSION / "package.json").is_file():
        pytest.fail(f"the JupyterLab extension is not built ({LABEXTENSION} is missing): run "
                    "`cd labextension && jlpm install && jlpm build` (or `make install`)")
    data_dir = base / "jupyter-data"
    (data_dir / "labextensions").mkdir(parents=True)
    (data_dir / "labextensions" / "studio_ext").symlink_to(LABEXTENSION, target_is_directory=True)
    # The "Jupyter news" toast would cover the panels in screenshots (TOOLCHAIN.md).
    app_settings = base / "lab-settings"
    app_settings.mkdir()
    (app_settings / "overrides.json").write_text(json.dumps(NO_NEWS))
    args = [f"--LabApp.app_settings_dir={app_settings}"]
    env = {"JUPYTER_PATH": str(data_dir),
           "JUPYTERLAB_SETTINGS_DIR": str(base / "user-settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(base / "workspaces")}
    return args, env


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory):
    base = tmp_path_factory.mktemp("ui")
    args, env = lab_environment(base)
    server = start_studio_server(base / "root", base / "home", log_dir=base / "logs",
                                 extra_args=[*args, "--StudioApp.agent_warm_pool=1"], extra_env=env)
    yield server
    server.stop()
    kill_studio_processes(server.studio_home)


@pytest.fixture
def lab_without_studio(tmp_path):
    """A JupyterLab with the studio's frontend installed but its server extension disabled."""
    args, env = lab_environment(tmp_path)
    port, token = free_port(), uuid.uuid4().hex
    root = tmp_path / "root"
    root.mkdir()
    cmd = [*jupyter_lab_command(), "--no-browser", "--allow-root", "--ip=127.0.0.1", f"--port={port}",
           "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
           "--ServerApp.jpserver_extensions={'studio_ext': False}", *args]
    log = open(tmp_path / "jupyter.log", "wb")
    proc = subprocess.Popen(cmd, env={**os.environ, **env, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")},
                            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=root)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if requests.get(f"{url}api/status", headers={"Authorization": f"token {token}"},
                                timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"jupyter lab did not start: {(tmp_path / 'jupyter.log').read_text()[-3000:]}")
            time.sleep(0.5)
        yield url, token
    finally:
        proc.terminate()
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(30)
        log.close()


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
