"""Browser tests: the Jobs panel, the Run as job form and the Schedules view in real Chromium."""

from __future__ import annotations

import time
import uuid

import nbformat
import numpy as np
import pytest

pytestmark = pytest.mark.ui

JOB_TIMEOUT_S = 300  # a notebook job on a busy 2-core machine; a bound, never an assertion
TERMINAL = {"Completed", "Failed", "Stopped"}


# ----------------------------------------------------------------------------- helpers


def write_notebook(path, params: str | None = "alpha = 0.5\nepochs = 2\nlabel = 'demo'"):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    if params is not None:
        cell = nbformat.v4.new_code_cell(params)
        cell.metadata["tags"] = ["parameters"]
        nb.cells.append(cell)
    nb.cells.append(nbformat.v4.new_code_cell("result = alpha * epochs\nprint('result', label, result)"
                                              if params else "print('no parameters')"))
    nbformat.write(nb, path)
    return path


def open_lab(page, server, path: str = "") -> None:
    # `reset`: start from an empty workspace, whatever an earlier test left open.
    url = f"{server.url}lab/tree/{path}" if path else f"{server.url}lab"
    page.goto(f"{url}?reset&token={server.token}")
    # The sidebar tab exists once the studio plugin passed its version handshake.
    page.wait_for_selector('.jp-SideBar [data-id="jp-studio-jobs-panel"]', timeout=120_000)


def show_sidebar(page, widget_id: str) -> None:
    """Reveal a left-sidebar panel (clicking the tab of an open panel would close it)."""
    if not page.locator(f"#{widget_id}").is_visible():
        page.click(f'.jp-SideBar [data-id="{widget_id}"]')
    page.wait_for_selector(f"#{widget_id}", state="visible")


def run_as_job_from_file_browser(page, file_name: str) -> None:
    show_sidebar(page, "filebrowser")
    item = page.locator(".jp-DirListing-item", has_text=file_name)
    item.wait_for()
    item.click(button="right")
    page.click('.lm-Menu-item[data-command="studio:run-as-job"]')
    page.wait_for_selector('[data-testid="run-job-form"]')


def form_parameters(page) -> dict[str, str]:
    keys = page.locator('[data-testid="run-job-param-key"]')
    values = page.locator('[data-testid="run-job-param-value"]')
    return {keys.nth(i).input_value(): values.nth(i).input_value() for i in range(keys.count())}


def set_form_parameter(page, key: str, value: str) -> None:
    keys = page.locator('[data-testid="run-job-param-key"]')
    for i in range(keys.count()):
        if keys.nth(i).input_value() == key:
            page.locator('[data-testid="run-job-param-value"]').nth(i).fill(value)
            return
    raise AssertionError(f"no parameter row {key!r} in the form: {form_parameters(page)}")


def submit_form(page) -> None:
    page.click(".jp-Dialog-button.jp-mod-accept")


def wait_row_status(page, server, job_id: str, timeout: float = JOB_TIMEOUT_S) -> str:
    """Wait until the job's row in the Jobs panel shows a terminal status; return that status."""
    row = page.locator(f'.jp-studio-job-row[data-job-id="{job_id}"]')
    deadline = time.monotonic() + timeout
    status = None
    while time.monotonic() < deadline:
        status = row.get_attribute("data-status") if row.count() else None
        if status in TERMINAL:
            return status
        time.sleep(1)
    job = server.api("GET", f"jobs/{job_id}").json()
    raise AssertionError(f"the panel still shows {status!r} after {timeout}s; server says {job}\n"
                         f"agent log: {server.agent_log()[-3000:]}")


# ----------------------------------------------------------------------------- tests


