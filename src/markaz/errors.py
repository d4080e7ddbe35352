"""One exception tree for user-visible failures, mapped to HTTP status codes in one place."""

from __future__ import annotations


class MarkazError(Exception):
    """A failure the user can understand and act on."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code

    def to_dict(self) -> dict[str, object]:
        error: dict[str, object] = {"code": self.code, "message": self.message}
        if self.field is not None:
            error["field"] = self.field
        return {"error": error}


class InvalidInput(MarkazError):
    status = 422
    code = "invalid"


class MalformedBody(MarkazError):
    status = 400
    code = "malformed"


class Unauthenticated(MarkazError):
    status = 401
    code = "unauthenticated"


class Forbidden(MarkazError):
    status = 403
    code = "forbidden"


class NotFound(MarkazError):
    status = 404
    code = "not_found"


class Conflict(MarkazError):
    status = 409
    code = "conflict"


class TooLarge(MarkazError):
    status = 413
    code = "too_large"


class UnsupportedMediaType(MarkazError):
    status = 415
    code = "unsupported_media_type"


class AuditFailure(MarkazError):
    """The audit chain does not match the stored objects."""

    status = 500
    code = "audit_failure"
