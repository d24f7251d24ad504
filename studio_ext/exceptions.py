"""One root exception with an error code, and the one table that maps codes to HTTP statuses."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

# error_code -> HTTP status. The base handler and the SDK both read this table; nothing else
# decides what status an error gets.
ERROR_CODE_TO_HTTP_STATUS: dict[str, int] = {
    "InvalidParameterValue": 400,
    "ValidationError": 400,
    "Unauthorized": 401,
    "AccessDenied": 403,
    "ResourceNotFound": 404,
    "ConflictException": 409,
    "ResourceInUse": 409,
    "PayloadTooLarge": 413,
    "LimitExceeded": 429,
    "InternalError": 500,
    "BadGateway": 502,
    "ServiceUnavailable": 503,
    "GatewayTimeout": 504,
}


class StudioError(Exception):
    """Root of every error the studio raises on purpose.

    Args:
        message: a sentence a person can act on; names the field and the problem.
        error_code: a key of ERROR_CODE_TO_HTTP_STATUS.
    """

    error_code = "InternalError"

    def __init__(self, message: str, error_code: str | None = None, http_status: int | None = None):
        super().__init__(message)
        self.message = message
        if error_code is not None:
            self.error_code = error_code
        self._http_status = http_status  # a status the server gave with a code not in our table

    @property
    def http_status(self) -> int:
        return self._http_status or ERROR_CODE_TO_HTTP_STATUS.get(self.error_code, 500)

    def to_dict(self) -> dict[str, str]:
        return {"error_code": self.error_code, "message": self.message}

    @classmethod
    def from_response(cls, status: int, body: dict | None) -> StudioError:
        """Rebuild the error on the client side (SDK) from an `{error_code, message}` body."""
        body = body or {}
        code = body.get("error_code") or ("InternalError" if status >= 500 else "InvalidParameterValue")
        message = body.get("message") or f"HTTP {status}"
        for sub in (InvalidParameter, NotFound, Conflict, ServiceUnavailable, AccessDenied, PayloadTooLarge,
                    BadGateway, GatewayTimeout):
            if sub.error_code == code:
                return sub(message)
        # Another table's code (an endpoint answers MLflow's BAD_REQUEST...): the status decides
        # the class, the code stays what the server said.
        by_status = {400: InvalidParameter, 404: NotFound, 409: Conflict, 413: PayloadTooLarge, 403: AccessDenied,
                     502: BadGateway, 503: ServiceUnavailable, 504: GatewayTimeout}
        return by_status.get(status, cls)(message, code, http_status=status)


class InvalidParameter(StudioError):
    """A request field is missing, malformed or out of range (400)."""

    error_code = "InvalidParameterValue"


class NotFound(StudioError):
    """The named resource does not exist (404)."""

    error_code = "ResourceNotFound"


class Conflict(StudioError):
    """The resource is in a state that forbids the action (409)."""

    error_code = "ConflictException"


class PayloadTooLarge(StudioError):
    """A request body over its documented limit (413)."""

    error_code = "PayloadTooLarge"


class BadGateway(StudioError):
    """A process behind the studio (a replica) failed to answer properly (502)."""

    error_code = "BadGateway"


class GatewayTimeout(StudioError):
    """A process behind the studio (a replica) did not answer in time (504)."""

    error_code = "GatewayTimeout"


class AccessDenied(StudioError):
    """The caller may not do this (403)."""

    error_code = "AccessDenied"


class ServiceUnavailable(StudioError):
    """A dependency (the database, MLflow) is temporarily unreachable (503)."""

    error_code = "ServiceUnavailable"


@contextmanager
def path_errors(field: str, given: str) -> Iterator[None]:
    """A path a client gave that the file system refuses to look at (a name over 255 bytes, a
    path over PATH_MAX, a link loop) is the client's error: InvalidParameter naming `field`."""
    try:
        yield
    except OSError as exc:
        raise InvalidParameter(f"{field}: {given[:80]!r}{'...' if len(given) > 80 else ''} is not a usable path "
                               f"({exc.strerror or exc})") from None