@pytest.mark.timeout(900)
def test_given_a_notebook_when_run_as_job_from_the_file_browser_then_the_panel_shows_it_complete(
        ui_server, lab_page, artifacts):
    page = lab_page
    name = f"ui_train_{uuid.uuid4().hex[:6]}"
    write_notebook(ui_server.root_dir / f"{name}.ipynb")

    # Given JupyterLab with the studio: the Jobs panel opens from the left sidebar.
    open_lab(page, ui_server)
    show_sidebar(page, "jp-studio-jobs-panel")
    assert page.locator(".jp-studio-JobsPanel .jp-studio-tab.jp-mod-current").inner_text() == "Jobs"
    page.screenshot(path=str(artifacts / "01-jobs-panel.png"))

    # When the notebook is run as a job from the file browser's context menu...
    run_as_job_from_file_browser(page, f"{name}.ipynb")
    # ...the form is prefilled from the notebook's parameters cell (as JSON values).
    assert form_parameters(page) == {"alpha": "0.5", "epochs": "2", "label": '"demo"'}
    assert page.locator('[data-testid="run-job-name"]').input_value() == name
    instance_types = page.locator('[data-testid="run-job-instance-type"] option').all_inner_texts()
    assert any(text.startswith("local.small") for text in instance_types), instance_types
    set_form_parameter(page, "alpha", "0.25")
    page.screenshot(path=str(artifacts / "02-run-as-job-form.png"))
    submit_form(page)

    # Then the Jobs panel comes forward by itself with the new job selected; it reaches Completed.
    page.wait_for_selector("#jp-studio-jobs-panel", state="visible")
    selected = page.locator(".jp-studio-job-row.jp-mod-selected")
    selected.wait_for()
    job_id = selected.get_attribute("data-job-id")
    assert name in selected.inner_text()
    page.screenshot(path=str(artifacts / "03-job-submitted.png"))
    status = wait_row_status(page, ui_server, job_id)
    assert status == "Completed", ui_server.api("GET", f"jobs/{job_id}").json()
    row = page.locator(f'.jp-studio-job-row[data-job-id="{job_id}"]')
    assert row.locator('[data-testid="job-progress"]').get_attribute("data-done") == \
        row.locator('[data-testid="job-progress"]').get_attribute("data-total")
    assert "local.small" in row.inner_text()
    # the row says what ran: the kind and the input path (many jobs share a name)
    assert row.locator('[data-testid="job-row-input"]').inner_text().split() == ["notebook", f"{name}.ipynb"]
    page.wait_for_timeout(500)  # let the progress bar's CSS transition finish for the screenshot
    page.screenshot(path=str(artifacts / "04-job-completed.png"))

    # The server agrees, with the typed parameter the form sent.
    job = ui_server.api("GET", f"jobs/{job_id}").json()
    assert job["status"] == "Completed" and job["parameters"] == {"alpha": 0.25, "epochs": 2, "label": "demo"}

    # The detail view shows parameters, outputs, the MLflow run and the log.
    row.click()
    detail = page.locator(f'.jp-studio-JobDetail[data-job-id="{job_id}"][data-status="Completed"]')
    detail.wait_for()
    assert "0.25" in detail.locator('[data-testid="job-parameters"]').inner_text()
    outputs = detail.locator('[data-testid="job-outputs"]').inner_text()
    assert "output.ipynb" in outputs and "output.html" in outputs
    mlflow = detail.locator('[data-testid="job-mlflow-run"]')
    assert mlflow.locator('[data-testid="job-open-run"]').inner_text().strip() == job["mlflow_run_id"]
    mlflow_ui = ui_server.api("GET", "config").json().get("mlflow_ui_url")
    if mlflow_ui:  # a second link goes to the MLflow UI the studio serves
        href = mlflow.locator("a[target=_blank]").get_attribute("href")
        assert href.startswith(mlflow_ui) and href.endswith(f"/runs/{job['mlflow_run_id']}"), href
    page.wait_for_selector(f'.jp-studio-JobDetail[data-job-id="{job_id}"] [data-testid="job-log"][data-complete="true"]')
    assert "result demo 0.5" in detail.locator('[data-testid="job-log"]').inner_text()
    page.screenshot(path=str(artifacts / "05-job-detail.png"))

    # The run id opens the job's run in the studio's own run view.
    mlflow.locator('[data-testid="job-open-run"]').click()
    page.locator(f'.jp-studio-RunDetail[data-run-id="{job["mlflow_run_id"]}"]').wait_for()
    detail = page.locator(f'.jp-studio-JobDetail[data-job-id="{job_id}"]')
    page.locator(f'#jp-studio-job-{job_id}').wait_for(state="attached")
    page.locator(f'li.lm-TabBar-tab[data-id="jp-studio-job-{job_id}"]').click()

    # The executed notebook lies outside the server root (STUDIO_HOME is elsewhere): "Open" opens it
    # in the lab anyway, read-only, through the studio's job-outputs drive, with its outputs.
    detail.locator('.jp-studio-output[data-name="output.ipynb"] .jp-studio-output-open').click()
    notebook = page.locator(".jp-NotebookPanel:visible")
    notebook.wait_for()
    page.wait_for_function("() => [...document.querySelectorAll('.jp-NotebookPanel .jp-OutputArea-output')]"
                           ".some(o => o.innerText.includes('result demo 0.5'))")
    tab = page.locator('li.lm-TabBar-tab.jp-mod-current[data-type="document-title"]')
    assert "output.ipynb" in tab.inner_text()
    page.screenshot(path=str(artifacts / "05b-executed-notebook.png"))
    # The HTML report opens in JupyterLab's sandboxed HTML viewer, styled (its inline CSS applies).
    page.locator(f'li.lm-TabBar-tab[data-id="jp-studio-job-{job_id}"]').click()
    detail.locator('.jp-studio-output[data-name="output.html"] .jp-studio-output-open').click()
    frame = page.frame_locator(".jp-HTMLViewer:visible iframe")
    frame.locator("text=result demo 0.5").first.wait_for()
    assert frame.locator("style").count() > 0
    assert page.locator(".jp-HTMLViewer:visible iframe").get_attribute("sandbox") is not None
    page.screenshot(path=str(artifacts / "05c-html-report.png"))
    page.locator(f'li.lm-TabBar-tab[data-id="jp-studio-job-{job_id}"]').click()

    # Filtering by name keeps this job and by a status it does not have hides it.
    page.fill('[data-testid="jobs-filter-name"]', name)
    page.wait_for_function(
        "name => [...document.querySelectorAll('.jp-studio-job-row')].every(r => r.innerText.includes(name))",
        arg=name)
    page.select_option('[data-testid="jobs-filter-status"]', "Failed")
    page.wait_for_selector(f'.jp-studio-job-row[data-job-id="{job_id}"]', state="detached")
    page.select_option('[data-testid="jobs-filter-status"]', "")
    page.wait_for_selector(f'.jp-studio-job-row[data-job-id="{job_id}"]')


