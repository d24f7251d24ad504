"""CLI tests run `studio` against a real `jupyter lab` + agent in another process."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner


@pytest.fixture
def live_studio(studio_server):
    """The session's real `jupyter lab` + agent (tests/e2e/server.py), shared with e2e and UI tests."""
    return studio_server


@pytest.fixture
def client_env(studio_server) -> dict[str, str]:
    """What a client needs to find the server."""
    return {"STUDIO_URL": studio_server.url, "STUDIO_TOKEN": studio_server.token}


@pytest.fixture
def studio_cli(client_env: dict, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """studio_cli("jobs", "list") -> click Result, with STUDIO_URL/STUDIO_TOKEN pointing at the server."""
    from studio_ext.cli import cli

    monkeypatch.delenv("STUDIO_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    runner = CliRunner()

    def run(*args: str, env: dict | None = None):
        return runner.invoke(cli, list(args), env={**client_env, **(env or {})}, catch_exceptions=False)

    return run


@pytest.fixture
def make_notebook(live_studio):
    def make(rel: str, cells: list[str], params: str | None = None) -> str:
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        if params is not None:
            cell = nbformat.v4.new_code_cell(params)
            cell.metadata["tags"] = ["parameters"]
            nb.cells.append(cell)
        nb.cells += [nbformat.v4.new_code_cell(src) for src in cells]
        path = live_studio.root_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, path)
        return rel

    return make
