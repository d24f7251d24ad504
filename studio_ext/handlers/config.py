"""GET /studio/api/config: the frontend's version handshake and what the studio is wired to."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from jupyter_server.utils import url_path_join
from tornado import web

from .. import __version__, schemas
from ..exceptions import StudioError
from .base import NoQuery, StudioHandler


class ConfigHandler(StudioHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.parse_query(NoQuery)
        settings = self.studio_settings
        try:
            agent = await self.call(self.agent_service.status)
        except StudioError as exc:
            # The handshake must answer even when the database does not: the frontend then knows
            # the extension is there and can show what is wrong instead of "extension missing".
            agent = {"alive": False, "error": exc.message}
        self.write_model(schemas.StudioConfig(
            version=__version__,
            # What this server offers; the frontend hides what is missing instead of failing on it.
            features=self.studio_features,
            server_root=str(settings.server_root),
            studio_home=str(settings.home),
            mlflow_tracking_uri=settings.mlflow_tracking_uri,
            mlflow_registry_uri=settings.mlflow_registry_uri,
            mlflow_ui_url=url_path_join(self.base_url, "studio/mlflow/"),
            agent=agent,
        ))
