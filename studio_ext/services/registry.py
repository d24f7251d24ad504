"""Model registry: registered models, versions (with signature, input example and lineage), aliases."""

from __future__ import annotations

import json
import shutil
import tempfile
from abc import ABC, abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import schemas
from ..exceptions import InvalidParameter, NotFound
from ..paths import INPUT_DIR
from ..tracking import JOB_ID_TAG
from .experiments import REPRODUCES_JOB_TAG, REPRODUCES_RUN_TAG, clean_artifact_path
from .mlflow_common import (
    MlflowBackedService,
    artifact_repo,
    mlflow_errors,
    ms_to_datetime,
    quote_filter_value,
)

if TYPE_CHECKING:
    from mlflow.entities import LoggedModel

MAX_INPUT_EXAMPLE_BYTES = 256 * 1024  # a bigger example is a download, not part of a description


def _tags(entity) -> dict[str, str]:
    tags = entity.tags or {}
    if isinstance(tags, list):  # some MLflow entities keep tags as a list of RegisteredModelTag
        return {t.key: t.value for t in tags}
    return dict(tags)


def _aliases(model) -> dict[str, str]:
    aliases = model.aliases or {}
    if isinstance(aliases, list):
        return {a.alias: str(a.version) for a in aliases}
    return {k: str(v) for k, v in aliases.items()}


def _version_summary(mv, model=schemas.ModelVersionSummary, **extra: Any):
    return model(
        name=mv.name, version=str(mv.version), status=str(mv.status or "READY"), run_id=mv.run_id or None,
        source=mv.source, description=mv.description or None, aliases=list(mv.aliases or []),
        tags=_tags(mv), creation_time=ms_to_datetime(mv.creation_timestamp),
        last_updated_time=ms_to_datetime(mv.last_updated_timestamp), **extra)


class BaseRegistryService(MlflowBackedService, ABC):
    """The model registry (MLflow's, on the studio's tracking URI): registered models, their
    versions with signature, input example and lineage (run -> job -> input snapshot), aliases.

    Built as `cls(settings, job_service, mlflow)` by the server (c.StudioApp.
    registry_service_class), sharing one MlflowAccess with the experiments; `job_service`
    (optional) links versions to the jobs that produced them. Errors as BaseExperimentService:
    StudioErrors only, NotFound/InvalidParameter naming the field, Conflict for a name taken.
    """

    @abstractmethod
    def list_models(self, query: schemas.ListModelsQuery) -> schemas.ListModelsResponse:
        """One page of registered models (name substring, order_by, MLflow's page token)."""

    @abstractmethod
    def get_model(self, name: str) -> schemas.DescribeRegisteredModel:
        """The model with all its versions, newest first, each with its aliases."""

    @abstractmethod
    def update_model(self, name: str, request: schemas.UpdateRegisteredModel) -> None:
        """Set the description if given; set tags, and delete those given as null."""

    @abstractmethod
    def delete_model(self, name: str) -> None:
        """Delete the model and its versions (the runs and their artifacts stay)."""

    @abstractmethod
    def register(self, request: schemas.CreateModelVersion) -> schemas.DescribeModelVersion:
        """Create the registered model if needed, then a version from the run's artifact.

        The source is the run's artifact folder when it holds an MLmodel file, else (MLflow 3's
        logged models) the logged model named `artifact_path` that the run produced; NotFound
        (artifact_path) when there is neither.
        """

    @abstractmethod
    def get_version(self, name: str, version: str) -> schemas.DescribeModelVersion:
        """Status, source run and job, signature, input example and lineage of one version."""

    @abstractmethod
    def update_version(self, name: str, version: str, request: schemas.UpdateModelVersion) -> None:
        """Set the description if given; set tags, and delete those given as null."""

    @abstractmethod
    def lineage(self, run_id: str | None) -> schemas.ModelLineage:
        """Run -> job -> input snapshot and parameters. Missing links stay null (a run logged by
        hand has no job; a deleted job leaves only the run); never raises NotFound."""

    @abstractmethod
    def set_alias(self, name: str, alias: str, version: str) -> None:
        """Point `alias` at `version` (sets it, or moves it from another version)."""

    @abstractmethod
    def delete_alias(self, name: str, alias: str) -> None:
        """NotFound when the model has no such alias."""


