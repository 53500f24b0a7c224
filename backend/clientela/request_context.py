"""Who is asking: the request's Context worked out from its bearer token (and the preview
header), for every route that serves data (GraphQL, the CSV export, files)."""

from __future__ import annotations

from starlette.requests import HTTPConnection

from clientela.accounts import preview, sessions
from clientela.core import requests
from clientela.core.errors import ClientelaError
from clientela.fair_use import FairUse
from clientela.fair_use import budget_key as fair_use_budget_key
from clientela.files.storage import Storage
from clientela.graphql.context import Context
from clientela.policy import ANONYMOUS
from clientela.settings import Settings


def bearer_token(connection: HTTPConnection) -> str | None:
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


# Preview as a client: the request runs as this client person sees it (accounts/preview.py).
VIEW_AS_HEADER = "clientela-view-as"


async def context_for(
    connection: HTTPConnection, settings: Settings, budget: FairUse | None = None, storage: Storage | None = None
) -> Context:
    """Who is asking, worked out once per request from the bearer token (and, for a preview as
    a client, the Clientela-View-As header). A preview the signed-in person may not make is
    refused before the request runs (`Context.refusal`); its fair-use budget stays the
    signed-in person's."""
    token = bearer_token(connection)
    viewer = await sessions.viewer_for_token(token)
    signed_in = viewer is not ANONYMOUS
    client_ip = connection.client.host if connection.client else "unknown"
    previewer = refusal = None
    view_as = connection.headers.get(VIEW_AS_HEADER)
    if view_as is not None:
        try:
            previewer, viewer = viewer, await preview.viewer_as(viewer, view_as)
        except ClientelaError as error:
            previewer, viewer, refusal = None, ANONYMOUS, error
    record = requests.current()
    if record is not None:
        record.viewer = viewer.kind.value
    return Context(
        viewer=viewer,
        previewer=previewer,
        refusal=refusal,
        settings=settings,
        client_ip=client_ip,
        session_token=token,
        fair_use=budget,
        fair_use_key=fair_use_budget_key(token, signed_in, client_ip),
        fair_use_place=connection.scope.get("state", {}).get("fair_use_place"),
        storage=storage,
    )
