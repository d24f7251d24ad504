"""The MLflow UI opens from the studio's config URL, behind Jupyter's auth, on the studio's own store."""

from __future__ import annotations

import pytest
import requests

from studio_ext import tracking

pytestmark = pytest.mark.ui


def test_given_a_run_when_the_mlflow_ui_is_opened_then_it_shows_the_studios_experiment(ui_server, lab_page):
    home = ui_server.studio_home
    uri = f"sqlite:///{home / 'mlflow.db'}"
    client = tracking.client(uri, home)
    exp = tracking.get_or_create_experiment(client, uri, home, "ui-mlflow-check")
    run = client.create_run(exp)
    client.log_metric(run.info.run_id, "acc", 0.93)
    client.set_terminated(run.info.run_id)
    config = requests.get(f"{ui_server.url}studio/api/config", headers=ui_server.headers, timeout=30).json()
    origin = "/".join(ui_server.url.split("/", 3)[:3])  # mlflow_ui_url is a path on this server

    # The first visit starts the MLflow server: the studio's "starting" page reloads itself until then.
    lab_page.goto(f"{origin}{config['mlflow_ui_url']}?token={ui_server.token}")
    lab_page.get_by_text("ui-mlflow-check").first.wait_for(timeout=240_000)
    lab_page.get_by_text("ui-mlflow-check").first.click()

    lab_page.wait_for_url(f"**/studio/mlflow/**#/experiments/{exp}**", timeout=60_000)
    assert "MLflow" in lab_page.title()
