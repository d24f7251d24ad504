"""Studio: the SDK's entry point (`Studio().jobs.run(...)`)."""

from __future__ import annotations

import os
from pathlib import Path

from ..schemas import AuditEvent, InstanceType, StudioConfig
from ._discovery import ServerInfo, discover
from ._http import HTTPClient
from .audit import AuditClient
from .endpoints import EndpointsClient
from .experiments import ExperimentsClient, RunsClient
from .jobs import JobsClient
from .models import ModelsClient
from .schedules import SchedulesClient
from .training import AlgorithmsClient, TrainingClient
from .transform import TransformJobsClient
from .tuning import TuningClient


class Studio:
    """A connection to one studio server.

    The server is found from the arguments, then `STUDIO_URL` + `STUDIO_TOKEN`, then the config
    file (`$STUDIO_CONFIG` or ~/.config/studio/config.json: `{"url", "token"}`), then the Jupyter
    servers running on this machine, so `Studio()` needs no arguments inside the lab.
    """

    def __init__(self, url: str | None = None, token: str | None = None, timeout: float = 60.0):
        self.server: ServerInfo = discover(url, token)
        self._http = HTTPClient(self.server, timeout=timeout)
        self._config: StudioConfig | None = None
        self.jobs = JobsClient(self)
        self.schedules = SchedulesClient(self)
        self.experiments = ExperimentsClient(self)
        self.runs = RunsClient(self)
        self.models = ModelsClient(self)
        self.endpoints = EndpointsClient(self)
        self.transforms = TransformJobsClient(self)
        self.algorithms = AlgorithmsClient(self)
        self.training = TrainingClient(self)
        self.tuning = TuningClient(self)
        self.audit = AuditClient(self)

    @property
    def url(self) -> str:
        return self.server.url

    def __repr__(self) -> str:
        return f"<Studio {self.server.url}>"

    def config(self, refresh: bool = False) -> StudioConfig:
        """The server's version, features, server root, STUDIO_HOME, MLflow URI and agent state."""
        if self._config is None or refresh:
            self._config = StudioConfig.model_validate(self._http.get("config"))
        return self._config

    def instance_types(self) -> list[InstanceType]:
        """The instance-type catalog (name, vCPUs, memory, GPUs, price, concurrency slots)."""
        return [InstanceType.model_validate(item) for item in self._http.get("instance-types")["items"]]

    def notebook_parameters(self, path: str | os.PathLike) -> dict:
        """The parameters cell of a notebook: {name: {"default", "type", "help"}} ({} if none)."""
        return self._http.get("notebook-parameters", path=self.server_path(path))["parameters"]

    def audit_events(self, *, user: str | None = None, action: str | None = None,
                     resource_type: str | None = None, resource_id: str | None = None,
                     max_items: int = 100) -> list[AuditEvent]:
        """Recent audit events, newest first (the same as `studio.audit.list(...)`)."""
        return self.audit.list(user=user, action=action, resource_type=resource_type, resource_id=resource_id,
                               max_items=max_items)

    def server_path(self, path: str | os.PathLike) -> str:
        """The path the REST API wants for `path`: relative to the server root, '/'-separated.

        An absolute path, or a relative one that exists from the current folder, is converted
        when it lies under the server root (when this machine can see that root); anything else
        is sent as given and read by the server relative to its root.
        """
        text = os.fspath(path)
        local = Path(text).expanduser()
        if not local.is_absolute() and not local.exists():
            return Path(text).as_posix()
        root = self.config().server_root
        if not root or not Path(root).is_dir():
            return Path(text).as_posix()
        try:
            rel = local.resolve().relative_to(Path(root).resolve())
        except ValueError:
            # Outside the root: send it absolute, so the server refuses it with its own message
            # rather than silently reading a namesake under its root.
            return local.resolve().as_posix()
        return rel.as_posix()