def test_given_a_notebook_without_parameters_cell_when_parameters_are_added_then_the_form_shows_the_server_error(
        ui_server, lab_page, artifacts):
    page = lab_page
    name = f"ui_plain_{uuid.uuid4().hex[:6]}"
    write_notebook(ui_server.root_dir / f"{name}.ipynb", params=None)

    # Given the notebook open in JupyterLab, its toolbar has a "Run as job" button.
    open_lab(page, ui_server, f"{name}.ipynb")
    button = page.locator(".jp-NotebookPanel-toolbar .jp-studio-run-as-job-button")
    button.wait_for()
    button.click()
    page.wait_for_selector('[data-testid="run-job-form"]')
    # The form says why there is nothing to prefill.
    assert "parameters" in page.locator('[data-testid="run-job-params-note"]').inner_text()
    assert form_parameters(page) == {}

    # When a parameter is added anyway and submitted...
    page.click('[data-testid="run-job-param-add"]')
    page.locator('[data-testid="run-job-param-key"]').last.fill("alpha")
    page.locator('[data-testid="run-job-param-value"]').last.fill("1")
    submit_form(page)

    # Then the form comes back with the server's message naming the field, and keeps the input.
    error = page.locator('[data-testid="run-job-error"]')
    error.wait_for()
    assert error.inner_text().startswith("parameters:"), error.inner_text()
    assert form_parameters(page) == {"alpha": "1"}
    page.screenshot(path=str(artifacts / "06-form-server-error.png"))
    page.click(".jp-Dialog-button.jp-mod-reject")
    page.wait_for_selector('[data-testid="run-job-form"]', state="detached")
    assert ui_server.api("GET", "jobs", params={"name": name}).json()["items"] == []


