"""Root fixtures: a real Jupyter server (pytest-jupyter) with studio_ext on a fresh STUDIO_HOME.

Fixtures others use:
    studio_home          a fresh STUDIO_HOME (also exported as $STUDIO_HOME) per test
    studio_start_agent   False by default; override (fixture or parametrize) to start the agent
    jp_server_config     enables studio_ext on that home (pytest-jupyter builds the server)
    studio_app           the StudioApp extension instance of the running test server
    studio_api           `await studio_api("GET", "jobs", params=..., body=...)` -> (status, json)
    write_notebook       write a notebook (optionally with a `parameters` cell) under the root
    studio_server, studio_server_factory   a real `jupyter lab` subprocess (see tests/e2e/server.py)
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from traitlets.config import Config

# e2e.server: the real `jupyter lab` fixtures (studio_server, studio_server_factory), importable
# because pytest puts tests/ on sys.path for this conftest; registered here so every folder sees them.
pytest_plugins = ("pytest_jupyter.jupyter_server", "e2e.server", "mlflow_stores", "live_clients")

_STUDIO_ENV = ("STUDIO_DB_URL", "STUDIO_MLFLOW_TRACKING_URI", "STUDIO_MLFLOW_REGISTRY_URI", "STUDIO_SERVER_ROOT",
               "STUDIO_INSTANCE_TYPES", "STUDIO_URL", "STUDIO_TOKEN", "MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")


@pytest.fixture
def studio_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh STUDIO_HOME for this test; studio variables from the outer shell are cleared."""
    home = tmp_path / "studio_home"
    home.mkdir()
    monkeypatch.setenv("STUDIO_HOME", str(home))
    for name in _STUDIO_ENV:
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture
def studio_start_agent() -> bool:
    """Handler tests run without an agent (jobs stay Queued); tests that need one override this."""
    return False


@pytest.fixture
def jp_server_config(studio_home: Path, studio_start_agent: bool) -> Config:
    return Config({
        "ServerApp": {
            "jpserver_extensions": {"studio_ext": True},
            # A broken extension must fail the test, not leave a server without our routes.
            "reraise_server_extension_failures": True,
        },
        "StudioApp": {
            "studio_home": str(studio_home),
            "start_agent": studio_start_agent,
            "agent_check_interval": 1.0,
            "agent_warm_pool": 1,
        },
    })


@pytest.fixture
def studio_app(jp_serverapp):
    """The StudioApp instance the test server loaded."""
    for name, app in jp_serverapp.extension_manager.extension_apps.items():
        if name == "studio_ext":
            return next(iter(app))
    raise AssertionError("studio_ext did not load")


@pytest.fixture
def studio_api(jp_fetch):
    """Call /studio/api/<parts> and return (status, parsed JSON or None); never raises on 4xx/5xx."""

    async def call(method: str, *parts: str, body=None, params=None, raw_body: str | bytes | None = None,
                   headers: dict | None = None):
        kwargs = {"method": method, "raise_error": False, "params": params, "headers": headers}
        if raw_body is not None:
            kwargs["body"] = raw_body
        elif body is not None:
            kwargs["body"] = json.dumps(body)
        elif method in ("POST", "PATCH", "PUT"):
            kwargs["body"] = b""
        response = await jp_fetch("studio", "api", *parts, **kwargs)
        text = response.body.decode() if response.body else ""
        try:
            data = json.loads(text) if text else None
        except json.JSONDecodeError:
            data = text
        return response.code, data

    return call


@pytest.fixture
def write_notebook(jp_root_dir: Path):
    """write_notebook("a/nb.ipynb", params="alpha = 0.1", cells=["print(alpha)"]) -> Path.

    `params` becomes a code cell tagged `parameters` (None: no such cell)."""

    def write(rel: str, params: str | None = "alpha = 0.1\nepochs = 2", cells: list[str] | None = None) -> Path:
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        if params is not None:
            cell = nbformat.v4.new_code_cell(params)
            cell.metadata["tags"] = ["parameters"]
            nb.cells.append(cell)
        for source in cells if cells is not None else ["result = alpha * epochs\nprint(result)"]:
            nb.cells.append(nbformat.v4.new_code_cell(source))
        path = jp_root_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, path)
        return path

    return write


# The files that take longest (minutes of real jobs each), run first: `make test` hands whole files
# to its two workers in collection order, and a long file dealt last leaves one worker idle while
# the other finishes it.
LONGEST_FILES = ("tests/test_docs.py", "tests/test_use_case_notebooks.py", "tests/test_notebooks.py",
                 "tests/runner/test_tuning_jobs.py", "tests/runner/test_two_agents.py",
                 "tests/runner/test_tuning_faults.py")


def pytest_collection_modifyitems(config, items):
    """The longest files first (stable: each file's own order is kept); `gpu` tests run where torch
    sees a CUDA device, elsewhere they are skipped with the reason."""
    rank = {name: i for i, name in enumerate(LONGEST_FILES)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank)))
    gpu_tests = [item for item in items if item.get_closest_marker("gpu")]
    if not gpu_tests:
        return
    import torch

    if not torch.cuda.is_available():
        skip = pytest.mark.skip(reason="no CUDA device on this machine (torch.cuda.is_available() is False)")
        for item in gpu_tests:
            item.add_marker(skip)
