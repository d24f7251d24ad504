"""Browser test: deploy a model version from the Models panel, watch it reach InService in the
Endpoints panel, invoke it from the test box (prediction and a 400 naming the problem), see the charts,
update to version 2, roll back to version 1, find the charts' history after a reload, and see a refused
rollback's message."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

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

# The endpoint view's totals are summed over the range from the server's history (not the live
# replicas' counters, which restart with every replica) and reach at least `arg` invocations.
TOTALS_FROM_HISTORY_JS = """least => {
  const totals = document.querySelector('.jp-studio-EndpointDetail [data-testid=endpoint-metric-totals]');
  return totals?.dataset.source === 'history'
    && Number(totals.querySelector('[data-testid=metric-invocations]')?.dataset.value) >= least;
}"""


def seed_sklearn_model(server) -> str:
    """Two LogisticRegressions on breast_cancer with signature and input example, registered as versions
    1 and 2 in the server's own MLflow store (artifacts under its STUDIO_HOME). MLflow's global URIs
    are put back afterwards, so later tests in this process do not talk to this server's store."""
    from serving_models import _mlflow_env

    with _mlflow_env():
        return _seed_sklearn_model(server)


def _seed_sklearn_model(server) -> str:
    import mlflow
    from mlflow.models import infer_signature
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression

    from studio_ext import tracking

    uri = server.api("GET", "config").json()["mlflow_tracking_uri"]
    # The studio's client first: it serialises the store's first schema migration with the server's.
    tracking.client(uri, server.studio_home)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    suffix = uuid.uuid4().hex[:6]
    client = mlflow.MlflowClient(uri, uri)
    exp = client.create_experiment(f"ui-endpoint-{suffix}",
                                   artifact_location=(Path(server.studio_home) / "mlartifacts" / suffix).as_uri())
    data = load_breast_cancer(as_frame=True)
    x, y = data.data, data.target
    name = f"ui-lr-{suffix}"
    for c in (1.0, 0.01):
        model = LogisticRegression(C=c, max_iter=5000).fit(x, y)
        with mlflow.start_run(experiment_id=exp):
            mlflow.sklearn.log_model(model, name="model", signature=infer_signature(x, model.predict(x)),
                                     input_example=x.head(2), registered_model_name=name,
                                     pip_requirements=["scikit-learn"])
    return name


def open_lab(page, server) -> None:
    page.goto(f"{server.url}lab?reset&token={server.token}")
    page.wait_for_selector('.jp-SideBar [data-id="jp-studio-endpoints-panel"]', timeout=120_000)


def show_sidebar(page, widget_id: str) -> None:
    if not page.locator(f"#{widget_id}").is_visible():
        page.click(f'.jp-SideBar [data-id="{widget_id}"]')
    page.wait_for_selector(f"#{widget_id}", state="visible")


