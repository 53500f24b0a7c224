"""The errors a caller may see, whatever the transport: each has a `code`, a message for people,
details (`extensions`) and the HTTP status that says the same. graphql/errors.py turns them into
GraphQL errors and the HTTP routes into responses, each in one place; anything else is masked.

Input errors name the offending input by its domain name (`field="estimated_minutes"`); the
GraphQL layer shows it as the argument's name (`estimatedMinutes`)."""

from __future__ import annotations


class ClientelaError(Exception):
    code = "INTERNAL_SERVER_ERROR"
    http_status = 500

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    @property
    def extensions(self) -> dict[str, object]:
        return {"code": self.code, **self.details}


class BadUserInput(ClientelaError):
    code = "BAD_USER_INPUT"
    http_status = 400


class TooLarge(BadUserInput):
    """Bad input refused for its size (an upload over the limit): HTTP says so with 413."""

    http_status = 413


class UnsupportedType(BadUserInput):
    """Bad input refused for its kind (a file type outside the allow-list): HTTP 415."""

    http_status = 415


class OverQuota(BadUserInput):
    """Bad input refused for want of room (a workspace's files would pass its storage quota)."""


class Unauthenticated(ClientelaError):
    code = "UNAUTHENTICATED"
    http_status = 401

    def __init__(self, message: str = "Sign in first.") -> None:
        super().__init__(message)


class Forbidden(ClientelaError):
    code = "FORBIDDEN"
    http_status = 403

    def __init__(self, message: str = "You may not do this.") -> None:
        super().__init__(message)


class NotFound(ClientelaError):
    code = "NOT_FOUND"
    http_status = 404

    def __init__(self, what: str = "Object") -> None:
        super().__init__(f"{what} not found.")


class TimedOut(ClientelaError):
    """The request ran out of its time (`request_timeout_seconds`) and was stopped."""

    code = "TIMEOUT"
    http_status = 503


class RateLimited(ClientelaError):
    code = "RATE_LIMITED"
    http_status = 429

    def __init__(self, retry_after_seconds: int, message: str | None = None, **details: object) -> None:
        super().__init__(
            message or f"Too many attempts; try again in {retry_after_seconds} seconds.",
            retryAfterSeconds=retry_after_seconds,
            **details,
        )

    @property
    def retry_after_seconds(self) -> int:
        return int(self.details["retryAfterSeconds"])
