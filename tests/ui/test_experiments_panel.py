"""Browser tests: the Experiments panel (runs table, compare charts) and the Models panel (aliases)."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.ui

# Pixels of a canvas that are not transparent: a drawn chart has thousands, an empty canvas none.
DRAWN_PIXELS_JS = """canvas => {
  const ctx = canvas.getContext('2d');
  const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  let drawn = 0;
  for (let i = 3; i < data.length; i += 4) { if (data[i] > 0) drawn++; }
  return drawn;
}"""


# ----------------------------------------------------------------------------- seeding


def save_pyfunc_model(base: Path) -> Path:
    """A real pyfunc model folder (MLmodel, signature, input example)."""
    import mlflow.pyfunc
    import pandas as pd

    class Double(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input):
            return model_input * 2

    path = base / "model"
    mlflow.pyfunc.save_model(str(path), python_model=Double(), input_example=pd.DataFrame({"x": [1.0, 2.0]}),
                             pip_requirements=[])
    return path


def seed_experiment(server, tmp_path: Path) -> dict:
    """An experiment with two finished runs (params, 5-step metric histories, a model artifact) in the
    studio's own store, and a registered model whose two versions come from those runs."""
    from mlflow.entities import Metric, Param

    from studio_ext import tracking

    uri = server.api("GET", "config").json()["mlflow_tracking_uri"]
    # The studio's client: it serialises the store's first schema migration with the server's.
    client = tracking.client(uri, server.studio_home)
    suffix = uuid.uuid4().hex[:6]
    name = f"ui-exp-{suffix}"
    # Artifacts under STUDIO_HOME (the default root of a bare sqlite store would be ./mlruns).
    exp_id = client.create_experiment(name, artifact_location=(server.studio_home / "mlartifacts" / name).as_uri())
    model_dir = save_pyfunc_model(tmp_path)
    runs = {}
    for run_name, lr, slope in (("run-fast", "0.1", 0.15), ("run-slow", "0.01", 0.05)):
        run_id = client.create_run(exp_id, run_name=run_name).info.run_id
        metrics = []
        for step in range(5):
            metrics.append(Metric("loss", 1.0 - slope * step, 1_700_000_000_000 + step, step))
            metrics.append(Metric("acc", 0.5 + slope * step, 1_700_000_000_000 + step, step))
        metrics.append(Metric("f1", 0.6 + slope, 1_700_000_000_000, 0))  # a final score: one step
        client.log_batch(run_id, metrics=metrics, params=[Param("lr", lr), Param("batch", "32")])
        client.log_artifacts(run_id, str(model_dir), "model")
        client.set_terminated(run_id)
        runs[run_name] = run_id
    model = f"ui-model-{suffix}"
    for run_name in ("run-fast", "run-slow"):
        answer = server.api("POST", "models", json={"name": model, "run_id": runs[run_name],
                                                    "artifact_path": "model"})
        assert answer.status_code == 201, answer.text
    assert server.api("PUT", f"models/{model}/aliases/champion", json={"version": "1"}).status_code == 204
    return {"experiment_id": exp_id, "experiment": name, "runs": runs, "model": model}


