"""StudioHandler: the one place that authenticates, parses, audits and translates errors to JSON."""

from __future__ import annotations

import functools
import getpass
import json
import re
import uuid
from collections.abc import Awaitable, Callable
from http.client import responses
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

from jupyter_server.base.handlers import APIHandler
from pydantic import BaseModel, ConfigDict, ValidationError
from tornado import web
from tornado.ioloop import IOLoop

from .. import schemas
from ..exceptions import ERROR_CODE_TO_HTTP_STATUS, InvalidParameter, PayloadTooLarge, StudioError
from ..schemas.limits import MAX_REQUEST_BYTES

ModelT = TypeVar("ModelT", bound=BaseModel)

REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_STREAM_CHUNK = 256 * 1024  # file downloads are sent in pieces of this size


def _is_generated_anonymous(user: Any) -> bool:
    # jupyter_server's IdentityProvider.generate_anonymous_user: uuid4 hex + "Anonymous <moon>".
    username, name = getattr(user, "username", ""), getattr(user, "name", "") or ""
    return len(username) == 32 and name.startswith("Anonymous ") and all(c in "0123456789abcdef" for c in username)


@functools.cache
def _server_account() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "anonymous"

def username_of(user: Any) -> str:
    """Who the audit log names for a request's `current_user`. Jupyter gives each request
    authenticated by the shared token a random 'Anonymous <moon>' user; on such a single-user server
    the person is the account that runs it, so that account's name is recorded instead of a random id."""
    username = getattr(user, "username", None) or (user if isinstance(user, str) else None)
    if username is None or _is_generated_anonymous(user):
        return _server_account()
    return username


# Query arguments Jupyter itself may put on any URL (token auth, xsrf); never ours to reject.
_TRANSPORT_QUERY_ARGS = frozenset({"token", "_xsrf", "no_track_activity"})

# HTTP statuses that tornado/jupyter_server raise themselves (403 unauthenticated, 404 no route,
# 405 method) mapped back onto our error codes so every error body has the same shape.
STATUS_TO_ERROR_CODE = {
    400: "InvalidParameterValue",
    401: "Unauthorized",
    403: "AccessDenied",
    404: "ResourceNotFound",
    405: "InvalidParameterValue",
    409: "ConflictException",
    413: "PayloadTooLarge",
    429: "LimitExceeded",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}


class NoQuery(BaseModel):
    """For routes that take no query parameters: any given is a typo worth a 400."""

    model_config = ConfigDict(extra="forbid")


def describe_validation_error(exc: ValidationError, where: str = "") -> str:
    """'field.sub: problem; other: problem', the way a person reads a form error."""
    parts = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "__root__") or where or "request body"
        if err.get("type") == "extra_forbidden":
            problem = "unknown field"
        elif err.get("type") == "missing":
            problem = "field required"
        elif err.get("type") == "json_invalid":
            problem = f"not valid JSON ({err.get('ctx', {}).get('error', err.get('msg'))})"
        elif err.get("type") == "model_type" and not err.get("loc"):
            problem = "must be a JSON object"
        else:
            problem = err.get("msg", "invalid value").removeprefix("Value error, ")
            value = err.get("input")
            if isinstance(value, str | int | float | bool) and len(repr(value)) < 80:
                problem += f" (got {value!r})"
        if not err.get("loc") and re.match(r"^[\w.\[\]]+: ", problem):
            parts.append(problem)  # a check across fields names its field itself
        else:
            parts.append(f"{loc}: {problem}")
    return "; ".join(parts)


def _error_code_of(exc: BaseException) -> tuple[str, int]:
    if isinstance(exc, StudioError):
        return exc.error_code, exc.http_status
    if isinstance(exc, ValidationError):
        return "InvalidParameterValue", 400
    if isinstance(exc, web.HTTPError):
        code = STATUS_TO_ERROR_CODE.get(exc.status_code, "InternalError")
        return code, exc.status_code
    return "InternalError", 500


