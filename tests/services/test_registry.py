"""RegistryService and LineageService against a real MLflow store (embedded SQLite and a real `mlflow server`)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from studio_ext import schemas, tracking
from studio_ext.exceptions import Conflict, InvalidParameter, NotFound
from studio_ext.services.experiments import ExperimentService
from studio_ext.services.jobs import JobService
from studio_ext.services.lineage import LineageService
from studio_ext.services.registry import RegistryService
from studio_ext.settings import StudioSettings
from studio_ext.store.db import Database

# mlflow_store (parametrized: sqlite, server) comes from tests/mlflow_stores.py via tests/conftest.py.


def unique(prefix: str) -> str:
    import uuid

    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def settings(tmp_path: Path, mlflow_store) -> StudioSettings:
    home, root = tmp_path / "home", tmp_path / "root"
    root.mkdir()
    return StudioSettings.from_env(home=home, db_url=f"sqlite:///{tmp_path / 'studio.db'}",
                                   mlflow_tracking_uri=mlflow_store.tracking_uri, server_root=root)


@pytest.fixture
def registry(settings) -> RegistryService:
    return RegistryService(settings)


@pytest.fixture(scope="session")
def saved_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real pyfunc model folder (MLmodel, signature, input example), saved once."""
    import mlflow.pyfunc
    import pandas as pd

    class Double(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input):
            return model_input * 2

    path = tmp_path_factory.mktemp("model") / "model"
    mlflow.pyfunc.save_model(str(path), python_model=Double(), input_example=pd.DataFrame({"x": [1.0, 2.0]}),
                             pip_requirements=[])
    return path


def run_with_model(mlflow_store, settings, saved_model: Path, *, job_id: str | None = None,
                   params: dict | None = None) -> str:
    """A finished run whose artifacts hold `model/` (the classic layout: MLmodel in the run)."""
    client = mlflow_store.client()
    if job_id:
        _, run_id = tracking.start_run(settings.mlflow_tracking_uri, settings.home, experiment_name=unique("exp"),
                                       job_id=job_id, job_name="train", attempt=1, parameters=params or {},
                                       mlflow_client=client)
    else:
        exp = tracking.get_or_create_experiment(client, settings.mlflow_tracking_uri, settings.home, unique("exp"))
        run_id = client.create_run(exp).info.run_id
    client.log_artifacts(run_id, str(saved_model), "model")
    client.set_terminated(run_id)
    return run_id


def test_given_a_run_with_a_model_when_registered_twice_then_two_ready_versions_with_signature(
        registry, mlflow_store, settings, saved_model):
    name = unique("clf")
    run_id = run_with_model(mlflow_store, settings, saved_model)

    v1 = registry.register(schemas.CreateModelVersion(name=name, run_id=run_id, artifact_path="model",
                                                      description="first", tags={"stage": "dev"}))
    v2 = registry.register(schemas.CreateModelVersion(name=name, run_id=run_id, artifact_path="model/"))

    assert (v1.version, v2.version) == ("1", "2")
    assert v1.status == "READY" and v1.run_id == run_id and v1.description == "first" and v1.tags == {"stage": "dev"}
    assert v1.source.endswith("/model")
    assert "double" in v1.signature["inputs"] and '"x"' in v1.signature["inputs"]
    assert v1.input_example == {"columns": ["x"], "data": [[1.0], [2.0]]}
    assert v1.lineage.run_id == run_id and v1.lineage.job_id is None
    model = registry.get_model(name)
    assert [v.version for v in model.versions] == ["2", "1"] and model.latest_version == "2"


def test_given_an_mlflow3_logged_model_when_registered_by_its_name_then_the_logged_model_is_the_source(
        registry, mlflow_store, settings):
    import mlflow
    import mlflow.pyfunc

    class Identity(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input):
            return model_input

    client = mlflow_store.client()
    exp = tracking.get_or_create_experiment(client, settings.mlflow_tracking_uri, settings.home, unique("exp"))
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(settings.mlflow_tracking_uri)
    try:
        with mlflow.start_run(experiment_id=exp) as run:
            mlflow.pyfunc.log_model(name="net", python_model=Identity(), pip_requirements=[],
                                    input_example={"a": [1, 2]})
    finally:
        mlflow.set_tracking_uri(previous)

    version = registry.register(schemas.CreateModelVersion(name=unique("net"), run_id=run.info.run_id,
                                                           artifact_path="net"))

    assert "/models/m-" in version.source and version.run_id == run.info.run_id
    assert version.signature is not None and version.status == "READY"


