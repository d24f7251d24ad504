"""The notebooks in notebooks/ run against a real studio, the way a new user runs them."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import nbformat
import papermill
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from live_studio import start_studio, stop_studio  # noqa: E402

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


@pytest.fixture(scope="module")
def notebooks_studio(tmp_path_factory):
    """A studio serving a copy of notebooks/ (job files and outputs stay out of the repository)."""
    base = tmp_path_factory.mktemp("notebooks-studio")
    shutil.copytree(NOTEBOOKS, base / "root", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    studio = start_studio(base)
    yield studio
    stop_studio(studio)


def test_getting_started_runs_a_job_through_the_sdk_and_shows_its_result(notebooks_studio, monkeypatch):
    root = notebooks_studio.root
    for key, value in notebooks_studio.env.items():
        monkeypatch.setenv(key, value)  # the notebook's kernel inherits them: Studio() finds the server

    executed = papermill.execute_notebook(
        str(root / "getting-started.ipynb"), str(root / "getting-started.out.ipynb"),
        parameters={"dataset": "breast_cancer", "wait_timeout": 600}, cwd=str(root),
        kernel_name="python3", progress_bar=False)

    # The notebook asserts the jobs completed and the metrics reached MLflow; check what it showed.
    text = "\n".join(
        output.get("text", "") for cell in executed.cells for output in cell.get("outputs", [])
        if output.get("output_type") == "stream")
    assert "Completed" in text
    assert "output.ipynb" in text and "output.html" in text
    assert "accuracy" in text


def test_example_notebook_and_script_are_valid_and_parameterized():
    train = nbformat.read(NOTEBOOKS / "examples" / "train.ipynb", as_version=4)
    nbformat.validate(train)
    tagged = [c for c in train.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and "dataset" in tagged[0].source
    assert (NOTEBOOKS / "examples" / "train.py").read_text().startswith('"""')