def test_given_a_script_when_scheduled_from_the_form_then_the_schedules_view_pauses_edits_and_deletes_it(
        ui_server, lab_page, artifacts):
    page = lab_page
    name = f"ui_sched_{uuid.uuid4().hex[:6]}"
    (ui_server.root_dir / f"{name}.py").write_text("import sys\nprint(sys.argv)\n")

    open_lab(page, ui_server)
    run_as_job_from_file_browser(page, f"{name}.py")
    page.click('[data-testid="run-job-mode-schedule"]')
    # A bad cron comes back from the server with a message naming the field.
    page.fill('[data-testid="run-job-cron"]', "every minute")
    page.fill('[data-testid="run-job-timezone"]', "UTC")
    submit_form(page)
    error = page.locator('[data-testid="run-job-error"]')
    error.wait_for()
    assert "schedule" in error.inner_text(), error.inner_text()
    page.screenshot(path=str(artifacts / "07-schedule-bad-cron.png"))

    # A good one creates the job definition and reveals the Schedules view.
    page.fill('[data-testid="run-job-cron"]', "0 3 * * *")
    submit_form(page)
    row = page.locator(".jp-studio-schedule-row", has_text=name)
    row.wait_for()
    definition_id = row.get_attribute("data-definition-id")
    assert row.get_attribute("data-paused") == "false"
    assert "0 3 * * *" in row.inner_text()
    page.screenshot(path=str(artifacts / "08-schedules.png"))

    # Pause.
    row.get_by_role("button", name="Pause").click()
    page.wait_for_selector(f'.jp-studio-schedule-row[data-definition-id="{definition_id}"][data-paused="true"]')
    assert ui_server.api("GET", f"job-definitions/{definition_id}").json()["paused"] is True

    # Edit the cron expression.
    row.get_by_role("button", name="Edit").click()
    row.locator(".jp-studio-schedule-cron-input").fill("30 4 * * 1")
    row.get_by_role("button", name="Save").click()
    row.locator(".jp-studio-schedule-cron", has_text="30 4 * * 1").wait_for()
    assert ui_server.api("GET", f"job-definitions/{definition_id}").json()["schedule"] == "30 4 * * 1"

    # Its runs (none yet), then delete it after confirming.
    row.get_by_role("button", name="Runs").click()
    row.locator('[data-testid="schedule-runs"]', has_text="No runs yet").wait_for()
    page.screenshot(path=str(artifacts / "09-schedule-edited.png"))
    row.get_by_role("button", name="Delete").click()
    page.click(".jp-Dialog-button.jp-mod-warn")
    page.wait_for_selector(f'.jp-studio-schedule-row[data-definition-id="{definition_id}"]', state="detached")
    assert ui_server.api("GET", f"job-definitions/{definition_id}").status_code == 404


def test_given_no_server_extension_when_lab_opens_then_a_notification_says_so_and_no_panel_is_added(
        lab_without_studio, lab_page, artifacts):
    url, token = lab_without_studio
    page = lab_page
    page.goto(f"{url}lab?token={token}")
    toast = page.locator(".Toastify__toast", has_text="studio_ext server extension is not running")
    toast.wait_for(timeout=120_000)
    page.screenshot(path=str(artifacts / "10-no-server-extension.png"))
    # No broken panel: the Jobs sidebar tab is not there.
    assert page.locator('.jp-SideBar [data-id="jp-studio-jobs-panel"]').count() == 0