@pytest.mark.timeout(900)
def test_given_a_registered_model_when_deployed_from_the_models_panel_then_it_serves_from_the_test_box(
        ui_server, lab_page, artifacts):
    page = lab_page
    model = seed_sklearn_model(ui_server)
    endpoint = f"{model}-v1"

    # Given the model's version view in the Models panel...
    open_lab(page, ui_server)
    show_sidebar(page, "jp-studio-models-panel")
    page.locator(f'.jp-studio-ModelsPanel .jp-studio-model-row[data-model-name="{model}"]').click()
    page.locator(f'.jp-studio-ModelDetail[data-model-name="{model}"] '
                 '.jp-studio-version-row[data-version="1"]').click()
    version = page.locator(f'.jp-studio-ModelDetail[data-model-name="{model}"] '
                           '[data-testid="version-detail"][data-version="1"]')
    version.locator('[data-testid="version-input-example"]').wait_for()

    # ...when Deploy is clicked, the Endpoints panel opens with the form prefilled with that version.
    version.locator('[data-testid="version-deploy"]').click()
    form = page.locator('.jp-studio-EndpointsPanel [data-testid="endpoint-create-form"]')
    form.wait_for()
    assert form.locator('[data-testid="endpoint-name"]').input_value() == endpoint
    page.wait_for_function(
        "uri => document.querySelector('[data-testid=endpoint-model-version]')?.value === uri",
        arg=f"models:/{model}/1")
    page.wait_for_selector('[data-testid="endpoint-instance-type"] option[value="local.small"]', state="attached")
    # A name the server refuses shows its 400 message, naming the field; the form stays.
    form.locator('[data-testid="endpoint-name"]').fill("not a valid name!")
    form.locator('[data-testid="endpoint-create-submit"]').click()
    refused = form.locator('[data-testid="studio-error"]')
    refused.wait_for()
    assert "name" in refused.inner_text(), refused.inner_text()
    form.locator('[data-testid="endpoint-name"]').fill(endpoint)
    form.locator('[data-testid="endpoint-capture-percent"]').fill("100")
    page.screenshot(path=str(artifacts / "endpoints-01-deploy-form.png"))
    form.locator('[data-testid="endpoint-create-submit"]').click()

    # Then the endpoint is listed, Creating, and reaches InService (the agent starts its replica).
    row = page.locator(f'.jp-studio-EndpointsPanel .jp-studio-endpoint-row[data-endpoint-name="{endpoint}"]')
    row.wait_for()
    page.wait_for_selector(
        f'.jp-studio-EndpointsPanel .jp-studio-endpoint-row[data-endpoint-name="{endpoint}"][data-status="InService"]',
        timeout=180_000)
    described = ui_server.api("GET", f"endpoints/{endpoint}").json()
    assert described["variants"][0]["model"] == f"models:/{model}/1"
    assert described["data_capture"]["sampling_percent"] == 100

    # The endpoint view opened on create: InService, one variant with its replica healthy.
    detail = page.locator(f'.jp-studio-EndpointDetail[data-endpoint-name="{endpoint}"]')
    page.wait_for_selector(f'.jp-studio-EndpointDetail[data-endpoint-name="{endpoint}"][data-status="InService"]')
    variant = detail.locator('[data-testid="endpoint-variant"][data-variant="primary"]')
    assert "local.small" in variant.inner_text()
    page.wait_for_function("() => document.querySelector('[data-testid=endpoint-variant-replicas]')"
                           "?.textContent === '1/1'")
    page.screenshot(path=str(artifacts / "endpoints-02-in-service.png"))

    # When the prefilled sample (from the input example) is sent, a prediction comes back.
    body = detail.locator('[data-testid="endpoint-test-body"]')
    page.wait_for_function("() => document.querySelector('[data-testid=endpoint-test-body]')"
                           "?.value.includes('dataframe_split')")
    sample = json.loads(body.input_value())
    assert sample["dataframe_split"]["columns"][0] == "mean radius"
    assert len(sample["dataframe_split"]["data"]) == 2
    detail.locator('[data-testid="endpoint-test-send"]').click()
    response = detail.locator('[data-testid="endpoint-test-response"][data-status="200"]')
    response.wait_for()
    predictions = json.loads(response.inner_text())["predictions"]
    assert len(predictions) == 2 and all(p in (0, 1) for p in predictions), predictions
    page.screenshot(path=str(artifacts / "endpoints-03-prediction.png"))

    # When a payload with a wrong column is sent, the 400 (MLflow's shape: the endpoint answers as
    # `mlflow models serve` does) says which columns the model misses and which it got.
    bad = {"dataframe_split": {"columns": ["nope"], "data": [[1.0]]}}
    body.fill(json.dumps(bad))
    detail.locator('[data-testid="endpoint-test-send"]').click()
    error = detail.locator('[data-testid="endpoint-test-response"][data-status="400"]')
    error.wait_for()
    answer = json.loads(error.inner_text())
    assert answer["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "'nope'" in answer["message"] and "mean radius" in answer["message"], answer
    page.screenshot(path=str(artifacts / "endpoints-04-bad-payload.png"))

    # Then the metrics count both calls (from the agent's history, sampled every 5 s) and the invocation
    # chart is drawn.
    page.wait_for_function(TOTALS_FROM_HISTORY_JS, arg=2, timeout=60_000)
    page.wait_for_function("() => Number(document.querySelector('[data-testid=metric-4xx]')"
                           "?.dataset.value) >= 1", timeout=60_000)
    chart = detail.locator('[data-testid="endpoint-invocations-chart"]')
    assert chart.get_attribute("data-series") == "1"
    assert chart.locator("canvas").evaluate(DRAWN_PIXELS_JS) > 1000
    assert detail.locator('[data-testid="endpoint-latency-chart"]').get_attribute("data-series") == "3"
    # Nothing to roll back to yet: the endpoint serves what it was created with.
    assert detail.locator('[data-testid="endpoint-rollback"]').is_disabled()
    detail.locator('[data-testid="endpoint-previous-none"]').wait_for()

    # The capture viewer shows the captured request (100% sampling).
    detail.locator('[data-testid="endpoint-capture-refresh"]').click()
    detail.locator('[data-testid="capture-record"]').first.wait_for(timeout=60_000)
    detail.locator('[data-testid="endpoint-test"]').scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "endpoints-05-metrics-capture.png"), full_page=True)

    # When the endpoint is pointed at version 2 (all at once), it serves version 2 after the update.
    update = detail.locator('[data-testid="endpoint-update-form"]')
    page.wait_for_selector(f'[data-testid="endpoint-update-model"] option[value="models:/{model}/2"]',
                           state="attached")
    update.locator('[data-testid="endpoint-update-model"]').select_option(f"models:/{model}/2")
    update.locator('[data-testid="endpoint-update-submit"]').click()
    update.locator('[data-testid="endpoint-updated"]').wait_for()
    page.wait_for_function(
        "() => { const d = document.querySelector('.jp-studio-EndpointDetail');"
        " return d?.dataset.status === 'InService' && d.querySelector('[data-testid=endpoint-generation]')"
        "?.textContent === '2'; }", timeout=180_000)
    assert f"models:/{model}/2" in variant.inner_text()
    # The new replica's counters start at 0, but the totals come from the history: nothing is lost.
    page.wait_for_function(TOTALS_FROM_HISTORY_JS, arg=2)
    described = ui_server.api("GET", f"endpoints/{endpoint}").json()
    assert {r["model_version"] for r in described["replicas"] if r["status"] == "Healthy"} == {"2"}, described

    # The view shows the finished update and what a rollback deploys: version 1.
    deployment = detail.locator('[data-testid="endpoint-deployment"][data-state="Completed"]')
    deployment.wait_for()
    assert deployment.get_attribute("data-type") == "all_at_once"
    assert deployment.get_attribute("data-rollback") == "false"
    assert deployment.get_attribute("data-share") == "100"
    previous = detail.locator('[data-testid="endpoint-previous-variant"][data-variant="primary"]')
    previous.wait_for()
    assert previous.get_attribute("data-model") == f"models:/{model}/1"
    assert f"models:/{model}/1" in previous.inner_text()
    detail.locator('[data-testid="endpoint-variants"]').scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "endpoints-06-updated.png"))

    # When Roll back is clicked, the dialog names version 1; when confirmed...
    rollback = detail.locator('[data-testid="endpoint-rollback"]')
    assert rollback.is_enabled() and rollback.inner_text() == "Roll back"
    rollback.click()
    dialog = page.locator(".jp-Dialog")
    assert f"models:/{model}/1" in dialog.locator('[data-testid="endpoint-rollback-target"]').inner_text()
    page.screenshot(path=str(artifacts / "endpoints-07-rollback-dialog.png"))
    dialog.locator(".jp-mod-warn").click()
    detail.locator('[data-testid="endpoint-rollback-started"]').wait_for()

    # ...then the endpoint returns to InService as generation 3 serving version 1 (variants table and
    # every healthy replica), the deployment is flagged as a rollback, and version 2 is now the previous
    # configuration (a second rollback rolls forward).
    page.wait_for_function(
        "() => { const d = document.querySelector('.jp-studio-EndpointDetail');"
        " return d?.dataset.status === 'InService' && d.querySelector('[data-testid=endpoint-generation]')"
        "?.textContent === '3'; }", timeout=180_000)
    assert f"models:/{model}/1" in variant.inner_text()
    detail.locator(".jp-studio-endpoint-replicas summary").click()
    page.wait_for_function(
        "() => { const rows = [...document.querySelectorAll('.jp-studio-EndpointDetail"
        " [data-testid=endpoint-replica][data-status=Healthy]')];"
        " return rows.length === 1 && rows.every(r => r.dataset.version === '1'"
        " && r.querySelector('[data-testid=endpoint-replica-version]').textContent === '1'); }")
    detail.locator('[data-testid="endpoint-deployment"][data-state="Completed"][data-rollback="true"]').wait_for()
    detail.locator(f'[data-testid="endpoint-previous-variant"][data-model="models:/{model}/2"]').wait_for()
    described = ui_server.api("GET", f"endpoints/{endpoint}").json()
    assert described["variants"][0]["model"] == f"models:/{model}/1"
    assert {r["model_version"] for r in described["replicas"] if r["status"] == "Healthy"} == {"1"}, described
    assert described["deployment"]["rollback"] is True
    detail.locator('[data-testid="endpoint-deployment"]').scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "endpoints-08-rolled-back.png"))

    # When the page is reloaded (the view's state is gone) and the endpoint opened again, the charts
    # draw from the server's history: the calls sent to the first replica, two generations ago, count.
    open_lab(page, ui_server)
    show_sidebar(page, "jp-studio-endpoints-panel")
    row.click()
    detail.wait_for()
    page.wait_for_function(TOTALS_FROM_HISTORY_JS, arg=2, timeout=60_000)
    assert "last 15 min" in detail.locator('[data-testid="metric-totals-label"]').inner_text()
    assert int(detail.locator('[data-traffic-points]').get_attribute("data-traffic-points")) >= 1
    assert int(detail.locator('[data-testid="metric-4xx"]').get_attribute("data-value")) >= 1
    assert chart.locator("canvas").evaluate(DRAWN_PIXELS_JS) > 1000
    # A longer range asks the server for it, with coarser periods, and still holds those calls.
    detail.locator('[data-testid="endpoint-metrics-range"]').select_option("3600")
    page.wait_for_selector('[data-testid="endpoint-metrics"][data-since-seconds="3600"]')
    page.wait_for_function(TOTALS_FROM_HISTORY_JS, arg=2)
    assert float(detail.locator('[data-testid="endpoint-metrics"]').get_attribute("data-period-seconds")) > 5
    assert "last 1 h" in detail.locator('[data-testid="metric-totals-label"]').inner_text()
    # the hour before the endpoint existed is blank on the charts, not a line of zeros
    assert int(detail.locator('[data-testid="endpoint-metrics"]').get_attribute("data-blank-periods")) > 10
    detail.locator('[data-testid="endpoint-metrics"]').scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "endpoints-09-history-after-reload.png"))

    # A refused rollback shows the server's message in the view: the dialog is open when the endpoint
    # is deleted from a second tab (with confirmation), so the confirmed rollback finds it Deleting (409;
    # or gone, 404, if the agent was quicker).
    detail.locator('[data-testid="endpoint-rollback"]').click()
    page.locator(".jp-Dialog [data-testid=endpoint-rollback-dialog]").wait_for()
    other = page.context.new_page()
    open_lab(other, ui_server)
    show_sidebar(other, "jp-studio-endpoints-panel")
    other.locator(f'.jp-studio-EndpointsPanel .jp-studio-endpoint-row[data-endpoint-name="{endpoint}"]').click()
    other.locator(f'.jp-studio-EndpointDetail[data-endpoint-name="{endpoint}"] [data-testid="endpoint-delete"]').click()
    with other.expect_response(lambda r: r.request.method == "DELETE" and f"endpoints/{endpoint}" in r.url) as deleted:
        other.locator(".jp-Dialog .jp-mod-warn").click()
    assert deleted.value.status == 204
    page.locator(".jp-Dialog .jp-mod-warn").click()
    refused = detail.locator('[data-testid="endpoint-rollback-error"]')
    refused.wait_for()
    assert endpoint in refused.inner_text() and ("Deleting" in refused.inner_text()
                                                 or "no endpoint" in refused.inner_text()), refused.inner_text()
    page.screenshot(path=str(artifacts / "endpoints-10-rollback-refused.png"))

    # The deleted endpoint leaves both tabs' panels and the server.
    row.wait_for(state="detached", timeout=120_000)
    other.locator(f'.jp-studio-EndpointsPanel .jp-studio-endpoint-row[data-endpoint-name="{endpoint}"]').wait_for(
        state="detached", timeout=120_000)
    other.close()
    assert ui_server.api("GET", f"endpoints/{endpoint}").status_code in (200, 404)


