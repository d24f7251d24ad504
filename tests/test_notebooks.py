"""The notebooks in notebooks/ run against a real studio, the way a new user runs them."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import papermill

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def test_getting_started_runs_a_job_through_the_sdk_and_shows_its_result(studio_server, monkeypatch):
    # A copy of notebooks/ under the real server's root: job files and outputs stay out of the repo,
    # and the notebook's relative path "examples/train.ipynb" resolves as it does in the lab.
    root = studio_server.root_dir / "notebooks-copy"
    shutil.copytree(NOTEBOOKS, root, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "*.out.ipynb"))
    # The notebook's kernel inherits these: Studio() finds the server as it would from a shell.
    monkeypatch.setenv("STUDIO_URL", studio_server.url)
    monkeypatch.setenv("STUDIO_TOKEN", studio_server.token)

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


def test_deploy_and_monitor_trains_deploys_rolls_back_charts_and_transforms(studio_server, monkeypatch):
    root = studio_server.root_dir / "notebooks-deploy"
    shutil.copytree(NOTEBOOKS, root, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "*.out.ipynb"))
    monkeypatch.setenv("STUDIO_URL", studio_server.url)
    monkeypatch.setenv("STUDIO_TOKEN", studio_server.token)

    executed = papermill.execute_notebook(
        str(root / "deploy-and-monitor.ipynb"), str(root / "deploy-and-monitor.out.ipynb"),
        parameters={"model_name": "nb-breast-cancer", "endpoint_name": "nb-breast-cancer", "wait_timeout": 600},
        cwd=str(root), kernel_name="python3", progress_bar=False)

    outputs = [output for cell in executed.cells for output in cell.get("outputs", [])]
    text = "\n".join(output.get("text", "") for output in outputs if output.get("output_type") == "stream")
    assert "nb-breast-cancer version 2" in text
    assert "refused: " in text and "mean radius" in text  # the signature check named the column
    assert "Updating" in text and "rollback: True" in text
    assert "accuracy on the file:" in text
    assert any("image/png" in output.get("data", {}) for output in outputs)  # the metrics chart was drawn


def test_example_notebook_and_script_are_valid_and_parameterized():
    train = nbformat.read(NOTEBOOKS / "examples" / "train.ipynb", as_version=4)
    nbformat.validate(train)
    tagged = [c for c in train.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and "dataset" in tagged[0].source
    assert (NOTEBOOKS / "examples" / "train.py").read_text().startswith('"""')


def test_given_the_shipped_notebooks_then_they_are_saved_as_the_lab_saves_them_and_carry_no_outputs():
    # Opening one in the lab must not mark it changed (the kernel fills language_info this way),
    # and the repository holds no executed state.
    import json

    for path in sorted(NOTEBOOKS.rglob("*.ipynb")):
        text = path.read_text()
        nb = json.loads(text)
        assert text == json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n", path
        info = nb["metadata"]["language_info"]
        assert {"codemirror_mode", "file_extension", "mimetype", "nbconvert_exporter", "pygments_lexer"} <= set(info)
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        assert all(c["outputs"] == [] and c["execution_count"] is None for c in code), path