def test_given_bad_register_input_then_not_found_or_invalid_naming_the_field(registry, mlflow_store, settings,
                                                                             saved_model):
    run_id = run_with_model(mlflow_store, settings, saved_model)
    cases = [({"run_id": "0" * 32, "artifact_path": "model"}, NotFound, "run_id"),
             ({"run_id": run_id, "artifact_path": "nothing-here"}, NotFound, "artifact_path"),
             ({"run_id": run_id, "artifact_path": "../escape"}, InvalidParameter, "artifact_path")]
    for fields, error, field in cases:
        with pytest.raises(error) as err:
            registry.register(schemas.CreateModelVersion(name=unique("m"), **fields))
        assert err.value.message.startswith(f"{field}:"), err.value.message


def test_given_versions_when_an_alias_is_set_moved_and_deleted_then_the_model_shows_it(registry, mlflow_store,
                                                                                      settings, saved_model):
    name = unique("clf")
    run_id = run_with_model(mlflow_store, settings, saved_model)
    for _ in range(2):
        registry.register(schemas.CreateModelVersion(name=name, run_id=run_id, artifact_path="model"))

    registry.set_alias(name, "champion", "1")
    assert registry.get_model(name).aliases == {"champion": "1"}
    registry.set_alias(name, "champion", "2")
    model = registry.get_model(name)
    assert model.aliases == {"champion": "2"}
    assert [v.aliases for v in model.versions] == [["champion"], []]
    assert registry.get_version(name, "2").aliases == ["champion"]
    registry.delete_alias(name, "champion")
    assert registry.get_model(name).aliases == {}

    with pytest.raises(NotFound):
        registry.delete_alias(name, "champion")
    with pytest.raises(NotFound) as err:
        registry.set_alias(name, "champion", "9")
    assert err.value.message.startswith("version:")
    with pytest.raises(InvalidParameter) as err:
        registry.set_alias(name, "v1", "1")  # MLflow reserves v<N> aliases
    assert err.value.message.startswith("alias:")
    with pytest.raises(NotFound) as err:
        registry.set_alias(unique("nope"), "champion", "1")
    assert err.value.message.startswith("name:")


def test_given_a_model_when_description_and_tags_change_then_they_read_back_and_delete_removes_it(
        registry, mlflow_store, settings, saved_model):
    name = unique("clf")
    run_id = run_with_model(mlflow_store, settings, saved_model)
    registry.register(schemas.CreateModelVersion(name=name, run_id=run_id, artifact_path="model"))

    registry.update_model(name, schemas.UpdateRegisteredModel(description="fraud model", tags={"team": "risk"}))
    registry.update_version(name, "1", schemas.UpdateModelVersion(description="baseline", tags={"k": "v"}))
    registry.update_model(name, schemas.UpdateRegisteredModel(tags={"team": None}))

    model = registry.get_model(name)
    assert model.description == "fraud model" and model.tags == {}
    version = registry.get_version(name, "1")
    assert version.description == "baseline" and version.tags == {"k": "v"}
    listed = registry.list_models(schemas.ListModelsQuery(name=name))
    assert [m.name for m in listed.items] == [name] and listed.items[0].latest_version == "1"
    with pytest.raises(NotFound):
        registry.get_version(name, "7")

    registry.delete_model(name)
    with pytest.raises(NotFound):
        registry.get_model(name)
    with pytest.raises(NotFound):
        registry.update_model(name, schemas.UpdateRegisteredModel(description="x"))


