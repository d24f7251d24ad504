"""Fixtures shared by the SDK and CLI tests: both talk to the session's real `jupyter lab` + agent."""

from __future__ import annotations

import nbformat
import pytest


@pytest.fixture
def live_studio(studio_server):
    """The session's real `jupyter lab` + agent (tests/e2e/server.py), shared with e2e and UI tests."""
    return studio_server


@pytest.fixture
def client_env(studio_server) -> dict[str, str]:
    """What a client needs to find the server."""
    return {"STUDIO_URL": studio_server.url, "STUDIO_TOKEN": studio_server.token}


@pytest.fixture
def make_notebook(live_studio):
    """make_notebook("dir/nb.ipynb", ["print(1)"], params="alpha = 1") -> path relative to the root."""

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


@pytest.fixture
def make_file(live_studio):
    """make_file("dir/train.py", "print(1)") -> path relative to the root."""

    def make(rel: str, text: str) -> str:
        path = live_studio.root_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return rel

    return make


@pytest.fixture
def tuning_objective(make_file):
    """The tiny objective of tests/runner/tuning_support.py as a script under the root: its MLflow
    metric `score` is 1 - (x - 0.3)² (+ 0.1 when c is "b"), logged over --steps steps --sleep s apart."""
    from runner.tuning_support import OBJECTIVE

    return make_file("tuning/objective.py", OBJECTIVE)
