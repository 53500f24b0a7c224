"""Projects, their members and followers, for the request's Loaders."""

from __future__ import annotations

from functools import cached_property

from strawberry.dataloader import DataLoader

from clientela import policy
from clientela.core.dataloaders import Keys, ReadAlong, along_paths, by_id, grouped, linked, links
from clientela.people.models import User
from clientela.policy import Viewer
from clientela.projects.models import Project, ProjectFollower, ProjectMember


class ProjectLoaders:
    viewer: Viewer
    user_by_id: DataLoader
    organization_by_id: DataLoader

    @cached_property
    def project_by_id(self) -> DataLoader:
        return by_id(Project)

    @cached_property
    def links_by_project(self) -> DataLoader:
        people = ReadAlong(User, self.user_by_id)
        return links(
            {"members": people, "follower_people": people},
            members=lambda keys: ProjectMember.filter(project_id__in=keys).values_list(
                "project_id", "id", "user_id", *along_paths("user", User)
            ),
            follower_people=lambda keys: ProjectFollower.filter(project_id__in=keys, user_id__isnull=False).values_list(
                "project_id", "id", "user_id", *along_paths("user", User)
            ),
            follower_organizations=lambda keys: ProjectFollower.filter(
                project_id__in=keys, organization_id__isnull=False
            ).values_list("project_id", "id", "organization_id"),
        )

    @cached_property
    def members_by_project(self) -> DataLoader:
        return linked(self.links_by_project, "members", self.user_by_id)

    @cached_property
    def follower_people_by_project(self) -> DataLoader:
        return linked(self.links_by_project, "follower_people", self.user_by_id)

    @cached_property
    def follower_organizations_by_project(self) -> DataLoader:
        return linked(self.links_by_project, "follower_organizations", self.organization_by_id)

    @cached_property
    def visible_projects_by_client(self) -> DataLoader:
        async def fetch(keys: Keys):
            projects = Project.filter(policy.projects_visible(self.viewer), client_id__in=keys)
            return [(p.client_id, p) for p in await projects.order_by("name", "id")]

        return grouped(fetch)

    @cached_property
    def visible_projects_followed_by_organization(self) -> DataLoader:
        async def fetch(keys: Keys):
            rows = await ProjectFollower.filter(organization_id__in=keys).values_list("organization_id", "project_id")
            visible = Project.filter(policy.projects_visible(self.viewer), id__in={p for _, p in rows})
            projects = {p.id: p for p in await visible.order_by("name", "id")}
            return [(o, projects[p]) for o, p in rows if p in projects]

        return grouped(fetch)
