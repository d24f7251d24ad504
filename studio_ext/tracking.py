"""MLflow glue: each job attempt gets a run (experiment get-or-create, job-id tag, params, final status).

Uses MlflowClient with an explicit tracking URI (never the fluent global state), so the agent and
job processes can talk to any store without touching the user's environment.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

from . import paths

JOB_ID_TAG = "studio.job_id"
PARENT_RUN_TAG = "studio.parent_run_id"  # a job tag that makes its run a child of that run
# Job status -> MLflow RunStatus name.
RUN_STATUS_FOR_JOB = {"Completed": "FINISHED", "Failed": "FAILED", "Stopped": "KILLED"}
_MAX_PARAM_VALUE = 6000  # MLflow's limit for a param value


_IMPORT_LOCK = threading.Lock()
_imported = False


def import_mlflow() -> None:
    """Import MLflow's client modules once per process, under one lock.

    NB: two threads importing MLflow at once (e.g. the first requests of a freshly started server,
    each on its own executor thread) can see each other's half-initialised modules ("partially
    initialized module 'mlflow'") and the broken module stays in sys.modules until restart. Every
    MLflow user in the server goes through here first (MlflowAccess), so only one thread imports.
    """
    global _imported
    if _imported:
        return
    with _IMPORT_LOCK:
        if not _imported:
            import mlflow  # noqa: F401
            import mlflow.exceptions  # noqa: F401
            import mlflow.store.tracking.sqlalchemy_store  # noqa: F401
            import mlflow.tracking  # noqa: F401

            _imported = True


def is_local_store(tracking_uri: str) -> bool:
    """SQLite or file stores live on this machine: their experiments get artifacts under STUDIO_HOME
    (MLflow's own default is ./mlruns relative to whatever the cwd is, which scatters artifacts)."""
    return tracking_uri.startswith(("sqlite:", "file:", "/")) or "://" not in tracking_uri


def client(tracking_uri: str, home: Path | None = None, registry_uri: str | None = None):
    """An MlflowClient on `tracking_uri` whose model registry is `registry_uri` (default: the
    tracking store), whatever mlflow.set_registry_uri() the process carries. For a local store
    the first use creates and migrates its schema, and two processes doing that at once corrupt
    the migration: a file lock in STUDIO_HOME serialises it."""
    import_mlflow()
    from mlflow.tracking import MlflowClient

    registry_uri = registry_uri or tracking_uri
    if home is None or not is_local_store(tracking_uri):
        return MlflowClient(tracking_uri=tracking_uri, registry_uri=registry_uri)
    import fcntl

    paths.private_sqlite_file(tracking_uri)
    with paths.private_open(Path(home) / ".mlflow-init.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        mc = MlflowClient(tracking_uri=tracking_uri, registry_uri=registry_uri)
        mc.search_experiments(max_results=1)  # forces the store (and its migrations) now
        return mc


def get_or_create_experiment(mlflow_client, tracking_uri: str, home: Path, name: str) -> str:
    from mlflow.exceptions import MlflowException

    experiment = mlflow_client.get_experiment_by_name(name)
    if experiment is not None:
        return experiment.experiment_id
    location = None
    if is_local_store(tracking_uri):
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "experiment"
        location = f"{paths.default_artifact_root(home)}/{slug}"
    try:
        return mlflow_client.create_experiment(name, artifact_location=location)
    except MlflowException:
        # Another job created it between our lookup and our create.
        experiment = mlflow_client.get_experiment_by_name(name)
        if experiment is None:
            raise
        return experiment.experiment_id


def start_run(tracking_uri: str, home: Path, *, experiment_name: str, job_id: str, job_name: str,
              attempt: int, parameters: dict[str, Any], tags: dict[str, str] | None = None,
              mlflow_client=None) -> tuple[str, str]:
    """Create the run of one job attempt; returns (experiment_id, run_id)."""
    from mlflow.entities import Param

    mc = mlflow_client or client(tracking_uri, home)
    experiment_id = get_or_create_experiment(mc, tracking_uri, home, experiment_name)
    run_tags = {JOB_ID_TAG: job_id, "studio.job_name": job_name, "studio.attempt": str(attempt),
                "mlflow.runName": f"{job_name}-{job_id[:8]}" + (f"-attempt{attempt}" if attempt > 1 else "")}
    for key, value in (tags or {}).items():
        # studio.* tags are the studio's own links (e.g. studio.reproduces_job_id): keep their name.
        # (never overriding the job id and name set above).
        run_tags.setdefault(key if key.startswith("studio.") else f"studio.tag.{key}", str(value))
    if run_tags.get(PARENT_RUN_TAG):  # a tuning trial: its run is a child of the tuning job's run
        run_tags["mlflow.parentRunId"] = run_tags[PARENT_RUN_TAG]
    run = mc.create_run(experiment_id, tags=run_tags)
    params = [Param(str(k)[:250], _param_value(v)) for k, v in parameters.items()]
    if params:
        mc.log_batch(run.info.run_id, params=params)
    return experiment_id, run.info.run_id


def _param_value(value: Any) -> str:
    import json

    text = value if isinstance(value, str) else json.dumps(value)
    return text[:_MAX_PARAM_VALUE]


def finish_run(tracking_uri: str, run_id: str, job_status: str, mlflow_client=None) -> None:
    """Mirror a terminal job status onto its run (FINISHED / FAILED / KILLED)."""
    mc = mlflow_client or client(tracking_uri)
    mc.set_terminated(run_id, status=RUN_STATUS_FOR_JOB.get(job_status, "FAILED"))
