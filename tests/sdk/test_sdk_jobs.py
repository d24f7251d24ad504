"""The SDK's jobs API against a real server, agent, kernels, papermill and MLflow store."""

from __future__ import annotations

import json
import time

import mlflow
import nbformat
import pytest

from studio_ext.exceptions import InvalidParameter, NotFound, StudioError
from studio_ext.sdk import JobFailed, JobStatus, JobStopped, Studio, WaitTimeout

WAIT = 300  # generous: the machine is shared with other test runs


def wait_for_status(job, statuses, timeout=WAIT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = job.status
        if status in statuses:
            return status
        time.sleep(0.3)
    raise AssertionError(f"job {job.job_id} still {job.status} after {timeout}s")


def test_given_parameterized_notebook_when_run_and_waited_then_completed_with_outputs_logs_and_mlflow(
        studio, make_notebook, tmp_path):
    rel = make_notebook("sdk/params.ipynb", [
        "import mlflow\nmlflow.log_metric('score', alpha * 2)\nprint('alpha is', alpha, 'name is', name)",
    ], params="alpha = 0.1\nname = 'default'")

    job = studio.jobs.run(rel, parameters={"alpha": 0.5, "name": "sdk"}, instance_type="local.small",
                          timeout_seconds=600, max_retries=0, tags={"suite": "sdk"},
                          experiment_name="sdk-tests", name="sdk-params")
    assert job.wait(timeout=WAIT) is job

    assert job.status is JobStatus.COMPLETED
    d = job.describe()
    assert d.name == "sdk-params" and d.parameters == {"alpha": 0.5, "name": "sdk"}
    assert d.tags == {"suite": "sdk"} and d.experiment_name == "sdk-tests"
    assert d.progress.cells_total >= 2 and d.progress.cells_done == d.progress.cells_total
    names = {o.name for o in job.outputs}
    assert {"output.ipynb", "output.html"} <= names
    assert "alpha is 0.5 name is sdk" in job.logs()

    path = job.download("output.ipynb", tmp_path)
    executed = nbformat.read(path, as_version=4)
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected and "alpha = 0.5" in injected[0].source

    run = mlflow.MlflowClient(tracking_uri=studio.config().mlflow_tracking_uri).get_run(job.mlflow_run_id)
    assert run.data.metrics["score"] == pytest.approx(1.0)


def test_given_failing_notebook_when_waited_then_job_failed_names_the_cell_and_error(studio, make_notebook):
    rel = make_notebook("sdk/fails.ipynb", ["x = 1", "y = x / 0", "print('never')"])

    job = studio.jobs.run(rel)
    with pytest.raises(JobFailed) as info:
        job.wait(timeout=WAIT)

    assert not isinstance(info.value, JobStopped)
    assert job.status is JobStatus.FAILED
    assert "ZeroDivisionError" in info.value.reason
    assert "y = x / 0" in info.value.reason or "cell" in info.value.reason.lower()
    assert job.job_id in str(info.value)
    # raise_on_failure=False returns instead
    assert job.wait(raise_on_failure=False).status_reason == info.value.reason


def test_given_script_when_run_then_parameters_are_arguments_and_output_dir_files_are_outputs(
        studio, make_file, tmp_path):
    make_file("sdk_script/helper.py", "FACTOR = 3\n")
    rel = make_file("sdk_script/run.py", (
        "import argparse, json, os\nfrom helper import FACTOR\n"
        "p = argparse.ArgumentParser()\np.add_argument('--n', type=int)\np.add_argument('--label')\n"
        "a = p.parse_args()\n"
        "out = os.environ['STUDIO_OUTPUT_DIR']\n"
        "json.dump({'value': a.n * FACTOR, 'label': a.label, 'job': os.environ['STUDIO_JOB_ID']},"
        " open(os.path.join(out, 'result.json'), 'w'))\n"
        "print('done', a.n * FACTOR)\n"))

    job = studio.jobs.run(rel, parameters={"n": 4, "label": "x"}, wait=True)

    assert job.status is JobStatus.COMPLETED and job.kind.value == "script"
    assert "result.json" in {o.name for o in job.outputs}
    result = json.loads(job.download("result.json", tmp_path / "r.json").read_text())
    assert result == {"value": 12, "label": "x", "job": job.job_id}
    assert "done 12" in job.logs()


def test_given_running_job_when_stopped_then_wait_raises_job_stopped(studio, make_notebook):
    rel = make_notebook("sdk/sleepy.ipynb", ["import time\nfor _ in range(600):\n    time.sleep(0.5)"])
    job = studio.jobs.run(rel)
    wait_for_status(job, {JobStatus.IN_PROGRESS})

    job.stop()

    with pytest.raises(JobStopped):
        job.wait(timeout=WAIT)
    assert job.status is JobStatus.STOPPED


def test_given_short_wait_timeout_when_job_runs_longer_then_wait_timeout_and_job_keeps_running(
        studio, make_notebook):
    rel = make_notebook("sdk/long.ipynb", ["import time\ntime.sleep(120)"])
    job = studio.jobs.run(rel)
    try:
        with pytest.raises(WaitTimeout):
            job.wait(timeout=1, poll=0.2)
        assert not job.status.is_terminal
    finally:
        job.stop()
        job.wait(timeout=WAIT, raise_on_failure=False)


def test_given_queued_job_when_stopped_and_deleted_then_gone(studio, make_notebook):
    rel = make_notebook("sdk/quick.ipynb", ["print('hi')"])
    job = studio.jobs.run(rel, timeout_seconds=60)
    job.stop()
    job.wait(timeout=WAIT, raise_on_failure=False)
    assert job.status.is_terminal

    job.delete()

    with pytest.raises(NotFound):
        studio.jobs.get(job.job_id)


def test_given_jobs_when_listed_with_filters_then_matching_jobs_newest_first(studio, make_notebook):
    rel = make_notebook("sdk/listed.ipynb", ["print('listed')"])
    first = studio.jobs.run(rel, name="sdk-list-filter")
    second = studio.jobs.run(rel, name="sdk-list-filter")

    jobs = studio.jobs.list(name="sdk-list-filter")

    assert [j.job_id for j in jobs][:2] == [second.job_id, first.job_id]
    assert all(j.name == "sdk-list-filter" for j in jobs)
    assert studio.jobs.list(name="sdk-list-filter", max_items=1) == [second]
    assert studio.jobs.get(first.job_id).name == "sdk-list-filter"
    for job in (first, second):
        job.wait(timeout=WAIT)


def test_given_absolute_path_under_root_when_run_then_sent_relative(studio, live_studio, make_notebook):
    rel = make_notebook("sdk/abs.ipynb", ["print('abs')"])

    job = studio.jobs.run(live_studio.root_dir / rel)

    assert job.describe().input == rel
    job.wait(timeout=WAIT)


@pytest.mark.parametrize("kwargs, error, words", [
    ({"input": "sdk/no-such.ipynb"}, NotFound, ["input", "no-such.ipynb"]),
    ({"input": "/etc/hostname"}, InvalidParameter, ["input", "outside the server root"]),
    ({"input": "../outside.ipynb"}, InvalidParameter, ["input", "outside"]),
    ({"input": "sdk/plain.ipynb", "instance_type": "huge.metal"}, InvalidParameter, ["instance_type", "huge.metal"]),
    ({"input": "sdk/plain.ipynb", "parameters": {"a": 1}}, InvalidParameter, ["parameters", "parameters"]),
    ({"input": "sdk/plain.ipynb", "timeout_seconds": 0}, InvalidParameter, ["timeout_seconds"]),
])
def test_given_bad_input_when_run_then_studio_error_carries_the_servers_message(
        studio, make_notebook, kwargs, error, words):
    make_notebook("sdk/plain.ipynb", ["print(1)"])  # no parameters cell

    with pytest.raises(error) as info:
        studio.jobs.run(**kwargs)

    assert isinstance(info.value, StudioError)
    for word in words:
        assert word in info.value.message


def test_given_unknown_job_when_get_then_not_found(studio):
    with pytest.raises(NotFound, match="no-such-job"):
        studio.jobs.get("no-such-job")


def test_given_wrong_token_when_calling_then_auth_error_names_the_token(live_studio):
    bad = Studio(url=live_studio.url, token="wrong")
    with pytest.raises(StudioError) as info:
        bad.jobs.list()
    assert info.value.http_status in (401, 403)


def test_given_nothing_listening_when_calling_then_service_unavailable():
    from studio_ext.exceptions import ServiceUnavailable

    with pytest.raises(ServiceUnavailable, match="cannot reach"):
        Studio(url="http://127.0.0.1:9", token="x").config()


def test_server_facts_instance_types_and_config(studio, live_studio):
    config = studio.config()
    assert "jobs" in config.features and config.version
    assert config.server_root and config.studio_home
    names = [t.name for t in studio.instance_types()]
    assert "local.small" in names


def test_given_path_relative_to_the_current_folder_when_run_then_converted_to_the_server_root(
        studio, live_studio, make_notebook, monkeypatch, tmp_path):
    rel = make_notebook("sdk/cwd/here.ipynb", ["print('here')"])
    monkeypatch.chdir(live_studio.root_dir / "sdk" / "cwd")

    job = studio.jobs.run("here.ipynb")

    assert job.describe().input == rel
    job.wait(timeout=WAIT)

    # A local file outside the root is sent as its absolute path, and the server refuses it by name.
    outside = tmp_path / "outside.ipynb"
    outside.write_text((live_studio.root_dir / rel).read_text())
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InvalidParameter, match="outside the server root"):
        studio.jobs.run("outside.ipynb")


def test_notebook_parameters_and_audit_events(studio, make_notebook):
    rel = make_notebook("sdk/form.ipynb", ["print(alpha)"], params="alpha = 0.1\nname = 'x'")

    parameters = studio.notebook_parameters(rel)
    assert parameters["alpha"]["default"] == "0.1" and parameters["name"]["type"] == "str"

    job = studio.jobs.run(rel, parameters={"alpha": 1})
    job.stop()
    actions = {(e.action, e.outcome.value) for e in studio.audit_events(resource_id=job.job_id)}
    assert {("CreateJob", "Success"), ("StopJob", "Success")} <= actions
