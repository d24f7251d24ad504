"""StudioApp: the composition root. Builds settings, database and services; routes; the agent."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jupyter_server.extension.application import ExtensionApp
from jupyter_server.utils import url_path_join
from traitlets import Bool, Float, Int, Type, Unicode, default

from . import __version__, paths
from .credentials import replica_token
from .handlers.algorithms import AlgorithmHandler, AlgorithmsHandler, ChannelPreviewHandler
from .handlers.audit_events import AuditEventsHandler, AuditVerifyHandler
from .handlers.config import ConfigHandler
from .handlers.endpoints import (
    EndpointCaptureHandler,
    EndpointHandler,
    EndpointInvocationsHandler,
    EndpointMetricsHandler,
    EndpointRollbackHandler,
    EndpointsHandler,
)
from .handlers.experiments import ExperimentHandler, ExperimentRunsHandler, ExperimentsHandler
from .handlers.instance_types import InstanceTypesHandler
from .handlers.job_definitions import (
    JobDefinitionHandler,
    JobDefinitionJobsHandler,
    JobDefinitionsHandler,
)
from .handlers.jobs import (
    JobHandler,
    JobLogsHandler,
    JobOutputHandler,
    JobsHandler,
    JobStopHandler,
    NotebookParametersHandler,
)
from .handlers.mlflow_ui import MlflowUIHandler, MlflowUIRedirectHandler
from .handlers.models import (
    JobReproduceHandler,
    ModelAliasHandler,
    ModelHandler,
    ModelsHandler,
    ModelVersionHandler,
    ModelVersionReproduceHandler,
)
from .handlers.runs import (
    RunArtifactsHandler,
    RunHandler,
    RunMetricHistoryHandler,
    RunsCompareHandler,
)
from .handlers.transform_jobs import TransformJobHandler, TransformJobsHandler
from .handlers.tuning_jobs import TuningJobHandler, TuningJobsHandler, TuningJobStopHandler
from .plugins import dotted_name, load_class
from .runner.executors.base import BaseExecutor
from .runner.executors.local import LocalExecutor
from .services.agents import AgentService, BaseAgentService
from .services.audit import AuditService, BaseAuditService
from .services.endpoints import BaseEndpointService, EndpointService
from .services.experiments import BaseExperimentService, ExperimentService
from .services.jobs import BaseJobService, JobService
from .services.lineage import BaseLineageService, LineageService
from .services.mlflow_common import MlflowAccess, preload_in_background
from .services.mlflow_ui import BaseMlflowUIServer, MlflowUIServer
from .services.registry import BaseRegistryService, RegistryService
from .services.schedules import BaseScheduleService, ScheduleService
from .services.transform import BaseTransformService, TransformService
from .services.tuning import BaseTuningService, TuningService
from .serving.router import EndpointRouter
from .settings import StudioSettings
from .store.db import Database
from .supervisor import AgentSupervisor

_ID = r"(?P<{}>[^/]+)"
Route = tuple[str, type]


@dataclass(frozen=True)
class Part:
    """A part of the studio as the frontend knows it: a feature name and the routes serving it.

    GET /studio/api/config lists the features of the parts the server registers (and those the
    executor offers), and the frontend hides the panels whose feature is missing. The names are
    the frontend's: keep them.
    """

    feature: str | None  # None: the routes every studio has
    routes: tuple[Route, ...]


# The REST contract (docs/api/openapi.yaml documents exactly these; tests/test_openapi.py checks).
PARTS: tuple[Part, ...] = (
    Part(None, (
        (r"/studio/api/config", ConfigHandler),
        (r"/studio/api/instance-types", InstanceTypesHandler),
    )),
    Part("audit-events", ((r"/studio/api/audit-events", AuditEventsHandler),
                          (r"/studio/api/audit-events/verify", AuditVerifyHandler))),
    # Built-in algorithms (issue 10): the catalog and a channel's preview; training is an algorithm
    # job (kind: algorithm).
    Part("algorithms", (
        (r"/studio/api/algorithms", AlgorithmsHandler),
        (r"/studio/api/algorithms/" + _ID.format("name"), AlgorithmHandler),
        (r"/studio/api/algorithms/" + _ID.format("name") + r"/channel-preview", ChannelPreviewHandler),
    )),
    Part("notebook-parameters", ((r"/studio/api/notebook-parameters", NotebookParametersHandler),)),
    Part("jobs", (
        (r"/studio/api/jobs", JobsHandler),
        (r"/studio/api/jobs/" + _ID.format("job_id"), JobHandler),
        (r"/studio/api/jobs/" + _ID.format("job_id") + r"/stop", JobStopHandler),
        (r"/studio/api/jobs/" + _ID.format("job_id") + r"/logs", JobLogsHandler),
        (r"/studio/api/jobs/" + _ID.format("job_id") + r"/outputs/(?P<name>.+)", JobOutputHandler),
    )),
    Part("schedules", (
        (r"/studio/api/job-definitions", JobDefinitionsHandler),
        (r"/studio/api/job-definitions/" + _ID.format("job_definition_id"), JobDefinitionHandler),
        (r"/studio/api/job-definitions/" + _ID.format("job_definition_id") + r"/jobs",
         JobDefinitionJobsHandler),
    )),
    # Experiments, runs and the model registry (issue 3).
    Part("experiments", (
        (r"/studio/api/experiments", ExperimentsHandler),
        (r"/studio/api/experiments/" + _ID.format("experiment_id"), ExperimentHandler),
        (r"/studio/api/experiments/" + _ID.format("experiment_id") + r"/runs", ExperimentRunsHandler),
        (r"/studio/api/runs/compare", RunsCompareHandler),  # before runs/{run_id}
        (r"/studio/api/runs/" + _ID.format("run_id"), RunHandler),
        (r"/studio/api/runs/" + _ID.format("run_id") + r"/metrics/(?P<key>.+)/history",
         RunMetricHistoryHandler),
        (r"/studio/api/runs/" + _ID.format("run_id") + r"/artifacts", RunArtifactsHandler),
    )),
    Part("models", (
        (r"/studio/api/models", ModelsHandler),
        (r"/studio/api/models/" + _ID.format("name"), ModelHandler),
        (r"/studio/api/models/" + _ID.format("name") + r"/versions/" + _ID.format("version"),
         ModelVersionHandler),
        (r"/studio/api/models/" + _ID.format("name") + r"/aliases/" + _ID.format("alias"),
         ModelAliasHandler),
    )),
    Part("lineage", (
        (r"/studio/api/models/" + _ID.format("name") + r"/versions/" + _ID.format("version")
         + r"/reproduce", ModelVersionReproduceHandler),
        (r"/studio/api/jobs/" + _ID.format("job_id") + r"/reproduce", JobReproduceHandler),
    )),
    # Real-time endpoints (issue 4); the invocation router is outside /api like SageMaker's runtime.
    Part("endpoints", (
        (r"/studio/api/endpoints", EndpointsHandler),
        (r"/studio/api/endpoints/" + _ID.format("name"), EndpointHandler),
        (r"/studio/api/endpoints/" + _ID.format("name") + r"/rollback", EndpointRollbackHandler),
        (r"/studio/api/endpoints/" + _ID.format("name") + r"/metrics", EndpointMetricsHandler),
        (r"/studio/api/endpoints/" + _ID.format("name") + r"/capture", EndpointCaptureHandler),
        (r"/studio/endpoints/" + _ID.format("name") + r"/invocations", EndpointInvocationsHandler),
    )),
    Part("transform-jobs", (
        (r"/studio/api/transform-jobs", TransformJobsHandler),
        (r"/studio/api/transform-jobs/" + _ID.format("transform_job_id"), TransformJobHandler),
    )),
    # Hyperparameter tuning (issue 11): each trial is a job; the agent runs the search.
    Part("tuning-jobs", (
        (r"/studio/api/tuning-jobs", TuningJobsHandler),
        (r"/studio/api/tuning-jobs/" + _ID.format("tuning_job_id"), TuningJobHandler),
        (r"/studio/api/tuning-jobs/" + _ID.format("tuning_job_id") + r"/stop", TuningJobStopHandler),
    )),
)
ROUTES: list[Route] = [route for part in PARTS for route in part.routes]

# Not part of the REST contract (a browser UI, like /lab): the MLflow UI behind Jupyter's auth,
# proxied to a supervised loopback `mlflow server`. Added in initialize_handlers.
UI_PARTS: tuple[Part, ...] = (
    Part("mlflow-ui", (
        (r"/studio/mlflow", MlflowUIRedirectHandler),
        (r"/studio/mlflow/(?P<path>.*)", MlflowUIHandler),
    )),
)


def features(parts: Iterable[Part], executor_class: type[BaseExecutor]) -> list[str]:
    """The feature names to announce for the parts a server registers and the executor its agent
    uses (the local one offers the warm pool), in that order, each once."""
    names = [part.feature for part in parts if part.feature is not None]
    return list(dict.fromkeys([*names, *executor_class.features]))


class ReplaceableClass(Type):
    """A `<thing>_class` trait: a class or an import path whose class must subclass `klass`.

    Unlike a plain Type, a value that does not import, or is not a `klass`, warns and keeps the
    default (papermill engines, MLflow store registry): a typo in a config file must not leave a
    server without its studio. traitlets validates when the config is loaded, so it is done here.
    """

    def validate(self, obj: Any, value: Any) -> Any:
        return load_class(value, self.default_value, what=f"c.{type(obj).__name__}.{self.name}",
                          base=self.klass if isinstance(self.klass, type) else None,
                          log=getattr(obj, "log", None))


class StudioApp(ExtensionApp):
    """The studio_ext Jupyter server extension (configure as `c.StudioApp.<trait>`)."""

    name = "studio_ext"
    version = __version__
    description = "A local-first machine-learning studio inside JupyterLab"
    load_other_extensions = True
    handlers = ROUTES

    studio_home = Unicode(config=True, help="Folder for the studio's database, job files and MLflow store. "
                                            "Default: $STUDIO_HOME, else <jupyter data dir>/studio.")
    db_url = Unicode(config=True, help="SQLAlchemy URL of the studio database. "
                                       "Default: $STUDIO_DB_URL, else sqlite:///<studio_home>/studio.db.")
    mlflow_tracking_uri = Unicode(config=True, help="MLflow tracking URI for job runs. Default: "
                                                    "$STUDIO_MLFLOW_TRACKING_URI, else $MLFLOW_TRACKING_URI, else "
                                                    "sqlite:///<studio_home>/mlflow.db.")
    mlflow_registry_uri = Unicode("", config=True, help="MLflow model registry URI. Default: "
                                                        "$STUDIO_MLFLOW_REGISTRY_URI, else $MLFLOW_REGISTRY_URI, "
                                                        "else the tracking URI.")
    server_root = Unicode("", config=True, help="Root that job inputs are relative to. Default: the "
                                                "Jupyter server's root_dir.")
    start_agent = Bool(True, config=True, help="Start and supervise a studio agent with the server. Turn off "
                                               "when an operator runs `studio agent` as a service.")
    agent_warm_pool = Int(2, min=0, config=True, help="Pre-started kernels the agent keeps for notebook jobs.")
    agent_check_interval = Float(3.0, min=0.1, config=True,
                                 help="Seconds between checks that the supervised agent is alive.")
    # The replaceable parts: an operator swaps one with `c.StudioApp.<thing>_class = "pkg.Class"`.
    # A class that does not load warns and the default is used (ReplaceableClass).
    job_service_class = ReplaceableClass(
        default_value=JobService, klass=BaseJobService, config=True,
        help="The job service (BaseJobService): submission, queries, stop, logs and outputs. The "
             "agent the server starts creates the jobs of schedule ticks with it too.")
    schedule_service_class = ReplaceableClass(
        default_value=ScheduleService, klass=BaseScheduleService, config=True,
        help="The schedule (job definition) service (BaseScheduleService). The agent the server "
             "starts fires schedules with it too.")
    audit_service_class = ReplaceableClass(
        default_value=AuditService, klass=BaseAuditService, config=True,
        help="The audit log (BaseAuditService). The agent the server starts records its own "
             "decisions (skipped schedule ticks) with it too.")
    agent_service_class = ReplaceableClass(
        default_value=AgentService, klass=BaseAgentService, config=True,
        help="What the server reports of the studio agents (BaseAgentService).")
    experiment_service_class = ReplaceableClass(
        default_value=ExperimentService, klass=BaseExperimentService, config=True,
        help="Experiments, runs, metrics and artifacts from MLflow (BaseExperimentService).")
    registry_service_class = ReplaceableClass(
        default_value=RegistryService, klass=BaseRegistryService, config=True,
        help="The model registry: models, versions, aliases, lineage (BaseRegistryService).")
    lineage_service_class = ReplaceableClass(
        default_value=LineageService, klass=BaseLineageService, config=True,
        help="Reproducing a job or a model version from its input snapshot (BaseLineageService).")
    endpoint_service_class = ReplaceableClass(
        default_value=EndpointService, klass=BaseEndpointService, config=True,
        help="Real-time endpoints: desired state, routing, invocation counts and metrics.")
    transform_service_class = ReplaceableClass(
        default_value=TransformService, klass=BaseTransformService, config=True,
        help="Batch transform jobs (scoring files with a registered model).")
    tuning_service_class = ReplaceableClass(
        default_value=TuningService, klass=BaseTuningService, config=True,
        help="Hyperparameter tuning jobs: checks and records them (the agent runs the search).")
    mlflow_ui_class = ReplaceableClass(
        default_value=MlflowUIServer, klass=BaseMlflowUIServer, config=True,
        help="The server behind the proxied MLflow UI at /studio/mlflow/ (BaseMlflowUIServer).")
    executor_class = ReplaceableClass(
        default_value=LocalExecutor, klass=BaseExecutor, config=True,
        help="Where the supervised agent starts job processes (BaseExecutor; default: this "
             "machine, with a warm pool). The agent imports it by its import path, so it must "
             "be importable there (not defined in a config file).")

    supervisor: AgentSupervisor | None = None
    mlflow_ui: BaseMlflowUIServer | None = None

    @default("studio_home")
    def _default_studio_home(self) -> str:
        return str(paths.studio_home())

    @default("db_url")
    def _default_db_url(self) -> str:
        return paths.default_db_url(Path(self.studio_home))

    @default("mlflow_tracking_uri")
    def _default_mlflow_tracking_uri(self) -> str:
        return paths.default_mlflow_tracking_uri(Path(self.studio_home))

    def parts(self) -> tuple[Part, ...]:
        """The parts this server registers (the REST contract, then the browser UIs): their
        routes become the handlers, their names the config route's `features`."""
        return (*PARTS, *UI_PARTS)

    def initialize_handlers(self) -> None:
        self.handlers = [route for part in self.parts() for route in part.routes]

    def initialize_settings(self) -> None:
        assert self.serverapp is not None  # jupyter_server links its ServerApp before this runs
        root = self.server_root or self.serverapp.root_dir
        settings = StudioSettings.from_env(home=self.studio_home, db_url=self.db_url,
                                           mlflow_tracking_uri=self.mlflow_tracking_uri, server_root=root,
                                           mlflow_registry_uri=self.mlflow_registry_uri)
        db = Database(settings.db_url)  # migrates to head
        audit = self.audit_service_class(db)
        jobs = self.job_service_class(db, settings)
        # One MLflow client for experiments, registry, endpoints and transform (it holds the
        # store's connection pool).
        mlflow = MlflowAccess(settings.mlflow_tracking_uri, settings.home, settings.mlflow_registry_uri)
        preload_in_background()
        registry = self.registry_service_class(settings, jobs, mlflow)
        self.mlflow_ui = self.mlflow_ui_class(settings.mlflow_tracking_uri, settings.home,
                                              url_path_join(self.serverapp.base_url, "studio/mlflow"),
                                              registry_uri=settings.mlflow_registry_uri)
        endpoints = self.endpoint_service_class(db, settings, lambda: mlflow.client)
        self.settings.update({
            "studio_ext_settings": settings,
            # What initialize_handlers (which runs after this) registers: both read parts().
            "studio_ext_features": features(self.parts(), self.executor_class),
            "studio_ext_job_service": jobs,
            "studio_ext_schedule_service": self.schedule_service_class(db, settings, jobs, audit),
            "studio_ext_audit_service": audit,
            "studio_ext_agent_service": self.agent_service_class(db),
            "studio_ext_experiment_service": self.experiment_service_class(settings, jobs, mlflow),
            "studio_ext_registry_service": registry,
            "studio_ext_lineage_service": self.lineage_service_class(jobs, registry),
            "studio_ext_mlflow_ui": self.mlflow_ui,
            "studio_ext_endpoint_service": endpoints,
            "studio_ext_endpoint_router": EndpointRouter(endpoints.healthy_replicas, audit.record,
                                                          replica_token(settings.home)),
            "studio_ext_transform_service": self.transform_service_class(db, settings,
                                                                         lambda: mlflow.client),
            "studio_ext_tuning_service": self.tuning_service_class(db, settings, jobs),
        })
        self.log.info("studio: home %s, database %s, server root %s", settings.home, settings.db_url,
                      settings.server_root)
        if self.start_agent:
            self.supervisor = AgentSupervisor(settings, warm_pool=self.agent_warm_pool,
                                              check_interval=self.agent_check_interval, log=self.log,
                                              classes=self.agent_classes())
            self.supervisor.start()
        else:
            self.log.info("studio: start_agent is off; jobs wait until a `studio agent` runs for %s",
                          settings.home)

    def agent_classes(self) -> dict[str, str]:
        """The agent's class options (runner/agent.py) for the classes this server uses."""
        return {"executor": dotted_name(self.executor_class),
                "job-service": dotted_name(self.job_service_class),
                "schedule-service": dotted_name(self.schedule_service_class),
                "audit-service": dotted_name(self.audit_service_class)}

    async def stop_extension(self) -> None:
        router = self.settings.get("studio_ext_endpoint_router")
        if router is not None:  # the invocation counts not yet written to the audit log
            await asyncio.get_running_loop().run_in_executor(None, router.flush_invocations)
        if self.mlflow_ui is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.mlflow_ui.stop)
        if self.supervisor is not None:
            # stop() waits for the agent to exit; keep the event loop free meanwhile.
            await asyncio.get_running_loop().run_in_executor(None, self.supervisor.stop)
            self.supervisor = None