def wait_workspace_has(server, text: str, timeout: float = 60) -> None:
    """Wait until JupyterLab saved its workspace with `text` in it (it saves after layout changes)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = server.session.get(f"{server.url}lab/api/workspaces/default", headers=server.headers, timeout=30)
        if answer.status_code == 200 and text in answer.text:
            return
        time.sleep(0.5)
    raise AssertionError(f"the workspace never saved {text!r}")


def open_lab(page, server) -> None:
    page.goto(f"{server.url}lab?reset&token={server.token}")
    page.wait_for_selector('.jp-SideBar [data-id="jp-studio-experiments-panel"]', timeout=120_000)


def show_sidebar(page, widget_id: str) -> None:
    if not page.locator(f"#{widget_id}").is_visible():
        page.click(f'.jp-SideBar [data-id="{widget_id}"]')
    page.wait_for_selector(f"#{widget_id}", state="visible")


# ----------------------------------------------------------------------------- tests


@pytest.mark.timeout(600)
def test_given_two_runs_and_a_model_when_compared_and_alias_moved_in_the_panels_then_charts_draw_and_the_alias_moves(
        ui_server, lab_page, artifacts, tmp_path):
    page = lab_page
    seed = seed_experiment(ui_server, tmp_path)

    # Given JupyterLab with the studio: the Experiments panel lists the seeded experiment.
    open_lab(page, ui_server)
    show_sidebar(page, "jp-studio-experiments-panel")
    row = page.locator(f'.jp-studio-ExperimentsPanel .jp-studio-experiment-row[data-name="{seed["experiment"]}"]')
    row.click()

    # Its runs table shows both runs with their params and latest metrics as columns.
    view = page.locator(f'.jp-studio-ExperimentView[data-experiment-id="{seed["experiment_id"]}"]')
    view.wait_for()
    run_rows = view.locator(".jp-studio-run-row")
    page.wait_for_function("n => document.querySelectorAll('.jp-studio-ExperimentView .jp-studio-run-row').length === n",
                           arg=2)
    fast = view.locator(f'.jp-studio-run-row[data-run-id="{seed["runs"]["run-fast"]}"]')
    assert fast.locator('[data-param="lr"]').inner_text() == "0.1"
    assert fast.locator('[data-metric="acc"]').inner_text() == "1.1"
    assert fast.get_attribute("data-status") == "FINISHED"

    # A bad MLflow filter shows the server's 400 message; a good one narrows the table.
    page.fill('[data-testid="runs-filter"]', "metrics.acc >>> 1")
    page.press('[data-testid="runs-filter"]', "Enter")
    error = view.locator('[data-testid="studio-error"]')
    error.wait_for()
    assert error.inner_text().startswith("filter"), error.inner_text()
    page.fill('[data-testid="runs-filter"]', "params.lr = '0.01'")
    page.press('[data-testid="runs-filter"]', "Enter")
    page.wait_for_function("() => document.querySelectorAll('.jp-studio-ExperimentView .jp-studio-run-row').length === 1")
    assert run_rows.first.get_attribute("data-run-id") == seed["runs"]["run-slow"]
    page.fill('[data-testid="runs-filter"]', "")
    page.press('[data-testid="runs-filter"]', "Enter")
    page.wait_for_function("() => document.querySelectorAll('.jp-studio-ExperimentView .jp-studio-run-row').length === 2")
    # Sorting by a metric column asks the server for that order.
    page.click('[data-testid="runs-sort-metric-acc"]')
    page.wait_for_selector('[data-testid="runs-sort-metric-acc"][data-sort="desc"]')
    page.wait_for_function("id => document.querySelector('.jp-studio-ExperimentView .jp-studio-run-row')"
                           "?.dataset.runId === id", arg=seed["runs"]["run-fast"])
    page.click('[data-testid="runs-sort-metric-acc"]')
    page.wait_for_function("id => document.querySelector('.jp-studio-ExperimentView .jp-studio-run-row')"
                           "?.dataset.runId === id", arg=seed["runs"]["run-slow"])
    page.screenshot(path=str(artifacts / "exp-01-runs-table.png"))

    # When both runs are selected and compared...
    for i in range(2):
        run_rows.nth(i).locator('[data-testid="run-select"]').check()
    page.click('[data-testid="runs-compare"]')

    # ...then a metric-history line chart per metric is drawn, one line per run, with a legend;
    # a metric logged once per run (f1) is one bar per run, not a line over a single step.
    compare = page.locator('[data-testid="compare-view"]')
    charts = compare.locator('[data-testid="metric-history-chart"]')
    charts.first.wait_for()
    assert sorted(charts.nth(i).get_attribute("data-label") for i in range(charts.count())) == ["acc", "f1", "loss"]
    for i in range(charts.count()):
        bar = charts.nth(i).get_attribute("data-label") == "f1"
        assert charts.nth(i).get_attribute("data-type") == ("bar" if bar else "line")
        assert charts.nth(i).get_attribute("data-series") == ("1" if bar else "2")
        canvas = charts.nth(i).locator("canvas")
        assert canvas.evaluate(DRAWN_PIXELS_JS) > 1000
    legend = compare.locator('[data-testid="compare-legend"]').inner_text()
    assert "run-fast" in legend and "run-slow" in legend
    # The parameter-vs-metric scatter defaults to the parameter that differs.
    scatter = compare.locator('[data-testid="param-scatter-chart"]')
    assert compare.locator('[data-testid="scatter-param"]').input_value() == "lr"
    assert scatter.locator("canvas").evaluate(DRAWN_PIXELS_JS) > 1000
    # The side-by-side table marks lr as differing and batch as equal.
    table = compare.locator('[data-testid="compare-table"]')
    assert table.locator('tr[data-kind="param"][data-key="lr"]').get_attribute("data-differs") == "true"
    assert table.locator('tr[data-kind="param"][data-key="batch"]').get_attribute("data-differs") == "false"
    page.screenshot(path=str(artifacts / "exp-02-compare-runs.png"))

    # Given the Models panel, the model's champion alias points at version 1.
    show_sidebar(page, "jp-studio-models-panel")
    page.locator(f'.jp-studio-ModelsPanel .jp-studio-model-row[data-model-name="{seed["model"]}"]').click()
    detail = page.locator(f'.jp-studio-ModelDetail[data-model-name="{seed["model"]}"]')
    champion = detail.locator('[data-testid="alias-row"][data-alias="champion"]')
    champion.wait_for()
    assert champion.get_attribute("data-version") == "1"
    # The newest version's detail shows its source run, signature and input example.
    version = detail.locator('[data-testid="version-detail"][data-version="2"]')
    version.locator('[data-testid="version-run-link"]').wait_for()
    assert version.locator('[data-testid="version-run-link"]').inner_text() == seed["runs"]["run-slow"]
    assert "x" in version.locator('[data-testid="signature-inputs"]').inner_text()
    # Its run was not made by a studio job: nothing to reproduce.
    assert version.locator('[data-testid="version-reproduce"]').is_disabled()

    # When champion is moved to version 2 in the UI...
    champion.locator('[data-testid="alias-version"]').select_option("2")
    champion.locator('[data-testid="alias-move"]').click()
    page.wait_for_selector(f'.jp-studio-ModelDetail[data-model-name="{seed["model"]}"] '
                           '[data-testid="alias-row"][data-alias="champion"][data-version="2"]')
    page.screenshot(path=str(artifacts / "exp-03-model-alias-moved.png"))

    # Then the server says champion is version 2 now.
    model = ui_server.api("GET", f"models/{seed['model']}").json()
    assert model["aliases"] == {"champion": "2"}

    # The launcher's "MLflow UI" item opens the proxied MLflow UI in a new browser tab.
    mlflow_ui = ui_server.api("GET", "config").json()["mlflow_ui_url"]
    page.click(".lm-DockPanel-tabBar .lm-TabBar-addButton")
    card = page.locator(".jp-LauncherCard:visible", has_text="MLflow UI")
    with page.context.expect_page() as popup_info:
        card.click()
    popup = popup_info.value
    assert popup.url.startswith(f"http://127.0.0.1:{ui_server.port}{mlflow_ui}"), (popup.url, mlflow_ui)
    popup.close()

    # After a page reload JupyterLab restores the open views (the layout restorer knows their keys).
    wait_workspace_has(ui_server, f"studio-mlflow:model:{seed['model']}")
    page.goto(f"{ui_server.url}lab?token={ui_server.token}")
    page.wait_for_selector(f'.jp-studio-ModelDetail[data-model-name="{seed["model"]}"]', state="attached")
    assert page.locator('.lm-DockPanel-tabBar .lm-TabBar-tab', has_text="Compare 2 runs").count() == 1


def write_logging_notebook(path: Path) -> None:
    """A notebook job that logs a metric and a model folder into the job's MLflow run."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    params = nbformat.v4.new_code_cell("model_dir = ''\nalpha = 0.5")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(
        "import mlflow\nmlflow.log_metric('score', alpha * 2)\nmlflow.log_artifacts(model_dir, 'model')\n"
        "print('logged')")]
    nbformat.write(nb, path)


