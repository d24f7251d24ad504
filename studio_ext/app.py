"""StudioApp: the composition root. Builds settings, database and services; routes; the agent."""

from __future__ import annotations

import asyncio
from pathlib import Path

from jupyter_server.extension.application import ExtensionApp
from jupyter_server.utils import url_path_join
from traitlets import Bool, Float, Int, Type, Unicode, default

from . import __version__, paths
from .handlers.audit_events import AuditEventsHandler
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
from .services.agents import AgentService
from .services.audit import AuditService
from .services.endpoints import EndpointService
from .services.experiments import ExperimentService
from .services.jobs import JobService
from .services.lineage import LineageService
from .services.mlflow_common import MlflowAccess, preload_in_background
from .services.mlflow_ui import MlflowUIServer
from .services.registry import RegistryService
from .services.schedules import ScheduleService
from .services.transform import TransformService
from .serving.router import EndpointRouter
from .settings import StudioSettings
from .store.db import Database
from .supervisor import AgentSupervisor

_ID = r"(?P<{}>[^/]+)"

# The REST contract (docs/api/openapi.yaml documents exactly these; tests/test_openapi.py checks).
ROUTES = [
    (r"/studio/api/config", ConfigHandler),
    (r"/studio/api/instance-types", InstanceTypesHandler),
    (r"/studio/api/audit-events", AuditEventsHandler),
    (r"/studio/api/notebook-parameters", NotebookParametersHandler),
    (r"/studio/api/jobs", JobsHandler),
    (r"/studio/api/jobs/" + _ID.format("job_id"), JobHandler),
    (r"/studio/api/jobs/" + _ID.format("job_id") + r"/stop", JobStopHandler),
    (r"/studio/api/jobs/" + _ID.format("job_id") + r"/logs", JobLogsHandler),
    (r"/studio/api/jobs/" + _ID.format("job_id") + r"/outputs/(?P<name>.+)", JobOutputHandler),
    (r"/studio/api/job-definitions", JobDefinitionsHandler),
    (r"/studio/api/job-definitions/" + _ID.format("job_definition_id"), JobDefinitionHandler),
    (r"/studio/api/job-definitions/" + _ID.format("job_definition_id") + r"/jobs", JobDefinitionJobsHandler),
    # Experiments, runs and the model registry (issue 3).
    (r"/studio/api/experiments", ExperimentsHandler),
    (r"/studio/api/experiments/" + _ID.format("experiment_id"), ExperimentHandler),
    (r"/studio/api/experiments/" + _ID.format("experiment_id") + r"/runs", ExperimentRunsHandler),
    (r"/studio/api/runs/compare", RunsCompareHandler),
    (r"/studio/api/runs/" + _ID.format("run_id"), RunHandler),
    (r"/studio/api/runs/" + _ID.format("run_id") + r"/metrics/(?P<key>.+)/history", RunMetricHistoryHandler),
    (r"/studio/api/runs/" + _ID.format("run_id") + r"/artifacts", RunArtifactsHandler),
    (r"/studio/api/models", ModelsHandler),
    (r"/studio/api/models/" + _ID.format("name"), ModelHandler),
    (r"/studio/api/models/" + _ID.format("name") + r"/versions/" + _ID.format("version"), ModelVersionHandler),
    (r"/studio/api/models/" + _ID.format("name") + r"/versions/" + _ID.format("version") + r"/reproduce",
     ModelVersionReproduceHandler),
    (r"/studio/api/models/" + _ID.format("name") + r"/aliases/" + _ID.format("alias"), ModelAliasHandler),
    (r"/studio/api/jobs/" + _ID.format("job_id") + r"/reproduce", JobReproduceHandler),
    # Real-time endpoints (issue 4); the invocation router is outside /api like SageMaker's runtime.
    (r"/studio/api/endpoints", EndpointsHandler),
    (r"/studio/api/endpoints/" + _ID.format("name"), EndpointHandler),
    (r"/studio/api/endpoints/" + _ID.format("name") + r"/rollback", EndpointRollbackHandler),
    (r"/studio/api/endpoints/" + _ID.format("name") + r"/metrics", EndpointMetricsHandler),
    (r"/studio/api/endpoints/" + _ID.format("name") + r"/capture", EndpointCaptureHandler),
    (r"/studio/endpoints/" + _ID.format("name") + r"/invocations", EndpointInvocationsHandler),
    (r"/studio/api/transform-jobs", TransformJobsHandler),
    (r"/studio/api/transform-jobs/" + _ID.format("transform_job_id"), TransformJobHandler),
]

