"""Browser test: create a tuning job from the Tuning panel (xgboost on breast_cancer, the catalog's ranges
prefilled, two kept), see the server's 400 next to the form, watch the leaderboard fill with completed
trials and the best objective, the three charts drawn with a point per trial, then open a trial's job,
the best run in the MLflow UI, and deploy the best trial's model."""

from __future__ import annotations

import json
import uuid

import pytest
from sklearn.datasets import load_breast_cancer

pytestmark = pytest.mark.ui

MAX_TRIALS = 4
KEPT = ("max_depth", "eta")

# Pixels of a canvas that are not transparent: a drawn chart has thousands, an empty canvas none.
DRAWN_PIXELS_JS = """canvas => {
  const ctx = canvas.getContext('2d');
  const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  let drawn = 0;
  for (let i = 3; i < data.length; i += 4) { if (data[i] > 0) drawn++; }
  return drawn;
}"""


def write_cancer(root) -> None:
    """breast_cancer with a `label` column: 300 rows to train on, the other 269 to validate."""
    frame = load_breast_cancer(as_frame=True).frame.rename(columns={"target": "label"}).sample(
        frac=1.0, random_state=0)
    (root / "cancer").mkdir(exist_ok=True)
    frame.iloc[:300].to_csv(root / "cancer" / "train.csv", index=False)
    frame.iloc[300:].to_csv(root / "cancer" / "validation.csv", index=False)


def open_lab(page, server) -> None:
    page.goto(f"{server.url}lab?reset&token={server.token}")
    page.wait_for_selector('.jp-SideBar [data-id="jp-studio-tuning-panel"]', timeout=120_000)


def show_sidebar(page, widget_id: str) -> None:
    if not page.locator(f"#{widget_id}").is_visible():
        page.click(f'.jp-SideBar [data-id="{widget_id}"]')
    page.wait_for_selector(f"#{widget_id}", state="visible")


