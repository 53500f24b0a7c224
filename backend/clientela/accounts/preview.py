"""Preview as a client: a request sent with the `Clientela-View-As: <person id>` header runs as
that client person would see it (their Viewer, computed as for their own sign-in), if the
policy lets the signed-in person preview them (`policy.require_preview`). A preview is read-only
and is written to the client's audit log, at most once per previewer, person and hour."""

from __future__ import annotations

from datetime import UTC, datetime

from clientela import policy
from clientela.accounts.viewer import viewer_for
from clientela.audit import repository as audit
from clientela.people import repository as people
from clientela.policy import Viewer

PREVIEW_ACTION = "portal.preview"


def now() -> datetime:
    return datetime.now(UTC)


async def viewer_as(previewer: Viewer, raw_person_id: str) -> Viewer:
    """The Viewer of the person `raw_person_id` names, for `previewer`; FORBIDDEN (the same for
    every id refused) or UNAUTHENTICATED otherwise."""
    policy.require_signed_in(previewer)
    person = await people.person_to_preview(previewer.workspace_id, raw_person_id.strip())
    policy.require_preview(previewer, person, person.organization if person else None)
    return await viewer_for(person)


async def record_preview(previewer: Viewer, previewed: Viewer) -> None:
    """The preview in the client's audit log, once per previewer, person and hour."""
    hour = now().astimezone(UTC).strftime("%Y-%m-%dT%H")
    await audit.add_entry_once(
        previewer,
        PREVIEW_ACTION,
        f"previewed the portal as {previewed.user.name}",
        organization_id=previewed.organization_id,
        once_key=f"preview:{previewer.user_id}:{previewed.user_id}:{hour}",
    )
