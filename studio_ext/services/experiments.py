"""Experiments and runs: MLflow search, run details with their job, metric histories, artifacts, compare."""

from __future__ import annotations

import posixpath
import shutil
import tempfile
from abc import ABC, abstractmethod
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .. import schemas
from ..exceptions import InvalidParameter, NotFound
from ..paths import OUTPUT_HTML, OUTPUT_NOTEBOOK
from ..tracking import JOB_ID_TAG
from .mlflow_common import (
    MlflowBackedService,
    artifact_repo,
    finite,
    mlflow_errors,
    ms_to_datetime,
    quote_filter_value,
)

REPRODUCES_JOB_TAG = "studio.reproduces_job_id"
REPRODUCES_RUN_TAG = "studio.reproduces_run_id"
# Tags MLflow writes for its own UI that are large and useless in a table.
_HIDDEN_TAGS = frozenset({"mlflow.log-model.history", "mlflow.source.git.diff"})
MAX_COMPARE = 50

_VIEW = {schemas.ViewType.ACTIVE: 1, schemas.ViewType.DELETED: 2, schemas.ViewType.ALL: 3}


def _order_by(text: str | None) -> list[str] | None:
    if not text:
        return None
    return [part.strip() for part in text.split(",") if part.strip()]


def run_summary(run) -> schemas.RunSummary:
    """An MLflow Run as the studio's run row."""
    return schemas.RunSummary(**_run_fields(run))


def _run_fields(run) -> dict[str, Any]:
    """The RunSummary fields of an MLflow Run (DescribeRun adds its own to them)."""
    info, data = run.info, run.data
    start, end = ms_to_datetime(info.start_time), ms_to_datetime(info.end_time)
    duration = None
    if start is not None:
        # A running run's duration grows; a finished one without end_time stays unknown.
        if end is not None:
            duration = (end - start).total_seconds()
        elif info.status == "RUNNING":
            duration = (datetime.now(UTC) - start).total_seconds()
    tags = {k: v for k, v in (data.tags or {}).items() if k not in _HIDDEN_TAGS}
    return dict(
        run_id=info.run_id, name=info.run_name or tags.get("mlflow.runName"), experiment_id=info.experiment_id,
        status=info.status, start_time=start, end_time=end, duration_seconds=duration,
        job_id=tags.get(JOB_ID_TAG), user_id=info.user_id or None, lifecycle_stage=info.lifecycle_stage,
        params=dict(data.params or {}), metrics={k: finite(v) for k, v in (data.metrics or {}).items()},
        tags=tags)


def _experiment(exp) -> schemas.DescribeExperiment:
    return schemas.DescribeExperiment(
        experiment_id=exp.experiment_id, name=exp.name, artifact_location=exp.artifact_location,
        lifecycle_stage=exp.lifecycle_stage, tags=dict(exp.tags or {}),
        creation_time=ms_to_datetime(exp.creation_time), last_update_time=ms_to_datetime(exp.last_update_time))


def clean_artifact_path(path: str, field: str = "path") -> str:
    """A relative, normalised artifact path ('' for the root); InvalidParameter if it escapes."""
    text = (path or "").strip().strip("/")
    if not text:
        return ""
    if "\0" in text or "\\" in text:
        raise InvalidParameter(f"{field}: invalid artifact path {path!r}")
    normal = posixpath.normpath(text)
    if normal.startswith("..") or normal.startswith("/"):
        raise InvalidParameter(f"{field}: {path!r} is outside the run's artifacts")
    return "" if normal == "." else normal


