from __future__ import annotations

import datetime as dt

import strawberry

from clientela.accounts import services, sessions
from clientela.core.ids import parse_id
from clientela.graphql.context import Info
from clientela.people.types import UserType


@strawberry.input
class SignUpInput:
    workspace_name: str
    name: str
    email: str
    password: str
    language: str | None = None


@strawberry.type
class AuthPayload:
    token: str = strawberry.field(description='Send it back as "Authorization: Bearer <token>".')
    viewer: UserType
    expires_at: dt.datetime = strawberry.field(
        description="When the session ends unless refreshSession is called before (never past its fixed end)."
    )


def _payload(signed_in: sessions.SignedIn) -> AuthPayload:
    return AuthPayload(token=signed_in.token, viewer=signed_in.user, expires_at=signed_in.expires_at)


@strawberry.type
class Query:
    @strawberry.field(description="The signed-in person; null when the request carries no valid token.")
    def viewer(self, info: Info) -> UserType | None:
        return info.context.viewer.user


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Creates a workspace with the caller as its admin.")
    async def sign_up(self, info: Info, input: SignUpInput) -> AuthPayload:
        signed_in = await services.sign_up(
            workspace_name=input.workspace_name,
            name=input.name,
            email=input.email,
            password=input.password,
            language=input.language,
            client_ip=info.context.client_ip,
        )
        return _payload(signed_in)

    @strawberry.mutation(description='keepSignedIn: the session lasts longer without use and in all ("keep me signed in").')
    async def log_in(
        self,
        info: Info,
        email: str,
        password: str,
        workspace_id: strawberry.ID | None = None,
        keep_signed_in: bool = False,
    ) -> AuthPayload:
        signed_in = await services.log_in(
            email=email,
            password=password,
            workspace_id=parse_id(workspace_id),
            client_ip=info.context.client_ip,
            keep_signed_in=keep_signed_in,
        )
        return _payload(signed_in)

    @strawberry.mutation(
        description="A new token for the session of the token sent, which is refused from then on; "
        "the session's time without use starts again. UNAUTHENTICATED when the session has ended."
    )
    async def refresh_session(self, info: Info) -> AuthPayload:
        return _payload(await sessions.refresh(info.context.session_token))

    @strawberry.mutation(description="Ends the session of the token sent with the request.")
    async def log_out(self, info: Info) -> bool:
        return await sessions.end(info.context.session_token)

    @strawberry.mutation(
        description="Sets the signed-in person's own language (en, es, pt, ru); null: their organization's, "
        "else the workspace's, again."
    )
    async def set_my_language(self, info: Info, language: str | None) -> UserType:
        return await services.set_my_language(info.context.viewer, language)

    @strawberry.mutation(description="Always true. Emails a create/reset-password link if the address is known.")
    async def request_password_reset(self, info: Info, email: str) -> bool:
        return await services.request_password_reset(email, client_ip=info.context.client_ip)

    @strawberry.mutation(description="Sets the password and ends every session of the person.")
    async def reset_password(self, token: str, password: str) -> bool:
        return await services.reset_password(token, password)
