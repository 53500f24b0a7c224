"""The errors a client may see. Each carries its `extensions.code`; anything else is masked."""

from __future__ import annotations

from graphql import GraphQLError


class ClientelaError(GraphQLError):
    code = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str, **extensions: object) -> None:
        super().__init__(message, extensions={"code": self.code, **extensions})


class BadUserInput(ClientelaError):
    code = "BAD_USER_INPUT"


class Unauthenticated(ClientelaError):
    code = "UNAUTHENTICATED"

    def __init__(self, message: str = "Sign in first.") -> None:
        super().__init__(message)


class Forbidden(ClientelaError):
    code = "FORBIDDEN"

    def __init__(self, message: str = "You may not do this.") -> None:
        super().__init__(message)


class NotFound(ClientelaError):
    code = "NOT_FOUND"

    def __init__(self, what: str = "Object") -> None:
        super().__init__(f"{what} not found.")


class RateLimited(ClientelaError):
    code = "RATE_LIMITED"

    def __init__(self, retry_after_seconds: int, message: str | None = None, **extensions: object) -> None:
        super().__init__(
            message or f"Too many attempts; try again in {retry_after_seconds} seconds.",
            retryAfterSeconds=retry_after_seconds,
            **extensions,
        )
