"""SDK tests run against a real `jupyter lab` + agent in another process (see tests/live_studio.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from live_studio import LiveStudio, start_studio, stop_studio  # noqa: E402


@pytest.fixture(scope="session")
def live_studio(tmp_path_factory: pytest.TempPathFactory):
    studio = start_studio(tmp_path_factory.mktemp("sdk-studio"))
    yield studio
    stop_studio(studio)


@pytest.fixture
def studio(live_studio: LiveStudio):
    from studio_ext.sdk import Studio

    return Studio(url=live_studio.url, token=live_studio.token)


@pytest.fixture
def make_notebook(live_studio: LiveStudio):
    """make_notebook("dir/nb.ipynb", ["print(1)"], params="alpha = 1") -> path relative to the root."""

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


@pytest.fixture
def make_file(live_studio: LiveStudio):
    def make(rel: str, text: str) -> str:
        path = live_studio.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return rel

    return make
