"""The one HTTP path of the SDK: a requests.Session with Jupyter token auth and error rebuilding."""

from __future__ import annotations

from typing import Any

import requests

from ..exceptions import ServiceUnavailable, StudioError
from ._discovery import ServerInfo

API_PREFIX = "studio/api/"


class HTTPClient:
    """Sends requests to `<server>/studio/api/...`; every non-2xx becomes a StudioError subclass."""

    def __init__(self, server: ServerInfo, timeout: float = 60.0):
        self.server = server
        self.timeout = timeout
        self.session = requests.Session()
        if server.token:
            self.session.headers["Authorization"] = f"token {server.token}"
        self.session.headers["User-Agent"] = "studio-ext-sdk"

    def url(self, path: str) -> str:
        return self.server.url + API_PREFIX + path.lstrip("/")

    def request(self, method: str, path: str, *, params: dict | None = None, json: Any = None,
                stream: bool = False) -> requests.Response:
        if params:
            # Drop unset filters and send booleans the way the server's query parser reads them.
            params = {k: (str(v).lower() if isinstance(v, bool) else v)
                      for k, v in params.items() if v is not None}
        try:
            response = self.session.request(method, self.url(path), params=params, json=json,
                                            timeout=self.timeout, stream=stream)
        except requests.ConnectionError as exc:
            # The last line of requests' chained message is the useful one ("Connection refused").
            reason = str(exc.args[0].reason if exc.args and hasattr(exc.args[0], "reason") else exc)
            raise ServiceUnavailable(
                f"cannot reach the studio server at {self.server.url} (from {self.server.source}): {reason}"
            ) from None
        except requests.Timeout:
            raise ServiceUnavailable(
                f"the studio server at {self.server.url} did not answer within {self.timeout:g} s"
            ) from None
        if response.status_code >= 400:
            raise _error_from(response)
        return response

    def get(self, _path: str, /, **params: Any) -> Any:
        return self.request("GET", _path, params=params).json()

    def post(self, path: str, body: Any = None) -> Any:
        response = self.request("POST", path, json=body if body is not None else {})
        return response.json() if response.content else None

    def patch(self, path: str, body: Any) -> None:
        self.request("PATCH", path, json=body)

    def delete(self, path: str) -> None:
        self.request("DELETE", path)


def _error_from(response: requests.Response) -> StudioError:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or "message" not in body:
        # Not a studio error body: Jupyter's own 403/404 pages, a proxy error, ...
        hint = {
            401: "authentication failed: check the token (STUDIO_TOKEN / --token)",
            403: "authentication failed: check the token (STUDIO_TOKEN / --token)",
            404: "no studio API at this URL: is the studio_ext server extension enabled?",
        }.get(response.status_code, (response.text or "").strip()[:300] or response.reason)
        code = {401: "Unauthorized", 403: "AccessDenied"}.get(response.status_code)
        body = {"message": f"HTTP {response.status_code} from {response.url}: {hint}",
                **({"error_code": code} if code else {})}
    return StudioError.from_response(response.status_code, body)
