"""CLI tests run `studio` against a real `jupyter lab` + agent in another process."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from live_studio import LiveStudio, start_studio, stop_studio  # noqa: E402


@pytest.fixture(scope="session")
def live_studio(tmp_path_factory: pytest.TempPathFactory):
    studio = start_studio(tmp_path_factory.mktemp("cli-studio"))
    yield studio
    stop_studio(studio)


@pytest.fixture
def studio_cli(live_studio: LiveStudio, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """studio_cli("jobs", "list") -> click Result, with STUDIO_URL/STUDIO_TOKEN pointing at the server."""
    from studio_ext.cli import cli

    monkeypatch.delenv("STUDIO_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    runner = CliRunner()

    def run(*args: str, env: dict | None = None):
        return runner.invoke(cli, list(args), env={**live_studio.env, **(env or {})}, catch_exceptions=False)

    return run


@pytest.fixture
def make_notebook(live_studio: LiveStudio):
    def make(rel: str, cells: list[str], params: str | None = None) -> str:
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        if params is not None:
            cell = nbformat.v4.new_code_cell(params)
            cell.metadata["tags"] = ["parameters"]
            nb.cells.append(cell)
        nb.cells += [nbformat.v4.new_code_cell(src) for src in cells]
        path = live_studio.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, path)
        return rel

    return make