@pytest.mark.timeout(900)
def test_given_a_running_job_when_its_detail_is_open_then_it_shows_the_current_cell_and_stop_and_rerun_work(
        ui_server, lab_page, artifacts):
    page = lab_page
    name = f"ui_slow_{uuid.uuid4().hex[:6]}"
    write_notebook(ui_server.root_dir / f"{name}.ipynb", params="seconds = 120")
    nb = nbformat.read(ui_server.root_dir / f"{name}.ipynb", as_version=4)
    nb.cells[-1] = nbformat.v4.new_code_cell("import time\nprint('sleeping', seconds, flush=True)\ntime.sleep(seconds)")
    nbformat.write(nb, ui_server.root_dir / f"{name}.ipynb")
    response = ui_server.api("POST", "jobs", json={"input": f"{name}.ipynb", "parameters": {"seconds": 120}})
    assert response.status_code == 201, response.text
    job_id = response.json()["job_id"]

    # Given the job running, its detail view (opened from the Jobs panel) follows it live.
    open_lab(page, ui_server)
    show_sidebar(page, "jp-studio-jobs-panel")
    page.click(f'.jp-studio-job-row[data-job-id="{job_id}"]')
    detail = page.locator(f'.jp-studio-JobDetail[data-job-id="{job_id}"]')
    current = detail.locator('[data-testid="job-current-cell"]', has_text="import time")
    current.wait_for(timeout=JOB_TIMEOUT_S * 1000)  # per-cell progress: the running cell and its first line
    detail.locator('[data-testid="job-log"]', has_text="sleeping 120").wait_for()
    page.wait_for_selector(f'.jp-studio-JobDetail[data-job-id="{job_id}"][data-status="InProgress"]')
    page.screenshot(path=str(artifacts / "11-job-running.png"))

    # When Stop is pressed, the job ends Stopped (panel and server agree).
    detail.locator('[data-testid="job-stop"]').click()
    page.wait_for_selector(f'.jp-studio-JobDetail[data-job-id="{job_id}"][data-status="Stopped"]',
                           timeout=JOB_TIMEOUT_S * 1000)
    assert wait_row_status(page, ui_server, job_id) == "Stopped"
    assert ui_server.api("GET", f"jobs/{job_id}").json()["status"] == "Stopped"
    page.screenshot(path=str(artifacts / "12-job-stopped.png"))

    # Rerun submits the same input and parameters as a new job and opens it.
    page.locator(f'.jp-studio-JobDetail[data-job-id="{job_id}"] [data-testid="job-rerun"]').click()
    rerun = page.locator(f'.jp-studio-JobDetailWidget:not([data-job-id="{job_id}"]):not(.lm-mod-hidden)')
    rerun.wait_for()
    new_id = rerun.get_attribute("data-job-id")
    new_job = ui_server.api("GET", f"jobs/{new_id}").json()
    assert new_job["input"] == f"{name}.ipynb" and new_job["parameters"] == {"seconds": 120}
    # Stop it from its row in the Jobs panel.
    page.locator(f'.jp-studio-job-row[data-job-id="{new_id}"] .jp-studio-job-stop').click()
    assert wait_row_status(page, ui_server, new_id) == "Stopped"