# Not part of the REST contract (a browser UI, like /lab): the MLflow UI behind Jupyter's auth,
# proxied to a supervised loopback `mlflow server`. Added in initialize_handlers.
UI_ROUTES = [
    (r"/studio/mlflow", MlflowUIRedirectHandler),
    (r"/studio/mlflow/(?P<path>.*)", MlflowUIHandler),
]


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
                                                    "$STUDIO_MLFLOW_TRACKING_URI, else sqlite:///<studio_home>/mlflow.db.")
    server_root = Unicode("", config=True, help="Root that job inputs are relative to. Default: the "
                                                "Jupyter server's root_dir.")
    start_agent = Bool(True, config=True, help="Start and supervise a studio agent with the server. Turn off "
                                               "when an operator runs `studio agent` as a service.")
    agent_warm_pool = Int(2, min=0, config=True, help="Pre-started kernels the agent keeps for notebook jobs.")
    agent_check_interval = Float(3.0, min=0.1, config=True,
                                 help="Seconds between checks that the supervised agent is alive.")
    job_service_class = Type(default_value=JobService, klass=JobService, config=True,
                             help="The JobService implementation.")
    schedule_service_class = Type(default_value=ScheduleService, klass=ScheduleService, config=True,
                                  help="The ScheduleService (job definitions) implementation.")
    audit_service_class = Type(default_value=AuditService, klass=AuditService, config=True,
                               help="The AuditService implementation.")

    supervisor: AgentSupervisor | None = None
    mlflow_ui: MlflowUIServer | None = None

    @default("studio_home")
    def _default_studio_home(self) -> str:
        return str(paths.studio_home())

    @default("db_url")
    def _default_db_url(self) -> str:
        return paths.default_db_url(Path(self.studio_home))

    @default("mlflow_tracking_uri")
    def _default_mlflow_tracking_uri(self) -> str:
        return paths.default_mlflow_tracking_uri(Path(self.studio_home))

    def initialize_handlers(self) -> None:
        self.handlers = [*ROUTES, *UI_ROUTES]

    def initialize_settings(self) -> None:
        root = self.server_root or self.serverapp.root_dir
        settings = StudioSettings.from_env(home=self.studio_home, db_url=self.db_url,
                                           mlflow_tracking_uri=self.mlflow_tracking_uri, server_root=root)
        db = Database(settings.db_url)  # migrates to head
        jobs = self.job_service_class(db, settings)
        self.settings.update({
            "studio_ext_settings": settings,
            "studio_ext_job_service": jobs,
            "studio_ext_schedule_service": self.schedule_service_class(db, settings, jobs),
            "studio_ext_audit_service": self.audit_service_class(db),
            "studio_ext_agent_service": AgentService(db),
        })
        # One MLflow client for experiments and registry (it holds the store's connection pool).
        mlflow = MlflowAccess(settings.mlflow_tracking_uri, settings.home)
        preload_in_background()
        registry = RegistryService(settings, jobs, mlflow)
        self.mlflow_ui = MlflowUIServer(settings.mlflow_tracking_uri, settings.home,
                                        url_path_join(self.serverapp.base_url, "studio/mlflow"))
        endpoints = EndpointService(db, settings, lambda: mlflow.client)
        self.settings.update({
            "studio_ext_experiment_service": ExperimentService(settings, jobs, mlflow),
            "studio_ext_registry_service": registry,
            "studio_ext_lineage_service": LineageService(jobs, registry),
            "studio_ext_mlflow_ui": self.mlflow_ui,
            "studio_ext_endpoint_service": endpoints,
            "studio_ext_endpoint_router": EndpointRouter(endpoints.healthy_replicas,
                                                         self.settings["studio_ext_audit_service"].record),
            "studio_ext_transform_service": TransformService(db, settings, lambda: mlflow.client),
        })
        self.log.info("studio: home %s, database %s, server root %s", settings.home, settings.db_url,
                      settings.server_root)
        if self.start_agent:
            self.supervisor = AgentSupervisor(settings, warm_pool=self.agent_warm_pool,
                                              check_interval=self.agent_check_interval, log=self.log)
            self.supervisor.start()
        else:
            self.log.info("studio: start_agent is off; jobs wait until a `studio agent` runs for %s",
                          settings.home)

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
