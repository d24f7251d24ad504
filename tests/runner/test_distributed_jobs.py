"""Distributed jobs (`instance_count > 1`): a torch.distributed group of one process per instance,
for script jobs and the torch algorithms; every rank's log, rank 0's MLflow run, a failing rank
named, nothing listening beyond loopback, and refusals for what cannot run as a group."""

from __future__ import annotations

import json
import os
import time

import nbformat
import pytest
from mlflow import MlflowClient

from studio_ext import schemas
from studio_ext.exceptions import InvalidParameter
from studio_ext.schemas import JobStatus

from .test_algorithm_jobs import digits_channels, ratings, service, write_splits  # noqa: F401 (a fixture)

GROUP_SCRIPT = '''
import json, os, psutil, torch, torch.distributed as dist

dist.init_process_group("gloo")
rank = dist.get_rank()
total = torch.tensor([rank + 1.0])
dist.all_reduce(total)
seen = {"rank": rank, "world": dist.get_world_size(), "sum": total.item(), "cpus": sorted(os.sched_getaffinity(0)),
        "host": os.environ["SM_CURRENT_HOST"], "hosts": json.loads(os.environ["SM_HOSTS"]),
        "threads": torch.get_num_threads()}
if rank == 0:  # what the group (this rank's parent) and its ranks listen on
    group = psutil.Process(os.getppid())
    seen["listening"] = sorted({c.laddr.ip for p in [group, *group.children(recursive=True)]
                                for c in p.net_connections("inet") if c.status == psutil.CONN_LISTEN})
dist.barrier()
print(f"rank {rank} of {dist.get_world_size()} summed {total.item()}", flush=True)
out = os.environ["SM_OUTPUT_DATA_DIR"]
json.dump(seen, open(os.path.join(out, f"rank-{rank}.json"), "w"))
dist.destroy_process_group()
'''

FAILING_SCRIPT = '''
import os, torch.distributed as dist

dist.init_process_group("gloo")
if dist.get_rank() == 1:
    raise ValueError("rank one found no shard to read")
dist.barrier()  # rank 0 waits here for a rank that never comes
'''


def test_given_a_script_job_on_two_instances_then_its_ranks_train_together_each_on_its_cpus_and_on_loopback(
        running_studio):
    s = running_studio
    (s.root / "dist").mkdir()
    (s.root / "dist" / "train.py").write_text(GROUP_SCRIPT)

    job = s.wait(s.submit(input="dist/train.py", instance_count=2, instance_type="test.wide"))

    assert job.status == JobStatus.COMPLETED, (job.status_reason, s.log(job.job_id))
    assert job.instance_count == 2
    log = s.log(job.job_id)
    assert "[rank 0] rank 0 of 2 summed 3.0" in log and "[rank 1] rank 1 of 2 summed 3.0" in log, log
    ranks = [json.loads(s.jobs.output_file(job.job_id, f"data/rank-{r}.json").read_text()) for r in (0, 1)]
    assert [(r["rank"], r["world"], r["sum"], r["host"]) for r in ranks] == [(0, 2, 3.0, "algo-1"), (1, 2, 3.0, "algo-2")]
    assert ranks[0]["hosts"] == ["algo-1", "algo-2"]
    if len(os.sched_getaffinity(0)) >= 2:  # each instance on its own CPU (test.wide: 1 vCPU)
        assert len(ranks[0]["cpus"]) == len(ranks[1]["cpus"]) == 1 and ranks[0]["cpus"] != ranks[1]["cpus"]
        assert ranks[0]["threads"] == ranks[1]["threads"] == 1
    assert ranks[0]["listening"] and set(ranks[0]["listening"]) == {"127.0.0.1"}, ranks[0]["listening"]