@pytest.mark.timeout(900)
def test_given_a_failing_notebook_when_it_runs_then_the_panel_shows_failed_with_the_cell_and_error(
        ui_server, lab_page, artifacts):
    page = lab_page
    name = f"ui_fail_{uuid.uuid4().hex[:6]}"
    path = write_notebook(ui_server.root_dir / f"{name}.ipynb")
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("raise ValueError('alpha is out of range')"))
    nbformat.write(nb, path)
    response = ui_server.api("POST", "jobs", json={"input": f"{name}.ipynb"})
    assert response.status_code == 201, response.text
    job_id = response.json()["job_id"]

    open_lab(page, ui_server)
    show_sidebar(page, "jp-studio-jobs-panel")
    assert wait_row_status(page, ui_server, job_id) == "Failed"
    row = page.locator(f'.jp-studio-job-row[data-job-id="{job_id}"]')
    reason = ui_server.api("GET", f"jobs/{job_id}").json()["status_reason"]
    # The row and the detail view show the server's reason, which names the error.
    assert "alpha is out of range" in reason
    row.locator(".jp-studio-job-reason", has_text="alpha is out of range").wait_for()
    row.click()
    detail = page.locator(f'.jp-studio-JobDetail[data-job-id="{job_id}"][data-status="Failed"]')
    detail.wait_for()
    assert "alpha is out of range" in detail.locator('[data-testid="job-status-reason"]').inner_text()
    page.screenshot(path=str(artifacts / "13-job-failed.png"))


# ----------------------------------------------------------------------------- the Train panel

DRAWN_PIXELS_JS = """canvas => {
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let drawn = 0;
  for (let i = 3; i < data.length; i += 4) { if (data[i] > 0) drawn++; }
  return drawn;
}"""