@pytest.mark.timeout(900)
def test_given_a_model_from_a_job_when_navigated_and_reproduced_then_run_job_and_new_job_are_reachable(
        ui_server, lab_page, artifacts, tmp_path):
    page = lab_page
    suffix = uuid.uuid4().hex[:6]
    model_dir = save_pyfunc_model(tmp_path)
    write_logging_notebook(ui_server.root_dir / f"ui_logmodel_{suffix}.ipynb")
    experiment = f"ui-jobs-{suffix}"
    answer = ui_server.api("POST", "jobs", json={"input": f"ui_logmodel_{suffix}.ipynb", "experiment_name": experiment,
                                                 "parameters": {"model_dir": str(model_dir), "alpha": 0.25}})
    assert answer.status_code == 201, answer.text
    job_id = answer.json()["job_id"]
    job = ui_server.wait_job(job_id)
    assert job["status"] == "Completed", job
    run_id = job["mlflow_run_id"]

    # Given the job's experiment in the panel: its run row links to the job that produced it.
    open_lab(page, ui_server)
    show_sidebar(page, "jp-studio-experiments-panel")
    page.locator(f'.jp-studio-experiment-row[data-name="{experiment}"]').click()
    row = page.locator(f'.jp-studio-run-row[data-run-id="{run_id}"]')
    row.locator('[data-testid="run-job"]').click()
    page.wait_for_selector(f'.jp-studio-JobDetail[data-job-id="{job_id}"]')

    # The run view shows params, metrics, its job and executed notebook, and browses artifacts.
    page.locator(f'.jp-studio-experiment-row[data-name="{experiment}"]').click()  # back to the table
    page.locator(f'.jp-studio-ExperimentView .jp-studio-run-row[data-run-id="{run_id}"] [data-testid="run-open"]').click()
    run = page.locator(f'.jp-studio-RunDetail[data-run-id="{run_id}"]')
    run.locator('[data-testid="run-metrics"]').wait_for()
    assert "0.5" in run.locator('[data-testid="run-metrics"] tr[data-key="score"]').inner_text()
    assert job["name"] in run.locator('[data-testid="run-detail-job"]').inner_text()
    run.locator('[data-testid="run-detail-notebook"]').wait_for()
    run.locator('[data-testid="artifact-folder"]', has_text="model").click()
    mlmodel = run.locator('.jp-studio-artifact[data-path="model/MLmodel"] [data-testid="artifact-download"]')
    mlmodel.wait_for()
    with page.expect_download() as download_info:
        mlmodel.click()
    assert "python_function" in Path(download_info.value.path()).read_text()

    # "Register model" from the run: artifact path + name -> a new version.
    model = f"ui-jobmodel-{suffix}"
    run.locator('[data-testid="run-register-model"]').click()
    page.fill('[data-testid="register-artifact-path"]', "model")
    page.fill('[data-testid="register-model-name"]', model)
    page.click('[data-testid="register-submit"]')
    run.locator('[data-testid="register-done"]').wait_for()
    page.screenshot(path=str(artifacts / "exp-04-run-detail-registered.png"))

    # The Models panel lists it; its version reaches the run, the job, its input and parameters.
    show_sidebar(page, "jp-studio-models-panel")
    page.locator(f'.jp-studio-model-row[data-model-name="{model}"]').click()
    version = page.locator(f'.jp-studio-ModelDetail[data-model-name="{model}"] [data-testid="version-detail"][data-version="1"]')
    version.locator('[data-testid="version-job-link"]').wait_for()
    assert version.locator('[data-testid="version-run-link"]').inner_text() == run_id
    assert f"ui_logmodel_{suffix}.ipynb" in version.locator('[data-testid="version-job-input"]').inner_text()
    assert "0.25" in version.locator('[data-testid="version-parameters"]').inner_text()
    page.screenshot(path=str(artifacts / "exp-05-model-version-lineage.png"))

    # Reproduce: a new job on the same snapshot and parameters, revealed in the Jobs panel.
    version.locator('[data-testid="version-reproduce"]').click()
    version.locator('[data-testid="version-reproduced"]').wait_for()
    page.wait_for_selector("#jp-studio-jobs-panel", state="visible")
    selected = page.locator(".jp-studio-job-row.jp-mod-selected")
    selected.wait_for()
    new_id = selected.get_attribute("data-job-id")
    assert new_id != job_id
    new_job = ui_server.api("GET", f"jobs/{new_id}").json()
    assert new_job["parameters"] == job["parameters"]
    assert new_job["tags"].get("studio.reproduces_job_id") == job_id
    page.screenshot(path=str(artifacts / "exp-06-reproduced-job.png"))