def test_given_models_when_listed_in_pages_then_each_once(registry, mlflow_store, settings, saved_model):
    prefix = unique("paged")
    run_id = run_with_model(mlflow_store, settings, saved_model)
    names = {f"{prefix}-{i}" for i in range(3)}
    for name in names:
        registry.register(schemas.CreateModelVersion(name=name, run_id=run_id, artifact_path="model"))

    first = registry.list_models(schemas.ListModelsQuery(name=prefix, max_items=2))
    second = registry.list_models(schemas.ListModelsQuery(name=prefix, max_items=2, next_token=first.next_token))

    assert {m.name for m in first.items + second.items} == names and second.next_token is None


# ----------------------------------------------------------------------------- lineage and reproduce


def test_given_a_model_from_a_job_when_reproduced_then_the_new_job_runs_the_old_snapshot_and_links_back(
        mlflow_store, settings, saved_model):
    jobs = JobService(Database(settings.db_url), settings)
    registry = RegistryService(settings, jobs)
    lineage = LineageService(jobs, registry)
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("alpha = 0.1")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell("print('version one')")]
    nbformat.write(nb, settings.server_root / "train.ipynb")
    job_id = jobs.create_job(schemas.CreateJob(input="train.ipynb", parameters={"alpha": 0.7},
                                               tags={"team": "ml"}), "alice")
    run_id = run_with_model(mlflow_store, settings, saved_model, job_id=job_id, params={"alpha": 0.7})
    name = unique("clf")
    registry.register(schemas.CreateModelVersion(name=name, run_id=run_id, artifact_path="model"))
    # The user edits the notebook afterwards: a reproduction must not pick that up.
    nb.cells[1] = nbformat.v4.new_code_cell("print('version two')")
    nbformat.write(nb, settings.server_root / "train.ipynb")

    version = registry.get_version(name, "1")
    assert version.job_id == job_id
    assert version.lineage.job_id == job_id and version.lineage.job_input == "train.ipynb"
    assert version.lineage.parameters == {"alpha": 0.7} and version.lineage.job_name == "train"
    assert Path(version.lineage.job_snapshot, "train.ipynb").is_file()
    assert version.lineage.experiment_id

    result = lineage.reproduce_model_version(name, "1", "bob")

    assert result.reproduces_job_id == job_id and result.reproduces_run_id == run_id
    new = jobs.describe_job(result.job_id)
    assert new.status == schemas.JobStatus.QUEUED and new.parameters == {"alpha": 0.7} and new.created_by == "bob"
    assert new.tags == {"team": "ml", "studio.reproduces_job_id": job_id, "studio.reproduces_run_id": run_id}
    snapshot = settings.job_dir(result.job_id) / "input" / "train.ipynb"
    assert "version one" in snapshot.read_text()
    # The agent starts the new job's run with the job's tags: the run links back to the old one.
    _, new_run = tracking.start_run(settings.mlflow_tracking_uri, settings.home, experiment_name=new.experiment_name,
                                    job_id=new.job_id, job_name=new.name, attempt=1, parameters=new.parameters,
                                    tags=new.tags)
    described = ExperimentService(settings, jobs).get_run(new_run)
    assert (described.reproduces_job_id, described.reproduces_run_id) == (job_id, run_id)
    assert described.job_id == new.job_id and described.tags["studio.tag.team"] == "ml"

    again = lineage.reproduce_job(job_id, "carol")
    assert again.reproduces_run_id is None or again.reproduces_run_id == run_id
    with pytest.raises(NotFound):
        lineage.reproduce_job("0" * 32, "bob")


def test_given_a_version_not_made_by_a_job_when_reproduced_then_conflict(mlflow_store, settings, saved_model):
    jobs = JobService(Database(settings.db_url), settings)
    registry = RegistryService(settings, jobs)
    name = unique("clf")
    run_id = run_with_model(mlflow_store, settings, saved_model)
    registry.register(schemas.CreateModelVersion(name=name, run_id=run_id, artifact_path="model"))

    with pytest.raises(Conflict):
        LineageService(jobs, registry).reproduce_model_version(name, "1", "bob")
    with pytest.raises(NotFound):
        LineageService(jobs, registry).reproduce_model_version(name, "5", "bob")
