"""The service's exception tree; the web layer maps each to one HTTP status and a JSON body.

ServiceError                      base; ``code`` is a stable machine-readable name
├── NotFound                      404: unknown exercise, submission, user, token
├── AuthenticationFailed          401: no credentials, wrong password, revoked token
├── PermissionDenied              403: the role or the owner does not match
├── InvalidSubmission             422: empty, malformed, not valid nbformat, bad file names
│   └── SubmissionTooLarge        413: over ``Settings.max_upload_bytes``
├── RateLimited                   429: too many submissions in the window
└── Conflict                      409: a username that already exists
"""

from __future__ import annotations


class ServiceError(Exception):
    """Base of every error the service reports to a caller."""

    status_code: int = 400
    code: str = "bad_request"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class NotFound(ServiceError):
    status_code = 404
    code = "not_found"


class AuthenticationFailed(ServiceError):
    status_code = 401
    code = "unauthenticated"


class PermissionDenied(ServiceError):
    status_code = 403
    code = "forbidden"


class InvalidSubmission(ServiceError):
    status_code = 422
    code = "invalid_submission"


class SubmissionTooLarge(InvalidSubmission):
    status_code = 413
    code = "submission_too_large"


class RateLimited(ServiceError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Conflict(ServiceError):
    status_code = 409
    code = "conflict"
