"""The per-request context: who is asking, and the request's DataLoaders."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeAlias

from strawberry.types import Info as StrawberryInfo

from clientela.automations.loaders import AutomationLoaders
from clientela.conversations.loaders import ConversationLoaders
from clientela.core import clock, requests
from clientela.core.errors import ClientelaError
from clientela.files.loaders import FileLoaders
from clientela.files.storage import Storage
from clientela.organizations.loaders import OrganizationLoaders
from clientela.partners.loaders import PartnerLoaders
from clientela.people.loaders import PeopleLoaders
from clientela.policy import Viewer
from clientela.projects.loaders import ProjectLoaders
from clientela.ratings.loaders import RatingLoaders
from clientela.reports.loaders import ReportLoaders
from clientela.settings import Settings
from clientela.sharing.loaders import SharingLoaders
from clientela.targets.loaders import TargetLoaders
from clientela.tasks.loaders import TaskLoaders
from clientela.workspaces.loaders import WorkspaceLoaders

if TYPE_CHECKING:
    from clientela.fair_use import FairUse, Place


class Loaders(
    PeopleLoaders, OrganizationLoaders, WorkspaceLoaders, SharingLoaders, ProjectLoaders, TaskLoaders,
    ConversationLoaders, ReportLoaders, PartnerLoaders, TargetLoaders, AutomationLoaders, FileLoaders, RatingLoaders,
):
    """The request's DataLoaders: each domain's, from its `loaders.py` (see core/dataloaders.py)."""

    def __init__(self, viewer: Viewer) -> None:
        self.viewer = viewer


def _request_id() -> str:
    """The id the request's log line carries (clientela.observe), else a new one."""
    record = requests.current()
    return record.id if record is not None else uuid.uuid4().hex[:12]


@dataclass
class Context:
    viewer: Viewer
    settings: Settings
    client_ip: str = "unknown"
    session_token: str | None = None
    request_id: str = field(default_factory=_request_id)
    # One moment for the whole request, so that every item's targets are told as of the same time.
    now: datetime = field(default_factory=lambda: clock.now())
    _loaders: Loaders | None = None
    # The fair-use budgets of the app serving the request, and whose budget it draws on.
    fair_use: FairUse | None = None
    fair_use_key: str = ""
    fair_use_place: Place | None = None  # the request's place (clientela.fair_use.Admission)
    # Preview as a client (the Clientela-View-As header): `viewer` is the client person and
    # `previewer` the signed-in person; the request is read-only (graphql/preview.py).
    previewer: Viewer | None = None
    # Why the request is refused before it runs (a preview the signed-in person may not make).
    refusal: ClientelaError | None = None
    # Where files' bytes are kept (the app's store).
    storage: Storage | None = None

    @property
    def loaders(self) -> Loaders:
        if self._loaders is None:
            self._loaders = Loaders(self.viewer)
            user = self.viewer.user
            if user is not None:
                # Signing in already fetched these; pages ask for them all the time.
                self._loaders.workspace_by_id.prime(user.workspace_id, user.workspace)
                if user.organization is not None:
                    self._loaders.organization_by_id.prime(user.organization_id, user.organization)
                    self._loaders.language_of_organization.prime(user.organization_id, user.organization.language)
        return self._loaders


Info: TypeAlias = StrawberryInfo[Context, Any]