class BaseExperimentService(MlflowBackedService, ABC):
    """Experiments and runs of the studio's MLflow tracking store, linked to the jobs that made them.

    Built as `cls(settings, job_service, mlflow)` by the server (c.StudioApp.
    experiment_service_class), sharing one MlflowAccess with the registry; `job_service`
    (optional) describes a run's job. Every method may block on MLflow (a remote server too) and
    raises StudioErrors only: NotFound naming the id, InvalidParameter naming the query field
    (filter, order_by, next_token, path), ServiceUnavailable when the store is unreachable.
    """

    @abstractmethod
    def list_experiments(self, query: schemas.ListExperimentsQuery) -> schemas.ListExperimentsResponse:
        """One page of experiments (name substring, view, order_by, MLflow's page token)."""

    @abstractmethod
    def get_experiment(self, experiment_id: str) -> schemas.DescribeExperiment:
        """NotFound for an unknown experiment."""

    @abstractmethod
    def search_runs(self, experiment_id: str, query: schemas.SearchRunsQuery) -> schemas.SearchRunsResponse:
        """One page of the experiment's runs (newest first unless order_by says otherwise). A bad
        `filter`/`order_by`/`next_token` is a 400 naming it; an unknown experiment a 404."""

    @abstractmethod
    def get_run(self, run_id: str) -> schemas.DescribeRun:
        """The run with its job (if the studio produced it and the job still exists), the paths
        of the job's executed notebook and HTML, and what it reproduces."""

    @abstractmethod
    def metric_history(self, run_id: str, key: str) -> schemas.MetricHistory:
        """Every logged value of one metric, by step then time. NotFound for an unknown key."""

    @abstractmethod
    def list_artifacts(self, run_id: str, path: str = "") -> schemas.ListArtifactsResponse | None:
        """The folder's entries (folders first), or None when `path` is a file (then use
        download_artifact). InvalidParameter for a path that escapes the run's artifacts."""

    @abstractmethod
    def download_artifact(self, run_id: str, path: str) -> tuple[Path, Path]:
        """Fetch one artifact file into a temporary folder: (file, folder the caller deletes
        afterwards). InvalidParameter for a folder."""

    @abstractmethod
    def compare_runs(self, run_ids: list[str]) -> schemas.CompareRuns:
        """Side by side: params and latest metrics per run, each row flagged when the runs
        differ. InvalidParameter for fewer than two or more than MAX_COMPARE distinct ids."""


