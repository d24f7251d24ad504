"""`studio.algorithms` (the built-in catalog) and `studio.training` (algorithm jobs)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ..schemas import AlgorithmSpec
from . import widgets
from .jobs import Job

if TYPE_CHECKING:
    from .client import Studio


class Algorithm(AlgorithmSpec):
    """One catalog entry; in a notebook, a table of its hyperparameters."""

    def _repr_html_(self) -> str:
        return widgets.algorithm_html(self)


class Catalog(list[Algorithm]):
    """The algorithms; in a notebook, one row each."""

    def _repr_html_(self) -> str:
        return widgets.catalog_html(self)


class AlgorithmsClient:
    """`studio.algorithms.list()`, `studio.algorithms.get("xgboost")`."""

    def __init__(self, studio: Studio):
        self._studio = studio

    def list(self) -> Catalog:
        return Catalog(Algorithm.model_validate(a) for a in self._studio._http.get("algorithms")["items"])

    def get(self, name: str) -> Algorithm:
        return Algorithm.model_validate(self._studio._http.get(f"algorithms/{quote(name, safe='')}"))


class TrainingJob(Job):
    """A job training a built-in algorithm: also `.model_uri`, `.metrics` and `.deploy(...)`."""

    @property
    def model_uri(self) -> str | None:
        """models:/<name>/<version> when registered (register_as), else MLflow's models:/<model id>."""
        training = self._latest().training
        return training.result.model_uri if training and training.result else None

    @property
    def metrics(self) -> dict[str, float]:
        """The final value of every metric (e.g. validation:roc_auc)."""
        training = self._latest().training
        return dict(training.result.metrics) if training and training.result else {}

    def deploy(self, endpoint_name: str | None = None, **options: Any):
        """Deploy the registered model (train with register_as) as an endpoint; a Predictor."""
        uri = self.model_uri
        if not uri or not uri.removeprefix("models:/").count("/"):
            raise ValueError("deploy: only a registered model deploys; train with register_as=...")
        return self._studio.endpoints.deploy(uri, endpoint_name, **options)


class TrainingClient:
    """`studio.training.run("xgboost", channels={"train": "data/train.csv"}, hyperparameters={...})`."""

    def __init__(self, studio: Studio):
        self._studio = studio

    def run(self, algorithm: str, channels: dict[str, Any], hyperparameters: dict[str, Any] | None = None, *,
            register_as: str | None = None, instance_type: str | None = None, instance_count: int | None = None,
            name: str | None = None,
            timeout_seconds: int | None = None, max_retries: int | None = None, checkpoint: bool = False,
            tags: dict[str, str] | None = None, experiment_name: str | None = None, wait: bool = False,
            show_progress: bool | None = None) -> TrainingJob:
        """Train `algorithm` (GET algorithms) on `channels` (name -> a path under the server root, a
        local path of a file there, or {"path", "label", "content_type"}). With wait=True, returns once
        it ended (JobFailed if it failed). checkpoint=True: a retried attempt resumes from the last
        epoch the previous one saved (torch algorithms). instance_count > 1: the algorithm trains on
        that many instances together (the algorithms whose `supports_distributed` is true)."""
        def path_of(value: Any) -> Any:
            if isinstance(value, dict):
                return {**value, "path": self._studio.server_path(value["path"])}
            return self._studio.server_path(value)

        body: dict[str, Any] = {"kind": "algorithm", "algorithm": algorithm,
                                "channels": {k: path_of(v) for k, v in channels.items()},
                                "hyperparameters": hyperparameters or {}, "checkpoint": checkpoint}
        optional = {"register_as": register_as, "instance_type": instance_type, "instance_count": instance_count,
                    "name": name,
                    "timeout_seconds": timeout_seconds, "max_retries": max_retries, "tags": tags,
                    "experiment_name": experiment_name}
        body.update({k: v for k, v in optional.items() if v is not None})
        job = TrainingJob(self._studio, self._studio._http.post("jobs", body)["job_id"])
        if wait:
            job.wait(show_progress=show_progress)
        return job
