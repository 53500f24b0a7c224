"""HTTP hygiene around every route: bounded request bodies, security headers, CORS."""

from __future__ import annotations

import json

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clientela.files import routes as files
from clientela.settings import Settings

MAX_BODY_BYTES = 1024 * 1024


def _refusal(status: int, message: str, code: str) -> tuple[dict, bytes]:
    body = json.dumps({"errors": [{"message": message, "extensions": {"code": code}}]}).encode()
    start = {
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
    }
    return start, body


class BodyLimit:
    """Refuses request bodies over MAX_BODY_BYTES, or over the limit of their path (`limits`:
    path → (bytes, what the refusal says)), with 413: by the Content-Length header before the
    route runs, or as soon as the bytes received pass it."""

    def __init__(self, app: ASGIApp, limits: dict[str, tuple[int, str]] | None = None) -> None:
        self.app = app
        self.limits = limits or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit, refusal = self.limits.get(
            scope["path"], (MAX_BODY_BYTES, f"The request body is over the limit of {MAX_BODY_BYTES} bytes.")
        )
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return await self._refuse(send, refusal)
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLarge()
            return message

        try:
            await self.app(scope, counting_receive, send)
        except _BodyTooLarge:
            await self._refuse(send, refusal)

    @staticmethod
    async def _refuse(send: Send, message: str) -> None:
        start, body = _refusal(413, message, "BAD_USER_INPUT")
        await send(start)
        await send({"type": "http.response.body", "body": body})


class _BodyTooLarge(Exception):
    pass


POLICY = b"content-security-policy"


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, development: bool) -> None:
        self.app = app
        self.headers = [
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"no-referrer"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]
        if not development:
            # GraphiQL (development only) loads its scripts from a CDN; the portal needs nothing outside.
            self.headers += [
                (b"content-security-policy", b"default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"),
                (b"strict-transport-security", b"max-age=31536000; includeSubDomains"),
            ]

        self.names = {name for name, _ in self.headers}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                # A route's own policy (the portal's pages, downloads) stays beside the service's:
                # a browser enforces both, so a route can tighten the policy, never loosen it.
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in self.names or k.lower() == POLICY]
                message = {**message, "headers": [*kept, *self.headers]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def middleware(settings: Settings) -> list[Middleware]:
    return [
        Middleware(SecurityHeaders, development=settings.development),
        Middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
            max_age=600,
        ),
        Middleware(BodyLimit, limits={files.UPLOAD_PATH: files.upload_limit(settings)}),
    ]
