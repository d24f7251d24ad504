"""Experiments and runs through the SDK: `studio.experiments.runs(...)`, `studio.runs.compare([...])`."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from ..schemas import (
    ArtifactInfo,
    CompareRuns,
    DescribeExperiment,
    DescribeRun,
    MetricHistory,
    RunSummary,
)

if TYPE_CHECKING:
    from .client import Studio


def _q(text: str) -> str:
    return quote(str(text), safe="")


class ExperimentsClient:
    """`studio.experiments`: list and describe MLflow experiments, search their runs."""

    def __init__(self, studio: Studio):
        self._studio = studio

    def iter(self, *, name: str | None = None, view: str | None = None, order_by: str | None = None,
             page_size: int = 100) -> Iterator[DescribeExperiment]:
        token = None
        while True:
            data = self._studio._http.get("experiments", name=name, view=view, order_by=order_by,
                                          max_items=page_size, next_token=token)
            yield from (DescribeExperiment.model_validate(item) for item in data["items"])
            token = data.get("next_token")
            if not token:
                return

    def list(self, *, name: str | None = None, view: str | None = None, order_by: str | None = None,
             max_items: int = 100) -> list[DescribeExperiment]:
        """Up to `max_items` experiments; `name` is a substring of the experiment name."""
        out = []
        for experiment in self.iter(name=name, view=view, order_by=order_by, page_size=min(max_items, 1000)):
            out.append(experiment)
            if len(out) >= max_items:
                break
        return out

    def get(self, experiment_id: str) -> DescribeExperiment:
        """The experiment with this id (NotFound if none)."""
        return DescribeExperiment.model_validate(self._studio._http.get(f"experiments/{_q(experiment_id)}"))

    def find(self, name: str) -> DescribeExperiment | None:
        """The experiment with exactly this name, or None."""
        return next((e for e in self.iter(name=name) if e.name == name), None)

    def iter_runs(self, experiment_id: str, *, filter: str | None = None, order_by: str | list[str] | None = None,
                  view: str | None = None, page_size: int = 100) -> Iterator[RunSummary]:
        if isinstance(order_by, list | tuple):
            order_by = ",".join(order_by)
        token = None
        while True:
            data = self._studio._http.get(f"experiments/{_q(experiment_id)}/runs", filter=filter, order_by=order_by,
                                          view=view, max_items=page_size, next_token=token)
            yield from (RunSummary.model_validate(item) for item in data["items"])
            token = data.get("next_token")
            if not token:
                return

    def runs(self, experiment_id: str, *, filter: str | None = None, order_by: str | list[str] | None = None,
             view: str | None = None, max_items: int = 100) -> list[RunSummary]:
        """Runs of an experiment: `filter` in MLflow's search syntax (e.g. "metrics.acc > 0.9"),
        `order_by` like "metrics.acc DESC" (or a list). Newest first by default."""
        out = []
        for run in self.iter_runs(experiment_id, filter=filter, order_by=order_by, view=view,
                                  page_size=min(max_items, 1000)):
            out.append(run)
            if len(out) >= max_items:
                break
        return out


class RunsClient:
    """`studio.runs`: one run, its metric histories and artifacts; compare runs side by side."""

    def __init__(self, studio: Studio):
        self._studio = studio

    def get(self, run_id: str) -> DescribeRun:
        """Params, metrics, tags, artifact root, and the job that produced the run (if any)."""
        return DescribeRun.model_validate(self._studio._http.get(f"runs/{_q(run_id)}"))

    def metrics_history(self, run_id: str, key: str) -> MetricHistory:
        """Every logged value of metric `key`, ordered by step."""
        return MetricHistory.model_validate(
            self._studio._http.get(f"runs/{_q(run_id)}/metrics/{quote(key, safe='/')}/history"))

    def artifacts(self, run_id: str, path: str = "") -> list[ArtifactInfo]:
        """The entries of an artifact folder ('' is the run's artifact root)."""
        data = self._studio._http.get(f"runs/{_q(run_id)}/artifacts", path=path or None)
        return [ArtifactInfo.model_validate(item) for item in data["items"]]

    def download(self, run_id: str, path: str, dest: str | os.PathLike | None = None) -> Path:
        """Save one artifact file to `dest` (a file, or an existing folder; default: the current
        folder). Returns the written path."""
        response = self._studio._http.request("GET", f"runs/{_q(run_id)}/artifacts",
                                              params={"path": path, "download": True}, stream=True)
        if response.headers.get("Content-Type", "").startswith("application/json"):
            response.close()
            from ..exceptions import InvalidParameter

            raise InvalidParameter(f"path: {path!r} is a folder; download its files one by one")
        target = Path(dest) if dest is not None else Path.cwd()
        if target.is_dir():
            target = target / Path(path).name
        target.parent.mkdir(parents=True, exist_ok=True)
        with response, open(target, "wb") as fh:
            shutil.copyfileobj(response.raw, fh)
        return target

    def compare(self, run_ids: list[str]) -> CompareRuns:
        """Params and latest metrics of the runs side by side; rows flag where the runs differ."""
        return CompareRuns.model_validate(self._studio._http.get("runs/compare", run_ids=",".join(run_ids)))