@pytest.mark.timeout(600)
def test_given_an_endpoint_with_two_variants_when_invoked_then_the_charts_split_traffic_per_variant(
        ui_server, lab_page, artifacts):
    page = lab_page
    model = seed_sklearn_model(ui_server)
    endpoint = f"{model}-ab"
    # Given an endpoint whose traffic is split over two variants (version 1 and version 2)...
    created = ui_server.api("POST", "endpoints", json={"name": endpoint, "variants": [
        {"name": "blue", "model": f"models:/{model}/1", "weight": 1},
        {"name": "green", "model": f"models:/{model}/2", "weight": 1}]})
    assert created.status_code == 201, created.text
    try:
        open_lab(page, ui_server)
        show_sidebar(page, "jp-studio-endpoints-panel")
        row = page.locator(f'.jp-studio-EndpointsPanel .jp-studio-endpoint-row[data-endpoint-name="{endpoint}"]')
        page.wait_for_selector(f'.jp-studio-EndpointsPanel .jp-studio-endpoint-row[data-endpoint-name="{endpoint}"]'
                               '[data-status="InService"]', timeout=180_000)
        # ...when it answers 40 calls (the router spreads them by weight)...
        columns = ui_server.api("GET", f"models/{model}/versions/1").json()["input_example"]
        served = set()
        for _ in range(40):
            answer = ui_server.session.post(f"{ui_server.url}studio/endpoints/{endpoint}/invocations",
                                            json={"dataframe_split": columns}, headers=ui_server.headers)
            assert answer.status_code == 200, answer.text
            served.add(answer.headers.get("X-Studio-Variant"))
        assert served == {"blue", "green"}, served

        # ...then its view draws the whole endpoint and one line per variant (invocations and p99).
        row.click()
        detail = page.locator(f'.jp-studio-EndpointDetail[data-endpoint-name="{endpoint}"]')
        detail.wait_for()
        page.wait_for_function(TOTALS_FROM_HISTORY_JS, arg=40, timeout=60_000)
        page.wait_for_selector(f'.jp-studio-EndpointDetail[data-endpoint-name="{endpoint}"] '
                               '[data-testid="endpoint-invocations-chart"][data-series="3"]')
        assert detail.locator('[data-testid="endpoint-latency-chart"]').get_attribute("data-series") == "5"  # p50, p90, p99 + a p99 per variant
        chart = detail.locator('[data-testid="endpoint-invocations-chart"]')
        assert chart.locator("canvas").evaluate(DRAWN_PIXELS_JS) > 1000
        detail.locator('[data-testid="endpoint-metrics"]').scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / "endpoints-11-two-variants.png"))
    finally:
        ui_server.api("DELETE", f"endpoints/{endpoint}")
