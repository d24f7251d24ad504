"""TransformService + the agent's TransformReconciler: a real transform process on real files."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pytest
from serving_models import registered_models  # noqa: F401

from studio_ext import schemas, tracking
from studio_ext.exceptions import InvalidParameter, NotFound
from studio_ext.runner.reconcilers.transform import TransformReconciler
from studio_ext.services.transform import TransformService
from studio_ext.settings import StudioSettings
from studio_ext.store.db import Database


@pytest.fixture
def env(tmp_path: Path, registered_models):  # noqa: F811
    home, root = tmp_path / "home", tmp_path / "root"
    root.mkdir()
    settings = StudioSettings.from_env(home=home, db_url=f"sqlite:///{tmp_path / 'studio.db'}",
                                       mlflow_tracking_uri=registered_models.tracking_uri, server_root=root)
    db = Database(settings.db_url)
    service = TransformService(db, settings, lambda: tracking.client(settings.mlflow_tracking_uri))
    runner = TransformReconciler(db, settings, "agent-a", lambda a: a == "agent-a")
    return service, runner, root


def drive(runner, service, job_id, timeout=120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runner.reconcile()
        described = service.describe(job_id)
        if described.status in (schemas.JobStatus.COMPLETED, schemas.JobStatus.FAILED):
            return described
        time.sleep(0.2)
    raise AssertionError(service.describe(job_id))


def test_given_a_folder_of_files_when_transformed_then_completed_with_outputs_and_progress(env, registered_models):  # noqa: F811
    service, runner, root = env
    df = pd.DataFrame(registered_models.rows * 25, columns=registered_models.columns)
    (root / "data").mkdir()
    df.to_csv(root / "data" / "a.csv", index=False)
    df.to_parquet(root / "data" / "b.parquet", index=False)
    job = service.create(schemas.CreateTransformJob(model="models:/lr@champion", input="data", join_input=True),
                         "alice")
    assert job.status == schemas.JobStatus.QUEUED and job.output == f"transform-output/{job.transform_job_id}"
    done = drive(runner, service, job.transform_job_id)
    assert done.status == schemas.JobStatus.COMPLETED, done.status_reason
    assert (done.model_version, done.files_total, done.files_done, done.rows_done) == ("1", 2, 2, 2 * len(df))
    assert sorted(done.outputs) == [f"{job.output}/a.out.csv", f"{job.output}/b.out.parquet"]
    out = pd.read_csv(root / job.output / "a.out.csv")
    assert out["prediction"].tolist() == registered_models.expected * 25
    assert [j.transform_job_id for j in service.list().items] == [job.transform_job_id]


def test_given_a_bad_row_then_failed_with_its_location(env, registered_models):  # noqa: F811
    service, runner, root = env
    df = pd.DataFrame(registered_models.rows, columns=registered_models.columns).astype(object)
    df.loc[7, "worst area"] = "huge"
    df.to_csv(root / "bad.csv", index=False)
    job = service.create(schemas.CreateTransformJob(model="models:/lr/1", input="bad.csv"), None)
    done = drive(runner, service, job.transform_job_id)
    assert done.status == schemas.JobStatus.FAILED
    assert "bad.csv, row 7 (line 9): column 'worst area': expected a number, got 'huge'" in done.status_reason


def test_given_bad_requests_then_errors_name_the_field(env):
    service, _runner, root = env
    (root / "x.csv").write_text("a\n1\n")
    with pytest.raises(NotFound, match="input"):
        service.create(schemas.CreateTransformJob(model="models:/lr/1", input="nope.csv"), None)
    with pytest.raises(InvalidParameter, match="outside the server root"):
        service.create(schemas.CreateTransformJob(model="models:/lr/1", input="../x.csv"), None)
    with pytest.raises(InvalidParameter, match="input: .*not a usable path"):  # a name over 255 bytes
        service.create(schemas.CreateTransformJob(model="models:/lr/1", input="0" * 1024), None)
    with pytest.raises(InvalidParameter, match="output: .*not a usable path"):
        service.create(schemas.CreateTransformJob(model="models:/lr/1", input="x.csv", output="0" * 1024), None)
    with pytest.raises(NotFound, match="model"):
        service.create(schemas.CreateTransformJob(model="models:/ghost/1", input="x.csv"), None)
    with pytest.raises(InvalidParameter, match="instance_type"):
        service.create(schemas.CreateTransformJob(model="models:/lr/1", input="x.csv", instance_type="big"), None)
    with pytest.raises(NotFound):
        service.describe("nope")


def test_given_more_transform_jobs_than_slots_then_the_rest_wait_in_the_queue_and_all_complete(env, registered_models):  # noqa: F811
    service, runner, root = env
    pd.DataFrame(registered_models.rows * 10, columns=registered_models.columns).to_csv(root / "s.csv", index=False)
    # local.small has 2 slots (the default catalog), shared with jobs of that type
    jobs = [service.create(schemas.CreateTransformJob(model="models:/lr/1", input="s.csv", instance_type="local.small"),
                           None).transform_job_id for _ in range(3)]
    runner.reconcile()
    described = [service.describe(j) for j in jobs]
    assert [d.status for d in described] == [schemas.JobStatus.IN_PROGRESS] * 2 + [schemas.JobStatus.QUEUED]
    assert described[2].status_reason == "waiting for a free local.small slot (2 of 2 in use)"
    done = [drive(runner, service, j) for j in jobs]
    assert [d.status for d in done] == [schemas.JobStatus.COMPLETED] * 3
    assert done[2].status_reason is None and done[2].started_at >= min(d.ended_at for d in done[:2])
