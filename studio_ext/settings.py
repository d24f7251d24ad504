"""StudioSettings: the handful of facts every process (server, agent, job, CLI tests) must agree on."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from . import paths
from .instance_types import load_catalog
from .schemas import InstanceType


@dataclass
class StudioSettings:
    home: Path
    db_url: str
    mlflow_tracking_uri: str
    server_root: Path
    instance_types: dict[str, InstanceType] = field(default_factory=dict)
    mlflow_registry_uri: str = ""  # "": the default (paths.default_mlflow_registry_uri)

    def __post_init__(self) -> None:
        if not self.mlflow_registry_uri:
            self.mlflow_registry_uri = paths.default_mlflow_registry_uri(self.mlflow_tracking_uri)

    @classmethod
    def from_env(cls, home: str | Path | None = None, db_url: str | None = None,
                 mlflow_tracking_uri: str | None = None, server_root: str | Path | None = None,
                 mlflow_registry_uri: str | None = None) -> StudioSettings:
        """Explicit values win; otherwise STUDIO_HOME / STUDIO_DB_URL / STUDIO_MLFLOW_TRACKING_URI
        (then MLFLOW_TRACKING_URI) / STUDIO_MLFLOW_REGISTRY_URI (then MLFLOW_REGISTRY_URI) /
        STUDIO_SERVER_ROOT from the environment; otherwise the documented defaults."""
        import os

        home_path = Path(home).resolve() if home else paths.studio_home()
        paths.secure_home(home_path)
        root = server_root or os.environ.get("STUDIO_SERVER_ROOT") or os.getcwd()
        return cls(
            home=home_path,
            db_url=db_url or paths.default_db_url(home_path),
            mlflow_tracking_uri=mlflow_tracking_uri or paths.default_mlflow_tracking_uri(home_path),
            server_root=Path(root).resolve(),
            instance_types=load_catalog(home_path),
            mlflow_registry_uri=mlflow_registry_uri or "",
        )

    def child_env(self) -> dict[str, str]:
        """What a process the studio starts must inherit to agree on the registry (its other
        settings travel as arguments)."""
        return {"STUDIO_MLFLOW_REGISTRY_URI": self.mlflow_registry_uri}

    def job_dir(self, job_id: str) -> Path:
        return paths.job_dir(job_id, self.home)