@pytest.mark.timeout(600)
def test_given_a_dataset_when_a_tuning_job_is_created_in_the_panel_then_its_trials_fill_the_leaderboard_and_charts(
        ui_server, lab_page, artifacts):
    page = lab_page
    write_cancer(ui_server.root_dir)
    name = f"ui-cancer-{uuid.uuid4().hex[:6]}"

    # Given the create form, opened from the Tuning panel's +...
    open_lab(page, ui_server)
    show_sidebar(page, "jp-studio-tuning-panel")
    page.locator('[data-testid="tuning-new"]').click()
    form = page.locator('[data-testid="tuning-create-form"]')
    form.wait_for()
    page.wait_for_selector('[data-testid="tuning-algorithm"] option[value="xgboost"]', state="attached")
    form.locator('[data-testid="tuning-algorithm"]').select_option("xgboost")

    # ...its ranges are xgboost's tunable hyperparameters with the catalog's suggested ranges.
    ranges = form.locator('[data-testid="tuning-range"]')
    form.locator('[data-testid="tuning-range"][data-name="max_depth"]').wait_for()
    prefilled = [row.get_attribute("data-name") for row in ranges.all()]
    assert {"num_round", "max_depth", "eta", "subsample"} <= set(prefilled), prefilled

    def range_row(param):
        return form.locator(f'[data-testid="tuning-range"][data-name="{param}"]')

    depth, eta = range_row("max_depth"), range_row("eta")
    assert depth.get_attribute("data-type") == "Integer"
    assert (depth.locator('[data-testid="tuning-range-min"]').input_value(),
            depth.locator('[data-testid="tuning-range-max"]').input_value()) == ("2", "10")
    assert eta.get_attribute("data-type") == "Continuous"
    assert eta.locator('[data-testid="tuning-range-scaling"]').input_value() == "Logarithmic"

    # When every range but two is removed, the data and a small fixed num_round given...
    for param in prefilled:
        if param not in KEPT:
            range_row(param).locator('[data-testid="tuning-range-remove"]').click()
    assert sorted(r.get_attribute("data-name") for r in ranges.all()) == sorted(KEPT)
    form.locator('[data-testid="tuning-name"]').fill(name)
    form.locator('[data-testid="tuning-channel-train"]').fill("cancer/train.csv")
    form.locator('[data-testid="tuning-channel-validation"]').fill("cancer/validation.csv")
    form.locator('[data-testid="tuning-fixed"]').fill('{"num_round": 15}')
    form.locator('[data-testid="tuning-metric"]').select_option("validation:roc_auc")
    form.locator('[data-testid="tuning-max-trials"]').fill(str(MAX_TRIALS))
    form.locator('[data-testid="tuning-parallel"]').fill("2")

    # ...a bound xgboost refuses comes back as the server's 400, next to the form, naming the range;
    depth.locator('[data-testid="tuning-range-max"]').fill("99")
    form.locator('[data-testid="tuning-create-submit"]').click()
    refused = form.locator('[data-testid="tuning-create-error"]')
    refused.wait_for()
    assert "parameter_ranges.max_depth: xgboost refuses max_depth = 99" in refused.inner_text(), \
        refused.inner_text()
    assert not [j for j in ui_server.api("GET", "tuning-jobs").json()["items"] if j["name"] == name]
    depth.locator('[data-testid="tuning-range-max"]').fill("6")
    page.screenshot(path=str(artifacts / "tuning-01-create-form.png"))
    form.locator('[data-testid="tuning-create-submit"]').click()

    # Then the job's view opens, and the job ends Completed with every trial completed.
    detail = page.locator('[data-testid="tuning-detail"]')
    detail.wait_for()
    tuning_id = detail.get_attribute("data-tuning-job-id")
    page.wait_for_selector('[data-testid="tuning-detail"][data-status="Completed"]', timeout=240_000)
    described = ui_server.api("GET", f"tuning-jobs/{tuning_id}").json()
    assert described["training_job"]["hyperparameters"] == {"num_round": 15}, described["training_job"]
    assert sorted(described["parameter_ranges"]) == sorted(KEPT)
    assert described["counts"]["completed"] == MAX_TRIALS, described["counts"]
    best = described["best_trial"]

    # The leaderboard: a row per trial, best first (sorted by objective), with its job and parameters.
    rows = detail.locator('[data-testid="trial-row"]')
    page.wait_for_function(
        "n => document.querySelectorAll('[data-testid=tuning-detail] [data-testid=trial-row]"
        "[data-status=Completed]').length === n", arg=MAX_TRIALS)
    assert rows.first.get_attribute("data-best") == "true"
    assert rows.first.get_attribute("data-trial") == str(best["trial_number"])
    assert float(rows.first.get_attribute("data-objective")) == pytest.approx(best["objective"])
    objectives = [float(r.get_attribute("data-objective")) for r in rows.all()]
    assert objectives == sorted(objectives, reverse=True)  # roc_auc: higher is better
    assert all(0.5 < v <= 1.0 for v in objectives), objectives
    assert f"validation:roc_auc = {best['objective']:.6g} (trial {best['trial_number']})" in detail.locator(
        '[data-testid="tuning-best"]').inner_text()
    # Sorting by objective again puts the worst first.
    detail.locator('[data-testid="leaderboard-sort-objective"]').click()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=leaderboard-sort-objective]')?.dataset.sort === 'desc'"
        " && document.querySelector('[data-testid=trial-row]')?.dataset.best !== 'true'")
    assert float(rows.first.get_attribute("data-objective")) == pytest.approx(min(objectives))
    detail.locator('[data-testid="leaderboard-sort-objective"]').click()

    # The charts: a point per trial and the running best line; importance of each kept range; a
    # parallel-coordinates line per trial across an axis per range plus the objective's.
    objective_chart = detail.locator('[data-testid="tuning-objective-chart"]')
    assert objective_chart.get_attribute("data-points") == f"{MAX_TRIALS},{MAX_TRIALS}"
    assert objective_chart.locator("canvas").evaluate(DRAWN_PIXELS_JS) > 1000
    importance_chart = detail.locator('[data-testid="tuning-importance-chart"]')
    importance_chart.wait_for()
    assert importance_chart.get_attribute("data-points") == str(len(KEPT))
    parallel = detail.locator('[data-testid="tuning-parallel-chart"]')
    assert parallel.get_attribute("data-axes") == str(len(KEPT) + 1)
    assert [a.get_attribute("data-axis") for a in parallel.locator('[data-testid="parallel-axis"]').all()] \
        == [*described["parameter_ranges"], "validation:roc_auc"]
    assert parallel.locator('[data-testid="parallel-line"]').count() == MAX_TRIALS
    assert parallel.locator("polyline.jp-mod-highlight").get_attribute("data-key") == str(best["trial_number"])
    detail.evaluate("e => e.scrollTo(0, 0)")
    page.screenshot(path=str(artifacts / "tuning-02-charts.png"))
    detail.locator('[data-testid="tuning-leaderboard"]').scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "tuning-03-leaderboard.png"))

    # The panel's row says Completed with the trial counts and the best objective.
    row = page.locator(f'.jp-studio-TuningPanel [data-testid="tuning-row"][data-tuning-job-id="{tuning_id}"]')
    page.wait_for_selector(f'.jp-studio-TuningPanel [data-testid="tuning-row"][data-tuning-job-id="{tuning_id}"]'
                           '[data-status="Completed"]')
    assert f"{MAX_TRIALS}/{MAX_TRIALS} trials" in row.inner_text()
    assert "validation:roc_auc" in row.locator('[data-testid="tuning-row-best"]').inner_text()

    # A trial's job link opens that job's view (the Jobs panel's).
    rows.first.locator('[data-testid="trial-job"]').click()
    page.locator(f'#jp-studio-job-{best["job_id"]}').wait_for()

    # Open best run: the MLflow UI at the best trial's run, in a new tab.
    trial_job = ui_server.api("GET", f"jobs/{best['job_id']}").json()
    page.click(f'.lm-TabBar-tab:has-text("Tuning: {name}")')
    with page.context.expect_page() as popup:
        detail.locator('[data-testid="tuning-open-best-run"]').click()
    opened = popup.value.url
    assert opened.endswith(f"/studio/mlflow/#/experiments/{trial_job['mlflow_experiment_id']}"
                           f"/runs/{trial_job['mlflow_run_id']}"), opened
    popup.value.close()

    # Deploy best: a name the server refuses shows its message; then the model is registered from the best
    # trial's run and an endpoint created with that version.
    detail.locator('[data-testid="tuning-deploy-best"]').click()
    dialog = detail.locator('[data-testid="tuning-deploy-dialog"]')
    dialog.locator('[data-testid="tuning-deploy-endpoint"]').fill("not a valid name!")
    dialog.locator('[data-testid="tuning-deploy-submit"]').click()
    error = dialog.locator('[data-testid="tuning-deploy-error"]')
    error.wait_for()
    assert "name" in error.inner_text(), error.inner_text()
    dialog.locator('[data-testid="tuning-deploy-registered"]').wait_for()  # registered once, kept
    endpoint = f"{name}-best"
    dialog.locator('[data-testid="tuning-deploy-endpoint"]').fill(endpoint)
    dialog.locator('[data-testid="tuning-deploy-submit"]').click()
    # Then the endpoint's view opens (the Endpoints panel's), and the dialog says what was done.
    page.locator(f'.jp-studio-EndpointDetail[data-endpoint-name="{endpoint}"]').wait_for()
    dialog.locator('[data-testid="tuning-deployed"]').wait_for(state="attached")
    page.click(f'.lm-TabBar-tab:has-text("Tuning: {name}")')
    dialog.locator('[data-testid="tuning-deployed"]').wait_for()
    page.screenshot(path=str(artifacts / "tuning-04-deployed.png"))
    versions = ui_server.api("GET", f"models/{name}").json()["versions"]
    assert [v["version"] for v in versions] == ["1"], versions
    assert versions[0]["run_id"] == best["mlflow_run_id"] == trial_job["mlflow_run_id"]
    described_endpoint = ui_server.api("GET", f"endpoints/{endpoint}").json()
    assert described_endpoint["variants"][0]["model"] == f"models:/{name}/1"
    ui_server.api("DELETE", f"endpoints/{endpoint}")

    # The form's other template: a copy of an existing job (here the best trial's) brings its algorithm,
    # channels and hyperparameters, and the algorithm's ranges are prefilled again.
    show_sidebar(page, "jp-studio-tuning-panel")
    page.locator('[data-testid="tuning-new"]').click()
    form.wait_for()
    form.locator('[data-testid="tuning-source-job"]').check()
    page.wait_for_selector(f'[data-testid="tuning-template-job"] option[value="{best["job_id"]}"]', state="attached")
    form.locator('[data-testid="tuning-template-job"]').select_option(best["job_id"])
    page.wait_for_function(
        "() => document.querySelector('[data-testid=tuning-channel-validation]')?.value === 'cancer/validation.csv'")
    assert form.locator('[data-testid="tuning-channel-train"]').input_value() == "cancer/train.csv"
    copied = json.loads(form.locator('[data-testid="tuning-fixed"]').input_value())
    assert copied == {"num_round": 15, **best["parameters"]}, copied
    range_row("max_depth").wait_for()
    assert form.locator('[data-testid="tuning-metric"]').input_value().startswith("validation:")
    form.locator('[data-testid="tuning-create-cancel"]').click()
