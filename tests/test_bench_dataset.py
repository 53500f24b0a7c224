"""The benchmark cannot rot unnoticed: its generator writes a small dataset on the suite's
database (SQLite or PostgreSQL, migrated to the current models), and the floor, which reads that
database with hand-written SQL, answers what the service answers."""

from __future__ import annotations

import os

import pytest
from bench import floor, generate


async def test_a_generated_dataset_answers_portal_home_as_the_floor_does(database, api):
    info = await generate.write_dataset(tasks=400, seed=3)
    token = info["tokens"]["client"]

    service = await api("PortalHome", {"first": 5}, token=token)
    assert not service.errors
    assert service.data["viewer"]["id"] == info["client_user_id"]
    assert service.data["portalItems"]["pageInfo"]["hasNextPage"]

    hand_written = floor.Floor(database, os.environ["CLIENTELA_SECRET_KEY"])
    await hand_written.open()
    try:
        assert await hand_written.portal_home(token, 5) == service.data
        cursor = service.data["portalItems"]["pageInfo"]["endCursor"]
        second = await api("PortalHome", {"first": 5, "after": cursor}, token=token)
        assert await hand_written.portal_home(token, 5, cursor) == second.data
    finally:
        await hand_written.close()


async def test_the_taskpage_item_of_a_generated_dataset_is_in_its_project(database, api):
    info = await generate.write_dataset(tasks=400, seed=3)

    page = await api("TaskPage", {"id": info["task_id"]}, token=info["tokens"]["staff"])

    assert not page.errors
    assert page.data["task"]["project"]["id"] == info["project_id"]


def test_the_generator_refuses_a_table_it_does_not_fill_before_writing_a_row():
    from clientela.tasks.models import Task

    written = ("workspace_id", "title", "ref", "updated_at", "search_title", "search_description")
    with pytest.raises(ValueError, match="task.project_id is NOT NULL without a default"):
        generate.Table(Task, written)
    with pytest.raises(ValueError, match="no field"):
        generate.Table(Task, ("workspace_id", "project_id", "title", "colour"))