class RegistryService(BaseRegistryService):

    # ------------------------------------------------------------------ registered models

    def _summary(self, model, cls=schemas.RegisteredModelSummary, **extra: Any):
        latest = [str(v.version) for v in (model.latest_versions or [])]
        return cls(
            name=model.name, description=model.description or None, tags=_tags(model), aliases=_aliases(model),
            latest_version=max(latest, key=int) if latest else None,
            creation_time=ms_to_datetime(model.creation_timestamp),
            last_updated_time=ms_to_datetime(model.last_updated_timestamp), **extra)

    def list_models(self, query: schemas.ListModelsQuery) -> schemas.ListModelsResponse:
        filter_string = f"name LIKE {quote_filter_value('%' + query.name + '%')}" if query.name else None
        field = "next_token" if query.next_token else "order_by"
        with mlflow_errors(field):
            order_by = [p.strip() for p in query.order_by.split(",")] if query.order_by else None
            page = self.client.search_registered_models(filter_string=filter_string, max_results=query.max_items,
                                                        order_by=order_by, page_token=query.next_token or None)
        return schemas.ListModelsResponse(items=[self._summary(m) for m in page], next_token=page.token or None)

    def _get_model(self, name: str):
        with mlflow_errors("name"):
            return self.client.get_registered_model(name)

    def get_model(self, name: str) -> schemas.DescribeRegisteredModel:
        model = self._get_model(name)
        versions = []
        token = None
        with mlflow_errors("name"):
            while True:
                page = self.client.search_model_versions(f"name = {quote_filter_value(name)}",
                                                         max_results=1000, page_token=token)
                versions.extend(page)
                token = page.token
                if not token:
                    break
        versions.sort(key=lambda v: int(v.version), reverse=True)
        # Searched versions do not carry their aliases; the model's alias map does.
        by_version: dict[str, list[str]] = {}
        for alias, number in sorted(_aliases(model).items()):
            by_version.setdefault(number, []).append(alias)
        items = [_version_summary(v) for v in versions]
        for item in items:
            item.aliases = by_version.get(item.version, [])
        summary = self._summary(model, schemas.DescribeRegisteredModel, versions=items)
        if versions:
            summary.latest_version = str(versions[0].version)
        return summary

    def update_model(self, name: str, request: schemas.UpdateRegisteredModel) -> None:
        self._get_model(name)
        with mlflow_errors():
            if request.description is not None:
                self.client.update_registered_model(name, description=request.description)
            for key, value in request.tags.items():
                if value is None:
                    self.client.delete_registered_model_tag(name, key)
                else:
                    self.client.set_registered_model_tag(name, key, value)

    def delete_model(self, name: str) -> None:
        self._get_model(name)
        with mlflow_errors("name"):
            self.client.delete_registered_model(name)

    # ------------------------------------------------------------------ versions

    def register(self, request: schemas.CreateModelVersion) -> schemas.DescribeModelVersion:
        artifact_path = clean_artifact_path(request.artifact_path, "artifact_path")
        if not artifact_path:
            raise InvalidParameter("artifact_path: give the model's folder, e.g. 'model'")
        with mlflow_errors("run_id"):
            run = self.client.get_run(request.run_id)
        source, model_id = self._model_source(run, artifact_path)
        with mlflow_errors("name"):
            try:
                self.client.create_registered_model(request.name)
            except Exception as exc:
                if getattr(exc, "error_code", None) not in ("RESOURCE_ALREADY_EXISTS", "ALREADY_EXISTS"):
                    raise
        with mlflow_errors():
            mv = self.client.create_model_version(
                request.name, source, run_id=request.run_id, tags=request.tags or None,
                description=request.description, model_id=model_id)
        return self.get_version(request.name, str(mv.version))

    def _model_source(self, run, artifact_path: str) -> tuple[str, str | None]:
        run_id = run.info.run_id
        with mlflow_errors("artifact_path"):
            entries = artifact_repo(run.info.artifact_uri, self.mlflow.tracking_uri).list_artifacts(artifact_path)
        if any(e.path.rsplit("/", 1)[-1] == "MLmodel" for e in entries):
            return f"{run.info.artifact_uri.rstrip('/')}/{artifact_path}", None
        with mlflow_errors("artifact_path"):
            models: list[LoggedModel] = []
            token: str | None = None
            while True:
                page = self.client.search_logged_models(
                    experiment_ids=[run.info.experiment_id],
                    filter_string=f"name = {quote_filter_value(artifact_path)}", page_token=token)
                models.extend(m for m in page if m.source_run_id == run_id)
                token = page.token
                if not token:
                    break
        if not models:
            raise NotFound(f"artifact_path: run {run_id} has no model at {artifact_path!r} (no MLmodel file "
                           "there and no logged model of that name)")
        newest = max(models, key=lambda m: m.creation_timestamp or 0)
        # NB: not the models:/<id> URI: a SQL registry store resolves that through the
        # process-global tracking URI. The logged model's own artifact location needs no lookup.
        return newest.artifact_location, newest.model_id

    def _get_version(self, name: str, version: str):
        self._get_model(name)
        with mlflow_errors("version"):
            return self.client.get_model_version(name, str(version))

    def get_version(self, name: str, version: str) -> schemas.DescribeModelVersion:
        mv = self._get_version(name, version)
        signature, example = self._signature_and_example(name, str(mv.version))
        lineage = self.lineage(mv.run_id)
        return _version_summary(mv, schemas.DescribeModelVersion, status_message=mv.status_message or None,
                                job_id=lineage.job_id, experiment_id=lineage.experiment_id,
                                signature=signature, input_example=example, lineage=lineage)

    def update_version(self, name: str, version: str, request: schemas.UpdateModelVersion) -> None:
        self._get_version(name, version)
        with mlflow_errors():
            if request.description is not None:
                self.client.update_model_version(name, str(version), description=request.description)
            for key, value in request.tags.items():
                if value is None:
                    self.client.delete_model_version_tag(name, str(version), key)
                else:
                    self.client.set_model_version_tag(name, str(version), key, value)

    def lineage(self, run_id: str | None) -> schemas.ModelLineage:
        if not run_id:
            return schemas.ModelLineage()
        try:
            with mlflow_errors("run_id"):
                run = self.client.get_run(run_id)
        except NotFound:
            return schemas.ModelLineage(run_id=run_id)
        tags = run.data.tags or {}
        lineage = schemas.ModelLineage(run_id=run_id, experiment_id=run.info.experiment_id,
                                       job_id=tags.get(JOB_ID_TAG), parameters=dict(run.data.params or {}),
                                       reproduces_job_id=tags.get(REPRODUCES_JOB_TAG),
                                       reproduces_run_id=tags.get(REPRODUCES_RUN_TAG))
        if lineage.job_id and self.job_service is not None:
            try:
                job = self.job_service.describe_job(lineage.job_id)
            except NotFound:
                return lineage
            lineage.job_name, lineage.job_status, lineage.job_input = job.name, job.status, job.input
            lineage.parameters = dict(job.parameters)
            snapshot = self.settings.job_dir(job.job_id) / INPUT_DIR
            lineage.job_snapshot = str(snapshot) if snapshot.is_dir() else None
        return lineage

    def _signature_and_example(self, name: str, version: str) -> tuple[dict | None, Any]:
        """From the version's MLmodel file; (None, None) when the model has none or is unreadable."""
        import yaml
        from mlflow.artifacts import download_artifacts

        tmp = Path(tempfile.mkdtemp(prefix="studio-mlmodel-"))
        try:
            try:
                with mlflow_errors():
                    uri = self.client.get_model_version_download_uri(name, version)
                    local = download_artifacts(artifact_uri=f"{uri.rstrip('/')}/MLmodel", dst_path=str(tmp),
                                               tracking_uri=self.mlflow.tracking_uri,
                                               registry_uri=self.mlflow.registry_uri)
                mlmodel = yaml.safe_load(Path(local).read_text()) or {}
            except Exception:  # no MLmodel (not an MLflow model) or the store is gone: no signature
                return None, None
            signature = mlmodel.get("signature") or None
            example = None
            info = mlmodel.get("saved_input_example_info") or {}
            if info.get("artifact_path"):
                try:
                    path = download_artifacts(artifact_uri=f"{uri.rstrip('/')}/{info['artifact_path']}",
                                              dst_path=str(tmp / "example"), tracking_uri=self.mlflow.tracking_uri,
                                              registry_uri=self.mlflow.registry_uri)
                    if Path(path).stat().st_size <= MAX_INPUT_EXAMPLE_BYTES:
                        example = json.loads(Path(path).read_text())
                except Exception:  # an example that is not JSON (e.g. an image) is left out
                    example = None
            return signature, example
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    # ------------------------------------------------------------------ aliases

    def set_alias(self, name: str, alias: str, version: str) -> None:
        self._get_version(name, version)
        with mlflow_errors("alias"):
            self.client.set_registered_model_alias(name, alias, str(version))

    def delete_alias(self, name: str, alias: str) -> None:
        model = self._get_model(name)
        if alias not in _aliases(model):
            raise NotFound(f"alias: model {name!r} has no alias {alias!r}")
        with mlflow_errors("alias"):
            self.client.delete_registered_model_alias(name, alias)
