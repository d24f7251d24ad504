"""Notebook and script jobs end to end through a real agent, real kernels, papermill and MLflow."""

from __future__ import annotations

import json

import nbformat
import pytest
from mlflow.tracking import MlflowClient

from studio_ext.schemas import JobStatus

pytestmark = pytest.mark.slow


def test_given_a_parameterized_notebook_when_run_as_a_job_then_outputs_progress_and_mlflow_run(running_studio):
    s = running_studio
    (s.root / "proj").mkdir()
    (s.root / "proj" / "data.txt").write_text("42")
    s.notebook("proj/train.ipynb", parameters="alpha = 0.1\nepochs = 1", cells=[
        # Before mlflow runs: its start_run consumes (unsets) MLFLOW_RUN_ID.
        "import os\nopen(os.path.join(os.environ['STUDIO_OUTPUT_DIR'], 'env.json'), 'w').write(__import__('json').dumps("
        "{k: os.environ.get(k) for k in ['STUDIO_JOB_ID', 'MLFLOW_RUN_ID', 'MY_VAR']}))",
        "import mlflow\nvalue = int(open('data.txt').read())  # relative read, as interactively",
        "mlflow.log_metric('score', alpha * value)\nprint('alpha is', alpha, 'epochs', epochs)",
    ])
    job_id = s.submit(input="proj/train.ipynb", parameters={"alpha": 0.5, "epochs": 3},
                      environment={"MY_VAR": "hello"}, experiment_name="e2e-exp")
    job = s.wait(job_id)
    assert job.status == JobStatus.COMPLETED, (job.status_reason, s.log(job_id))
    assert job.progress.cells_done == job.progress.cells_total == 5  # 4 code cells + injected parameters
    assert job.started_at and job.ended_at and job.ended_at >= job.started_at
    names = {o.name: o.kind for o in job.outputs}
    assert names["output.ipynb"] == "notebook" and names["output.html"] == "html" and names["job.log"] == "log"

    executed = nbformat.read(str(s.jobs.output_file(job_id, "output.ipynb")), as_version=4)
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert "alpha = 0.5" in injected[0].source and "epochs = 3" in injected[0].source
    assert "alpha is 0.5 epochs 3" in s.log(job_id)
    assert "IProgress not found" not in s.log(job_id)  # the kernel has ipywidgets: no red TqdmWarning
    assert "alpha is 0.5" in s.jobs.output_file(job_id, "output.html").read_text()
    env = json.loads(s.jobs.output_file(job_id, "env.json").read_text())
    assert env == {"STUDIO_JOB_ID": job_id, "MLFLOW_RUN_ID": job.mlflow_run_id, "MY_VAR": "hello"}

    run = MlflowClient(s.settings.mlflow_tracking_uri).get_run(job.mlflow_run_id)
    assert run.info.status == "FINISHED"
    assert run.data.params == {"alpha": "0.5", "epochs": "3"}
    assert run.data.metrics["score"] == 21.0
    assert run.data.tags["studio.job_id"] == job_id
    experiment = MlflowClient(s.settings.mlflow_tracking_uri).get_experiment(run.info.experiment_id)
    assert experiment.name == "e2e-exp"
    assert experiment.artifact_location.startswith((s.settings.home / "mlartifacts").as_uri())


def test_given_a_failing_cell_when_run_then_failed_naming_the_cell_and_error(running_studio):
    s = running_studio
    s.notebook("bad.ipynb", cells=["x = 1", "y = x / 0", "print('never')"])
    job = s.wait(s.submit(input="bad.ipynb"))
    assert job.status == JobStatus.FAILED
    assert "cell 1" in job.status_reason and "ZeroDivisionError" in job.status_reason
    assert "y = x / 0" in job.status_reason
    # Progress tells the truth: the first cell ran, the failing one and the one after did not.
    assert (job.progress.cells_done, job.progress.cells_total) == (1, 3)
    assert {"output.ipynb", "output.html"} <= {o.name for o in job.outputs}
    run = MlflowClient(s.settings.mlflow_tracking_uri).get_run(job.mlflow_run_id)
    assert run.info.status == "FAILED"


def test_given_a_script_when_run_then_argv_env_and_exit_code(running_studio):
    s = running_studio
    (s.root / "algo" / "lib").mkdir(parents=True)
    (s.root / "algo" / "lib" / "helper.py").write_text("NAME = 'helper'\n")
    (s.root / "algo" / "train.py").write_text(
        "import json, os, sys\nfrom lib.helper import NAME\n"
        "out = os.environ['STUDIO_OUTPUT_DIR']\n"
        "json.dump({'argv': sys.argv[1:], 'helper': NAME, 'cwd': os.getcwd(),\n"
        "           'env': {k: os.environ.get(k) for k in ['STUDIO_JOB_ID', 'MLFLOW_RUN_ID', 'MLFLOW_TRACKING_URI', 'X']}},\n"
        "          open(os.path.join(out, 'seen.json'), 'w'))\n"
        "print('trained')\n")
    job_id = s.submit(input="algo/train.py", parameters={"epochs": 3, "lr": 0.1, "fast": True, "tag": "a b",
                                                          "skip": None, "layers": [1, 2]},
                      environment={"X": "1"})
    job = s.wait(job_id)
    assert job.status == JobStatus.COMPLETED, (job.status_reason, s.log(job_id))
    assert job.exit_code == 0
    seen = json.loads(s.jobs.output_file(job_id, "seen.json").read_text())
    assert seen["argv"] == ["--epochs", "3", "--lr", "0.1", "--fast", "true", "--tag", "a b", "--layers", "[1, 2]"]
    assert seen["helper"] == "helper"
    assert seen["cwd"] == str(s.settings.job_dir(job_id) / "input")
    assert seen["env"] == {"STUDIO_JOB_ID": job_id, "MLFLOW_RUN_ID": job.mlflow_run_id,
                           "MLFLOW_TRACKING_URI": s.settings.mlflow_tracking_uri, "X": "1"}
    assert "trained" in s.log(job_id)
    run = MlflowClient(s.settings.mlflow_tracking_uri).get_run(job.mlflow_run_id)
    assert run.info.status == "FINISHED" and run.data.params["epochs"] == "3"


def test_given_a_failing_script_when_run_then_exit_code_and_last_stderr_line(running_studio):
    s = running_studio
    (s.root / "fail").mkdir()
    (s.root / "fail" / "boom.py").write_text("import sys\nprint('working')\nsys.exit('boom: bad data')\n")
    job = s.wait(s.submit(input="fail/boom.py"))
    assert job.status == JobStatus.FAILED and job.exit_code == 1
    assert job.status_reason == "script exited with code 1: boom: bad data"
