"""core/sql.py goes below Tortoise's public API; these tests say so loudly when an upgrade of
Tortoise changes what it relies on, and check each statement it writes against the rows."""

from __future__ import annotations

import pytest
from tortoise.queryset import ValuesListQuery, ValuesQuery

from clientela.core.sql import FirstOfEach, PreparedUnion, UnionOf, attach, count_union, from_row, raw_rows, union_rows
from clientela.projects.models import Project
from clientela.tasks.models import Task

# What core/sql.py uses of each kind of query it is given.
INTERNALS = [(ValuesQuery, attribute) for attribute in ("_choose_db_if_not_chosen", "_make_query", "_db", "query")] + [
    (ValuesListQuery, attribute)
    for attribute in ("_choose_db_if_not_chosen", "_make_query", "_db", "query", "_fields_for_select_list")
]


def test_a_model_is_still_made_from_its_columns_as_core_sql_makes_it():
    assert hasattr(Task, "_init_from_db"), "Tortoise's Model has no _init_from_db any more: clientela/core/sql.py must change"


@pytest.mark.parametrize(("query_class", "attribute"), INTERNALS)
def test_the_tortoise_internals_core_sql_uses_are_there(query_class, attribute):
    query = Task.all().values("id") if query_class is ValuesQuery else Task.all().values_list("id")
    assert isinstance(query, query_class)
    assert hasattr(query, attribute), (
        f"Tortoise's {query_class.__name__} has no {attribute} any more: clientela/core/sql.py must change"
    )


async def test_the_statements_core_sql_writes_answer_what_the_rows_say(world):
    tasks = await Task.all().order_by("id")
    assert len(tasks) >= 3
    by_project: dict = {}
    for task in tasks:
        by_project.setdefault(task.project_id, []).append(task.id)
    first_project, *_ = by_project
    assert await count_union(Task.filter(project_id=first_project).values("id"), Task.all().values("id")) == len(tasks)
    rows = await union_rows(Task.filter(id=tasks[0].id).values_list("id", "title"), Task.filter(id=tasks[1].id).values_list("id"))
    assert sorted((branch, str(task_id)) for branch, task_id, *_ in rows) == [(0, str(tasks[0].id)), (1, str(tasks[1].id))]
    assert [str(row[0]) for row in await raw_rows(Task.all().order_by("id").values_list("id"))] == [str(t.id) for t in tasks]
    union = await Task.filter(id__in=UnionOf(Task.filter(id=tasks[0].id).values("id"), Task.filter(id=tasks[-1].id).values("id")))
    assert {t.id for t in union} == {tasks[0].id, tasks[-1].id}
    firsts = await Task.filter(id__in=FirstOfEach(Task.all(), "project_id", 1))
    assert {t.id for t in firsts} == {ids[0] for ids in by_project.values()}


async def test_a_prepared_union_runs_its_one_statement_with_the_values_of_each_run(world):
    tasks = await Task.all().order_by("id")
    prepared = PreparedUnion(
        lambda task_id, title: [
            Task.filter(id=task_id).values_list("id", "title", "project_id"),
            Task.filter(title=title).values_list("id"),
        ],
        "placeholder-id",
        "placeholder-title",
    )
    for task in tasks[:2]:
        rows = await prepared.rows(str(task.id), tasks[-1].title)
        assert sorted((branch, str(task_id)) for branch, task_id, *_ in rows) == [(0, str(task.id)), (1, str(tasks[-1].id))]

    first = next(row[1:] for row in await prepared.rows(str(tasks[0].id), "") if row[0] == 0)
    made = from_row(Task, ["id", "title", "project_id"], first)
    assert (made.id, made.title, made.project_id) == (tasks[0].id, tasks[0].title, tasks[0].project_id)
    project = await Project.get(id=tasks[0].project_id)
    attach(made, "project", project)
    assert made.project is project


async def test_a_prepared_union_refuses_a_placeholder_its_statement_does_not_use(world):
    prepared = PreparedUnion(lambda task_id, unused: [Task.filter(id=task_id).values_list("id")], "placeholder-id", "unused")
    with pytest.raises(ValueError, match="placeholders \\[1\\] do not appear"):
        await prepared.rows("x", "y")