def audited(action: str, resource_type: str) -> Callable:
    """Record an audit event (who, action, resource, outcome) for a mutating handler method.

    The resource id is the first path argument, or what the method stores in
    `self.audit_resource_id` (a create learns its id only after the call). Failures are recorded
    too, with the error code, then re-raised for write_error to answer.
    """

    def wrap(method: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        @functools.wraps(method)
        async def inner(self: StudioHandler, *args: Any, **kwargs: Any) -> Any:
            self.audit_resource_id = args[0] if args else next(iter(kwargs.values()), None)
            self.set_header("X-Request-Id", self.request_id)
            try:
                result = await method(self, *args, **kwargs)
            except Exception as exc:
                code, status = _error_code_of(exc)
                message = getattr(exc, "message", None) or getattr(exc, "log_message", None) or str(exc)
                await self.record_audit(action, resource_type, schemas.AuditOutcome.FAILURE,
                                        {"error_code": code, "status": status, "message": message[:500]})
                raise
            await self.record_audit(action, resource_type, schemas.AuditOutcome.SUCCESS,
                                    {"status": self.get_status()})
            return result

        return inner

    return wrap


class StudioHandler(APIHandler):
    """Base of every studio REST handler.

    Subclasses decorate each method with `@web.authenticated` and `@authorized` (resource
    "studio", so an operator's Authorizer can grant or deny the studio as a whole), mutations also
    with `@audited(...)`, and call services only through `self.call(...)`.
    """

    auth_resource = "studio"
    audit_resource_id: str | None = None
    _request_id: str | None = None

    # ------------------------------------------------------------------ services

    @property
    def job_service(self):
        return self.settings["studio_ext_job_service"]

    @property
    def schedule_service(self):
        return self.settings["studio_ext_schedule_service"]

    @property
    def audit_service(self):
        return self.settings["studio_ext_audit_service"]

    @property
    def agent_service(self):
        return self.settings["studio_ext_agent_service"]

    @property
    def studio_settings(self):
        return self.settings["studio_ext_settings"]

    @property
    def studio_features(self) -> list[str]:
        """The feature names of the parts the server registered (app.py computes them)."""
        return list(self.settings.get("studio_ext_features", []))

    @property
    def username(self) -> str:
        """Who the audit log and `stopped by` name (see username_of)."""
        return username_of(self.current_user)

    async def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run a service call on a worker thread: services hit SQLite and the filesystem, and the
        event loop must keep serving other requests (and kernels) meanwhile."""
        return await IOLoop.current().run_in_executor(None, functools.partial(fn, *args, **kwargs))

    @property
    def request_id(self) -> str:
        """The client's X-Request-Id (letters, digits, -_.:, at most 128), else a new one: what the
        audit event and the response name, so a client can find its request in the log."""
        if self._request_id is None:
            given = self.request.headers.get("X-Request-Id", "")
            self._request_id = given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        return self._request_id

    async def record_audit(self, action: str, resource_type: str, outcome: schemas.AuditOutcome,
                           detail: dict[str, Any]) -> None:
        # Where the call came from: its address, the client and its request id (CloudTrail's
        # sourceIPAddress, userAgent, requestID), under the chain's hash like the rest.
        detail = {**detail, "source_ip": self.request.remote_ip, "request_id": self.request_id,
                  "user_agent": (self.request.headers.get("User-Agent") or "")[:200]}
        try:
            await self.call(self.audit_service.record, self.username, action, resource_type,
                            self.audit_resource_id, outcome, detail)
        except Exception:  # the audit log failing must not hide the outcome of the request itself
            self.log.exception("studio: could not record audit event %s %s", action, self.audit_resource_id)

    # ------------------------------------------------------------------ parsing

    def parse_body(self, model: type[ModelT], required: bool = False) -> ModelT:
        """The JSON body as `model`; 400 naming the field on bad JSON, unknown fields, bad values,
        413 over MAX_REQUEST_BYTES. JSON is taken as JSON (strict): "10" is not an integer, true
        is not 1, and nesting is bounded (no RecursionError). `required`: an empty body is a 400
        (a PATCH without changes), else it stands for {}."""
        raw = self.request.body or b""
        if len(raw) > MAX_REQUEST_BYTES:
            raise PayloadTooLarge(f"request body: {len(raw)} bytes; the limit is {MAX_REQUEST_BYTES} bytes")
        if not raw.strip():
            if required:
                raise InvalidParameter("request body: required (a JSON object with the fields to change)")
            raw = b"{}"
        try:
            return model.model_validate_json(raw, strict=True)
        except ValidationError as exc:
            raise InvalidParameter(describe_validation_error(exc)) from None

    def parse_query(self, model: type[ModelT]) -> ModelT:
        """The query string as `model`; unknown or repeated arguments are a 400."""
        values: dict[str, str] = {}
        for name, raw in self.request.query_arguments.items():
            # JupyterLab's ServerConnection appends a bare `?<timestamp>` cache-buster to GETs.
            if name in _TRANSPORT_QUERY_ARGS or (name.isdigit() and raw in ([b""], [])):
                continue
            if name not in model.model_fields:
                allowed = ", ".join(sorted(model.model_fields)) or "none"
                raise InvalidParameter(f"{name}: unknown query parameter; allowed: {allowed}")
            if len(raw) != 1:
                raise InvalidParameter(f"{name}: query parameter given {len(raw)} times; give it once")
            values[name] = raw[0].decode("utf-8", errors="replace")
        try:
            return model.model_validate(values)
        except ValidationError as exc:
            raise InvalidParameter(describe_validation_error(exc)) from None

    # The answer helpers write but do not finish: tornado finishes after the handler method (and
    # @audited around it) returns, so a mutation's audit event is committed before the client
    # sees the response and can never be missing when the client looks right after.

    def write_model(self, model: BaseModel, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.write(model.model_dump_json())

    async def stream_file(self, path: Path, content_type: str, download: bool) -> None:
        """Send a file in chunks (read on a worker thread) as inline or as an attachment."""
        self.set_header("Content-Type", content_type)
        self.set_header("X-Content-Type-Options", "nosniff")
        disposition = "attachment" if download else "inline"
        self.set_header("Content-Disposition", f"{disposition}; filename*=UTF-8''{quote(path.name)}")
        fh = await self.call(open, path, "rb")
        try:
            while True:
                chunk = await self.call(fh.read, _STREAM_CHUNK)
                if not chunk:
                    break
                self.write(chunk)
                await self.flush()
        finally:
            fh.close()
        self.finish(set_content_type=content_type)

    def write_json(self, data: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.write(json.dumps(data))

    def no_content(self) -> None:
        self.set_status(204)

    # ------------------------------------------------------------------ errors

    def log_exception(self, typ, value, tb) -> None:
        # Expected errors (bad input, not found, conflicts) are the client's business: one line,
        # no traceback. Unexpected ones keep tornado's full logging.
        if isinstance(value, StudioError | ValidationError):
            code, status = _error_code_of(value)
            self.log.info("studio %s %s -> %s %s: %s", self.request.method, self.request.path, status,
                          code, getattr(value, "message", value))
            return
        super().log_exception(typ, value, tb)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Every error answer is `{"error_code", "message"}` with the status from the one table."""
        exc_info = kwargs.get("exc_info")
        exc = exc_info[1] if exc_info else None
        if isinstance(exc, StudioError):
            body = exc.to_dict()
            status_code = ERROR_CODE_TO_HTTP_STATUS.get(exc.error_code, 500)
        elif isinstance(exc, ValidationError):
            body = {"error_code": "InvalidParameterValue", "message": describe_validation_error(exc)}
            status_code = 400
        elif isinstance(exc, web.HTTPError):
            code, status_code = _error_code_of(exc)
            message = exc.log_message % exc.args if exc.log_message and exc.args else exc.log_message
            if status_code == 403 and not message:
                message = "authentication required: send 'Authorization: token <jupyter token>'"
            body = {"error_code": code, "message": message or exc.reason or responses.get(status_code, "error")}
        else:
            body = {"error_code": "InternalError",
                    "message": f"internal error ({type(exc).__name__ if exc else 'unknown'}); see the server log"}
        self.set_status(status_code)
        self.set_header("Content-Type", "application/json")
        if status_code == 405:  # RFC 9110: a 405 names the methods the resource has
            self.set_header("Allow", ", ".join(self.allowed_methods()))
        self.finish(json.dumps(body))

    @classmethod
    def allowed_methods(cls) -> list[str]:
        """The HTTP methods this handler implements (tornado's base class answers 405 to the others)."""
        return [m for m in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
                if getattr(cls, m.lower()) is not getattr(web.RequestHandler, m.lower())]
