"""A notebook job through the REST API of a real JupyterLab, run by the supervised agent."""

from __future__ import annotations

import json

import nbformat
import requests


def write_notebook(path, params: str, cells: list[str]) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    cell = nbformat.v4.new_code_cell(params)
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, *[nbformat.v4.new_code_cell(src) for src in cells]]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


def test_given_a_parameterized_notebook_when_run_through_rest_then_it_completes_with_outputs(studio_server):
    write_notebook(studio_server.root_dir / "e2e" / "square.ipynb", "alpha = 1",
                   ["result = alpha * alpha\nprint(f'result={result}')", "import os\nprint('done')"])

    response = studio_server.api("POST", "jobs", json={"input": "e2e/square.ipynb", "parameters": {"alpha": 7},
                                                        "name": "square-e2e"})
    assert response.status_code == 201, response.text
    job_id = response.json()["job_id"]

    job = studio_server.wait_job(job_id)

    assert job["status"] == "Completed", job
    assert job["parameters"] == {"alpha": 7}
    assert job["mlflow_run_id"]
    assert job["progress"]["cells_total"] >= 2 and job["progress"]["cells_done"] == job["progress"]["cells_total"]
    assert job["started_at"] and job["ended_at"]
    names = {o["name"] for o in job["outputs"]}
    assert any(n.endswith(".ipynb") for n in names) and any(n.endswith(".html") for n in names), names

    executed_name = next(n for n in names if n.endswith(".ipynb"))
    executed = studio_server.api("GET", f"jobs/{job_id}/outputs/{executed_name}")
    assert executed.status_code == 200
    assert executed.headers["Content-Type"] == "application/x-ipynb+json"
    text = json.dumps(json.loads(executed.content))
    assert "result=49" in text  # the injected alpha=7 ran, after the parameters cell

    html_name = next(n for n in names if n.endswith(".html"))
    html = studio_server.api("GET", f"jobs/{job_id}/outputs/{html_name}", params={"download": "1"})
    assert html.status_code == 200 and html.headers["Content-Disposition"].startswith("attachment")

    logs = studio_server.api("GET", f"jobs/{job_id}/logs").json()
    assert logs["complete"] is True and logs["next_offset"] >= len(logs["content"].encode()) > 0

    listing = studio_server.api("GET", "jobs", params={"name": "square-e2e"}).json()
    assert [j["job_id"] for j in listing["items"]] == [job_id]

    config = studio_server.api("GET", "config").json()
    assert config["agent"]["alive"] is True


def test_given_a_failing_notebook_when_run_then_failed_names_the_cell(studio_server):
    write_notebook(studio_server.root_dir / "e2e" / "boom.ipynb", "x = 1",
                   ["y = x + 1", "raise ValueError('boom at cell two')"])

    job_id = studio_server.api("POST", "jobs", json={"input": "e2e/boom.ipynb"}).json()["job_id"]
    job = studio_server.wait_job(job_id)

    assert job["status"] == "Failed"
    assert "boom at cell two" in (job["status_reason"] or "") or "ValueError" in (job["status_reason"] or ""), job


def test_given_the_real_server_when_unauthenticated_then_403(studio_server):
    # A fresh client: studio_server.api's session holds the login cookie Jupyter set for the token.
    response = requests.get(f"{studio_server.url}studio/api/jobs", timeout=30)
    assert response.status_code == 403
    assert response.json()["error_code"] == "AccessDenied"