def test_given_the_train_panel_when_xgboost_is_trained_from_its_form_then_the_job_charts_each_round(
        ui_server, lab_page, artifacts):
    from sklearn.datasets import load_breast_cancer

    page = lab_page
    name = f"cancer_{uuid.uuid4().hex[:6]}"
    frame = load_breast_cancer(as_frame=True).frame.rename(columns={"target": "label"}).sample(frac=1,
                                                                                              random_state=0)
    frame.iloc[:400].to_csv(ui_server.root_dir / f"{name}-train.csv", index=False)
    frame.iloc[400:].to_csv(ui_server.root_dir / f"{name}-validation.csv", index=False)

    # Given the Train panel: the catalog by use case, every built-in algorithm listed.
    open_lab(page, ui_server)
    show_sidebar(page, "jp-studio-train-panel")
    catalog = page.locator('[data-testid="algorithm-catalog"]')
    catalog.wait_for()
    listed = set(catalog.locator('[data-testid="algorithm"]').evaluate_all("els => els.map(e => e.dataset.name)"))
    assert {"xgboost", "image-classifier", "factorization-machines", "forecaster"} <= listed, listed
    page.screenshot(path=str(artifacts / "20-train-catalog.png"))

    # When xgboost is chosen, the form comes from its JSON Schema: defaults, and the server's
    # ranges checked as the user types (no request until it is right).
    catalog.locator('[data-testid="algorithm"][data-name="xgboost"]').click()
    form = page.locator('[data-testid="train-form"][data-algorithm="xgboost"]')
    form.wait_for()
    assert form.locator('[data-testid="hp-max_depth"]').input_value() == "6"
    form.locator('[data-testid="hp-max_depth"]').fill("99")
    assert form.locator('[data-testid="hp-error-max_depth"]').inner_text() == \
        "hyperparameters.max_depth: must be an integer in [1, 20]"
    assert form.locator('[data-testid="train-submit"]').is_disabled()
    form.locator('[data-testid="hp-max_depth"]').fill("3")
    form.locator('[data-testid="hp-num_round"]').fill("40")
    # the train channel from the file browser's selection, validation typed
    show_sidebar(page, "filebrowser")
    page.locator(".jp-DirListing-item", has_text=f"{name}-train.csv").click()
    show_sidebar(page, "jp-studio-train-panel")
    form.locator('[data-testid="channel-train-pick"]').click()
    assert form.locator('[data-testid="channel-train"]').input_value() == f"{name}-train.csv"
    # The channel's first rows show under it, the label column the training will learn marked.
    preview = form.locator('[data-testid="channel-train-preview"]')
    preview.wait_for()
    assert preview.locator('[data-testid="channel-train-preview-label"]').inner_text() == "label"
    assert preview.locator("th.jp-mod-label").inner_text() == "label"
    assert preview.locator("tbody tr").count() == 5
    # shown first (the file has it last), then the features in the file's order
    assert preview.locator("th").nth(0).inner_text() == "label"
    assert preview.locator("th").nth(1).inner_text() == "mean radius"
    page.screenshot(path=str(artifacts / "21-train-preview.png"))
    # A label column the file lacks: the server's message, as the job would have failed.
    form.locator('[data-testid="channel-label"]').fill("churn")
    error = form.locator('[data-testid="channel-train-preview-error"]')
    error.wait_for()
    assert error.inner_text().startswith(f"label: {name}-train.csv has no column 'churn'")
    page.screenshot(path=str(artifacts / "21-train-preview-error.png"))
    form.locator('[data-testid="channel-label"]').fill("")
    preview.wait_for()
    form.locator('[data-testid="channel-validation"]').fill(f"{name}-validation.csv")
    form.locator('[data-testid="channel-validation-preview"]').wait_for()
    # XGBoost trains on one instance: the Instances field is fixed at 1 and says why.
    assert form.locator('[data-testid="train-instance-count"]').is_disabled()
    assert form.locator('[data-testid="train-instance-count"]').input_value() == "1"
    assert form.locator('[data-testid="train-instance-count-hint"]').inner_text() == \
        "xgboost trains on one instance"
    form.locator('[data-testid="train-register-as"]').fill(name)
    page.screenshot(path=str(artifacts / "21-train-form.png"))
    form.locator('[data-testid="train-submit"]').click()

    # Then the job opens; once it completed, its view shows the model, the final metrics and one
    # drawn chart per metric logged every round.
    detail = page.locator('.jp-studio-JobDetail[data-status="Completed"]')
    detail.wait_for(timeout=JOB_TIMEOUT_S * 1000)
    job_id = detail.get_attribute("data-job-id")
    job = ui_server.api("GET", f"jobs/{job_id}").json()
    assert job["training"]["hyperparameters"] == {"max_depth": 3, "num_round": 40}
    training = detail.locator('[data-testid="job-training"]')
    assert training.locator('[data-testid="job-training-model"]').inner_text() == f"models:/{name}/1"
    assert "validation:roc_auc" in training.locator('[data-testid="job-training-metrics"]').inner_text()
    chart = training.locator('[data-testid="job-training-chart"][data-label="validation:log_loss"] canvas')
    chart.wait_for()
    page.wait_for_function(f"() => ({DRAWN_PIXELS_JS})(document.querySelector("
                           "'[data-testid=job-training-chart][data-label=\"validation:log_loss\"] canvas')) > 500")
    page.screenshot(path=str(artifacts / "22-training-job.png"))

    # The image classifier trains on several instances: Instances is enabled, up to what the
    # instance type runs at once; its .npz channel previews as images with their classes.
    np.savez(ui_server.root_dir / f"{name}-digits.npz", x=np.zeros((6, 8, 8), dtype=np.float32),
             y=np.array([0, 1, 2, 0, 1, 2]))
    show_sidebar(page, "jp-studio-train-panel")
    form.locator('[data-testid="train-back"]').click()
    catalog.locator('[data-testid="algorithm"][data-name="image-classifier"]').click()
    form = page.locator('[data-testid="train-form"][data-algorithm="image-classifier"]')
    count = form.locator('[data-testid="train-instance-count"]')
    assert count.is_enabled() and count.input_value() == "1"
    count.fill("3")  # local.small runs 2 at once
    assert form.locator('[data-testid="train-instance-count-error"]').inner_text() == \
        "instance_count: must be an integer in [1, 2] on local.small"
    count.fill("2")
    form.locator('[data-testid="channel-train"]').fill(f"{name}-digits.npz")
    preview = form.locator('[data-testid="channel-train-preview"]')
    preview.wait_for()
    assert "images 1×8×8" in preview.inner_text() and "classes 0: 2, 1: 2, 2: 2" in preview.inner_text()
    assert not form.locator('[data-testid="train-submit"]').is_disabled()
    page.screenshot(path=str(artifacts / "23-train-image-classifier.png"))
