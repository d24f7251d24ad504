"""The model registry through the SDK: `studio.models.register(run_id, "model", "fraud")`, aliases, lineage."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ..schemas import (
    DescribeModelVersion,
    DescribeRegisteredModel,
    ModelVersionSummary,
    RegisteredModelSummary,
    ReproduceResponse,
)

if TYPE_CHECKING:
    from .client import Studio
    from .jobs import Job


def _q(text: str) -> str:
    return quote(str(text), safe="")


class ModelsClient:
    """`studio.models`: registered models, versions, aliases, and reproducing a version's job."""

    def __init__(self, studio: Studio):
        self._studio = studio

    def iter(self, *, name: str | None = None, order_by: str | None = None,
             page_size: int = 100) -> Iterator[RegisteredModelSummary]:
        token = None
        while True:
            data = self._studio._http.get("models", name=name, order_by=order_by, max_items=page_size,
                                          next_token=token)
            yield from (RegisteredModelSummary.model_validate(item) for item in data["items"])
            token = data.get("next_token")
            if not token:
                return

    def list(self, *, name: str | None = None, order_by: str | None = None,
             max_items: int = 100) -> list[RegisteredModelSummary]:
        """Up to `max_items` registered models; `name` is a substring of the model name."""
        out = []
        for model in self.iter(name=name, order_by=order_by, page_size=min(max_items, 1000)):
            out.append(model)
            if len(out) >= max_items:
                break
        return out

    def get(self, name: str) -> DescribeRegisteredModel:
        """The model with its versions (newest first) and aliases."""
        return DescribeRegisteredModel.model_validate(self._studio._http.get(f"models/{_q(name)}"))

    def versions(self, name: str) -> list[ModelVersionSummary]:
        return self.get(name).versions

    def version(self, name: str, version: str | int) -> DescribeModelVersion:
        """Status, source run and job, signature, input example and lineage of one version."""
        return DescribeModelVersion.model_validate(
            self._studio._http.get(f"models/{_q(name)}/versions/{_q(version)}"))

    def register(self, run_id: str, artifact_path: str, name: str, *, description: str | None = None,
                 tags: dict[str, str] | None = None) -> DescribeModelVersion:
        """Register the model at `artifact_path` of run `run_id` as a new version of `name`
        (the registered model is created if needed)."""
        body: dict[str, Any] = {"name": name, "run_id": run_id, "artifact_path": artifact_path}
        if description is not None:
            body["description"] = description
        if tags:
            body["tags"] = tags
        return DescribeModelVersion.model_validate(self._studio._http.post("models", body))

    def set_alias(self, name: str, alias: str, version: str | int) -> None:
        """Point `alias` (e.g. 'champion') at `version`, moving it if another version had it."""
        self._studio._http.request("PUT", f"models/{_q(name)}/aliases/{_q(alias)}", json={"version": str(version)})

    def delete_alias(self, name: str, alias: str) -> None:
        self._studio._http.delete(f"models/{_q(name)}/aliases/{_q(alias)}")

    def update(self, name: str, *, description: str | None = None,
               tags: dict[str, str | None] | None = None) -> None:
        """Change the description and tags (a tag set to None is deleted)."""
        self._studio._http.patch(f"models/{_q(name)}", _changes(description, tags))

    def update_version(self, name: str, version: str | int, *, description: str | None = None,
                       tags: dict[str, str | None] | None = None) -> None:
        self._studio._http.patch(f"models/{_q(name)}/versions/{_q(version)}", _changes(description, tags))

    def delete(self, name: str) -> None:
        """Delete the registered model and all its versions."""
        self._studio._http.delete(f"models/{_q(name)}")

    def reproduce(self, name: str, version: str | int) -> Job:
        """Re-run the job that produced this version on its input snapshot and parameters; returns
        the new (queued) job, whose run links back with studio.reproduces_* tags."""
        from .jobs import Job

        data = self._studio._http.post(f"models/{_q(name)}/versions/{_q(version)}/reproduce")
        return Job(self._studio, ReproduceResponse.model_validate(data).job_id)

    def deploy(self, name: str, version: str | int | None = None, *, alias: str | None = None,
               endpoint_name: str | None = None, **options: Any):
        """Serve version `version` (or the version `alias` points at, followed when it moves) as a
        real-time endpoint; returns a Predictor with .predict(df). Options: instance_type,
        instance_count, data_capture, wait, timeout (see studio.endpoints.deploy)."""
        if (version is None) == (alias is None):
            raise ValueError("give a version or an alias")
        uri = f"models:/{name}@{alias}" if alias else f"models:/{name}/{version}"
        return self._studio.endpoints.deploy(uri, endpoint_name, **options)


def _changes(description: str | None, tags: dict[str, str | None] | None) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if description is not None:
        body["description"] = description
    if tags:
        body["tags"] = tags
    return body