class ExperimentService(BaseExperimentService):
    # ------------------------------------------------------------------ experiments

    def list_experiments(self, query: schemas.ListExperimentsQuery) -> schemas.ListExperimentsResponse:
        filter_string = f"name LIKE {quote_filter_value('%' + query.name + '%')}" if query.name else None
        # An error is the token's when one was given (it is the one part the user did not type).
        with mlflow_errors("next_token" if query.next_token else "order_by" if query.order_by else None):
            page = self.client.search_experiments(
                view_type=_VIEW[query.view], max_results=query.max_items, filter_string=filter_string,
                order_by=_order_by(query.order_by), page_token=query.next_token or None)
        return schemas.ListExperimentsResponse(items=[_experiment(e) for e in page], next_token=page.token or None)

    def get_experiment(self, experiment_id: str) -> schemas.DescribeExperiment:
        with mlflow_errors("experiment_id"):
            return _experiment(self.client.get_experiment(experiment_id))

    # ------------------------------------------------------------------ runs

    def search_runs(self, experiment_id: str, query: schemas.SearchRunsQuery) -> schemas.SearchRunsResponse:
        self.get_experiment(experiment_id)  # 404 for an unknown experiment, not an empty page
        order_by = _order_by(query.order_by) or ["attributes.start_time DESC"]
        if query.next_token:
            field = "next_token"
        elif query.filter:
            field = "filter"
        else:
            field = "order_by"
        # MLflow reports filter and order_by errors alike: check the filter alone first so the
        # message names the field that is wrong.
        if query.filter:
            with mlflow_errors("filter"):
                from mlflow.utils.search_utils import SearchUtils

                SearchUtils.parse_search_filter(query.filter)
        if query.order_by:
            with mlflow_errors("order_by"):
                from mlflow.utils.search_utils import SearchUtils

                for clause in order_by:
                    SearchUtils.parse_order_by_for_search_runs(clause)
        with mlflow_errors(field):
            page = self.client.search_runs([experiment_id], filter_string=query.filter or "",
                                           run_view_type=_VIEW[query.view], max_results=query.max_items,
                                           order_by=order_by, page_token=query.next_token or None)
        return schemas.SearchRunsResponse(items=[run_summary(r) for r in page], next_token=page.token or None)

    def _get_run(self, run_id: str):
        with mlflow_errors("run_id"):
            return self.client.get_run(run_id)

    def get_run(self, run_id: str) -> schemas.DescribeRun:
        run = self._get_run(run_id)
        tags = run.data.tags or {}
        job, notebook, html = None, None, None
        job_id = tags.get(JOB_ID_TAG)
        if job_id and self.job_service is not None:
            try:
                job = self.job_service.describe_job(job_id)
            except NotFound:  # the job was deleted; the run outlives it
                job = None
            if job is not None:
                names = {o.name for o in job.outputs}
                if OUTPUT_NOTEBOOK in names:
                    notebook = f"jobs/{job_id}/outputs/{OUTPUT_NOTEBOOK}"
                if OUTPUT_HTML in names:
                    html = f"jobs/{job_id}/outputs/{OUTPUT_HTML}"
        return schemas.DescribeRun(**_run_fields(run), artifact_uri=run.info.artifact_uri, job=job,
                                   job_notebook=notebook, job_notebook_html=html,
                                   reproduces_job_id=tags.get(REPRODUCES_JOB_TAG),
                                   reproduces_run_id=tags.get(REPRODUCES_RUN_TAG))

    def metric_history(self, run_id: str, key: str) -> schemas.MetricHistory:
        run = self._get_run(run_id)
        if key not in (run.data.metrics or {}):
            raise NotFound(f"key: run {run_id} has no metric {key!r}")
        with mlflow_errors("key"):
            history = self.client.get_metric_history(run_id, key)
        points = sorted(history, key=lambda m: (m.step, m.timestamp))
        return schemas.MetricHistory(run_id=run_id, key=key, points=[
            schemas.MetricPoint(step=m.step, value=finite(m.value), timestamp=ms_to_datetime(m.timestamp))
            for m in points])

    # ------------------------------------------------------------------ artifacts

    def _repo(self, run):
        return artifact_repo(run.info.artifact_uri, self.mlflow.tracking_uri)

    def _artifact_entry(self, run, path: str):
        """(is_dir, FileInfo|None) for `path`; NotFound if the run has nothing there."""
        if not path:
            return True, None
        run_id = run.info.run_id
        parent = posixpath.dirname(path)
        with mlflow_errors("path"):
            siblings = self._repo(run).list_artifacts(parent or None)
        for info in siblings:
            if info.path.strip("/") == path:
                return info.is_dir, info
        raise NotFound(f"path: run {run_id} has no artifact {path!r}")

    def list_artifacts(self, run_id: str, path: str = "") -> schemas.ListArtifactsResponse | None:
        run = self._get_run(run_id)
        path = clean_artifact_path(path)
        is_dir, _ = self._artifact_entry(run, path)
        if not is_dir:
            return None
        with mlflow_errors("path"):
            entries = self._repo(run).list_artifacts(path or None)
        items = [schemas.ArtifactInfo(path=e.path, is_dir=e.is_dir, file_size=e.file_size) for e in entries]
        items.sort(key=lambda e: (not e.is_dir, e.path))
        return schemas.ListArtifactsResponse(run_id=run_id, path=path, root_uri=run.info.artifact_uri, items=items,
                                             logged_models=[] if path else self._logged_models(run))

    def _logged_models(self, run) -> list[schemas.LoggedModelInfo]:
        """MLflow 3 keeps a run's logged models under models/m-..., outside its artifact root."""
        with mlflow_errors():
            found = self.client.search_logged_models(
                experiment_ids=[run.info.experiment_id],
                filter_string=f"source_run_id = {quote_filter_value(run.info.run_id)}", max_results=100)
        return [schemas.LoggedModelInfo(model_id=m.model_id, name=m.name, model_uri=f"models:/{m.model_id}",
                                        artifact_uri=m.artifact_location) for m in found]

    def download_artifact(self, run_id: str, path: str) -> tuple[Path, Path]:
        run = self._get_run(run_id)
        path = clean_artifact_path(path)
        if not path:
            raise InvalidParameter("path: the artifact root is a folder; list it instead")
        is_dir, _ = self._artifact_entry(run, path)
        if is_dir:
            raise InvalidParameter(f"path: {path!r} is a folder; list it instead")
        tmp = Path(tempfile.mkdtemp(prefix="studio-artifact-"))
        try:
            with mlflow_errors("path"):
                local = self._repo(run).download_artifacts(path, str(tmp))
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return Path(local), tmp

    # ------------------------------------------------------------------ compare

    def compare_runs(self, run_ids: list[str]) -> schemas.CompareRuns:
        ids = list(dict.fromkeys(r.strip() for r in run_ids if r.strip()))
        if len(ids) < 2:
            raise InvalidParameter("run_ids: give at least two distinct run ids")
        if len(ids) > MAX_COMPARE:
            raise InvalidParameter(f"run_ids: at most {MAX_COMPARE} runs can be compared")
        runs = [run_summary(self._get_run(r)) for r in ids]

        def rows(attr: str) -> list[schemas.CompareRow]:
            keys = sorted({k for run in runs for k in getattr(run, attr)})
            out = []
            for key in keys:
                values = [getattr(run, attr).get(key) for run in runs]
                out.append(schemas.CompareRow(key=key, values=values, differs=len({repr(v) for v in values}) > 1))
            return out

        return schemas.CompareRuns(run_ids=ids, runs=runs, params=rows("params"), metrics=rows("metrics"))