def test_given_a_rank_that_fails_then_the_job_fails_at_once_naming_the_rank_and_its_error(running_studio):
    s = running_studio
    (s.root / "dist-fail").mkdir()
    (s.root / "dist-fail" / "train.py").write_text(FAILING_SCRIPT)
    started = time.monotonic()

    job = s.wait(s.submit(input="dist-fail/train.py", instance_count=2, instance_type="test.wide"))

    assert job.status == JobStatus.FAILED, (job.status_reason, s.log(job.job_id))
    assert "rank 1 failed with exit code 1: ValueError: rank one found no shard to read" in job.status_reason
    assert time.monotonic() - started < 90  # rank 0, waiting in its barrier, was ended rather than left to time out
    assert "[rank 1] Traceback" in s.log(job.job_id)


def test_given_the_image_classifier_on_two_instances_then_they_train_one_model_logged_once_by_rank_0(running_studio):
    s = running_studio
    digits_channels(s.root / "dist-digits")

    job = s.wait(s.submit(algorithm="image-classifier", hyperparameters={"epochs": 4}, instance_count=2,
                          channels={"train": "dist-digits/digits/train.npz",
                                    "validation": "dist-digits/digits/validation"},
                          checkpoint=True, instance_type="test.wide"))

    assert job.status == JobStatus.COMPLETED, (job.status_reason, s.log(job.job_id))
    log = s.log(job.job_id)
    assert "as rank 0 of 2" in log and "as rank 1 of 2" in log and "[rank 1] [train] epoch 4/4" in log, log
    assert job.training.result.metrics["validation:accuracy"] > 0.9, job.training.result.metrics
    history = MlflowClient(s.settings.mlflow_tracking_uri).get_metric_history(job.mlflow_run_id, "validation:loss")
    assert [m.step for m in history] == [1, 2, 3, 4]  # one curve: rank 0's
    assert (s.settings.job_dir(job.job_id) / "checkpoints" / "checkpoint.pt").is_file()


def test_given_factorization_machines_on_two_instances_then_the_recommender_learns_as_on_one(running_studio):
    import numpy as np
    import pandas as pd

    s = running_studio
    frame = ratings()
    write_splits(frame, s.root / "dist-ratings", int(len(frame) * 0.8))

    job = s.wait(s.submit(algorithm="factorization-machines", instance_count=2, instance_type="test.wide",
                          hyperparameters={"num_factors": 8, "epochs": 60, "mini_batch_size": 64, "learning_rate": 0.02},
                          channels={"train": "dist-ratings/train.csv", "validation": "dist-ratings/validation.csv"}))

    assert job.status == JobStatus.COMPLETED, (job.status_reason, s.log(job.job_id))
    validation = pd.read_csv(s.root / "dist-ratings" / "validation.csv")
    mean_only = float(np.sqrt(((validation["rating"] - frame["rating"].mean()) ** 2).mean()))
    assert job.training.result.metrics["validation:rmse"] < 0.8 * mean_only, (job.training.result.metrics, mean_only)


@pytest.mark.parametrize(("fields", "message"), [
    ({"input": "nb.ipynb", "instance_count": 2}, "instance_count: a notebook job runs on one instance"),
    ({"input": "train.py", "instance_count": 2, "instance_type": "local.large"},
     "instance_count: local.large runs at most 1 at once"),
    ({"algorithm": "knn", "channels": {"train": "cancer/train.csv"}, "instance_count": 2},
     "instance_count: knn trains on one instance"),
])
def test_given_a_group_that_cannot_run_then_400_names_instance_count(service, fields, message):  # noqa: F811
    root = service.settings.server_root
    nbformat.write(nbformat.v4.new_notebook(), str(root / "nb.ipynb"))
    (root / "train.py").write_text("print('hi')\n")
    with pytest.raises(InvalidParameter) as err:
        service.create_job(schemas.CreateJob(**fields), "alice")
    assert err.value.message.startswith(message), err.value.message
    assert "image-classifier" in err.value.message or "notebook" in err.value.message or "local.large" in message
