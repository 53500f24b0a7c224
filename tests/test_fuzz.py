"""Schemathesis fuzzes the exported schema.graphql against the started service (a separate
process, see `server_process` in conftest.py), signed in as an admin and as a client: no response
is a 5xx, none carries a stack trace or the database's own words, and no error is an unexpected
one (INTERNAL_SERVER_ERROR, the masked form of an exception the service did not raise on purpose).

Every root field of Query and Mutation is one test per role, over a fresh world (build_world).
Arguments of type ID are drawn mostly from the world's real ids, so the fuzzer gets past "not
found" into the resolvers; strings, numbers and the custom scalars are Hypothesis's, with the
edge cases of Decimal and Date added. Both positive cases (valid documents) and negative ones
(documents that break the schema) are sent. The run is derandomized: CI sends the same documents
every time (the ids differ, the choices among them do not).

CLIENTELA_FUZZ_EXAMPLES sets the number of cases per field and role (default 20)."""

from __future__ import annotations

import json
import os
import re
import time
from collections import Counter
from pathlib import Path

import graphql
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.graphql import nodes

from clientela.conversations.models import Message
from clientela.sharing.models import Share
from clientela.tasks.models import TimeEntry
from support import Factory, build_world

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schema.graphql"
EXAMPLES = int(os.environ.get("CLIENTELA_FUZZ_EXAMPLES", "20"))
# Fields that end the session they are sent with: each of their cases gets a fresh one.
SESSION_ENDING = {"logOut"}

_sdl = graphql.build_schema(SCHEMA_PATH.read_text())
FIELDS = [
    (root, name)
    for root, type_ in (("Query", _sdl.query_type), ("Mutation", _sdl.mutation_type))
    for name in type_.fields
]

# What a Python stack trace, an exception's repr or the database's own error text looks like.
STACK_TRACE = re.compile(r"Traceback \(most recent call last\)|File \"[^\"]*\", line \d+|\bline \d+, in \w+")
EXCEPTION_TEXT = re.compile(
    r"\b(?:[a-z_][\w]*\.)*[A-Z]\w*(?:Error|Exception|Warning)\b(?::|\(|$)"  # ValueError: …, IntegrityError(…)
    r"|\b(?:tortoise|asyncpg|aiosqlite|sqlite3|pypika|strawberry|starlette|pydantic)\.\w"
    r"|constraint failed|violates \w+ constraint|duplicate key value|syntax error at or near"
    r"|invalid input (?:syntax|value) for|out of range for type|database is locked|no such (?:table|column)"
    r"|object has no attribute|NoneType|unsupported operand|takes \d+ positional argument|unexpected keyword argument"
    r"|invalid literal for int|decimal\.|InvalidOperation|codec can't"
)


def _known_ids_strategy(ids: list[str]) -> st.SearchStrategy:
    """Mostly the world's ids; sometimes an id of nobody, or anything at all."""
    return st.one_of(
        st.sampled_from(ids),
        st.sampled_from(ids),
        st.sampled_from(ids),
        st.uuids().map(str),
        st.sampled_from(["", " ", "0", "-1", "null", "00000000-0000-0000-0000-000000000000", "1" * 300]),
        st.text(max_size=40),
    ).map(nodes.String)


DECIMALS = st.one_of(
    st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False, allow_infinity=False).map(str),
    st.sampled_from(["NaN", "sNaN", "Infinity", "-Infinity", "1e999999", "-1e-999999", "0.001", "-0", "1_000", "", "12,50", "0x10"]),
    st.text(max_size=20),
).map(nodes.String) | st.integers().map(nodes.Int) | st.floats().map(nodes.Float)
DATES = st.one_of(
    st.dates().map(str),
    st.sampled_from(["2026-02-30", "2026-13-01", "0001-01-01", "9999-12-31", "", "today", "2026-11-02T10:00:00", "20261102"]),
    st.text(max_size=20),
).map(nodes.String) | st.integers().map(nodes.Int)
DATETIMES = st.one_of(st.datetimes().map(lambda d: d.isoformat()), st.text(max_size=30)).map(nodes.String)


def _register_scalars(ids: list[str]) -> None:
    # Schemathesis reads its registered scalars when it draws each case, so the world's ids of
    # the current test are the ones used.
    schemathesis.graphql.scalar("ID", _known_ids_strategy(ids))
    schemathesis.graphql.scalar("Decimal", DECIMALS)
    schemathesis.graphql.scalar("Date", DATES)
    schemathesis.graphql.scalar("DateTime", DATETIMES)


SCHEMA = schemathesis.graphql.from_path(SCHEMA_PATH)

# The kind of object an ID argument names, by the argument's name; `id` by its field's name.
KIND_BY_ARGUMENT = {
    "taskId": "task", "projectId": "project", "projectIds": "project", "organizationId": "organization",
    "organizationIds": "organization", "clientId": "organization", "userId": "user", "userIds": "user",
    "assigneeId": "user", "requesterIds": "user", "shareId": "share", "workspaceId": "workspace",
}
KIND_BY_FIELD = {
    "task": "task", "updateTask": "task", "project": "project", "updateProject": "project",
    "organization": "organization", "updateOrganization": "organization", "user": "user",
}
REAL_ID_RATE = 0.7


def with_ids_of_the_right_kind(document: str, ids_by_kind: dict[str, list[str]], rng) -> str:
    """Most string literals given to an argument that names an object become a real id of that
    kind (a task id for taskId, …), so that cases get past "not found" into the resolvers."""

    def replace(value, kind):
        if isinstance(value, graphql.ListValueNode):
            return graphql.ListValueNode(values=tuple(replace(v, kind) for v in value.values))
        if isinstance(value, graphql.StringValueNode) and ids_by_kind.get(kind) and rng.random() < REAL_ID_RATE:
            return graphql.StringValueNode(value=rng.choice(ids_by_kind[kind]))
        return value

    class Visitor(graphql.Visitor):
        def __init__(self):
            super().__init__()
            self.fields = []

        def enter_field(self, node, *_):
            self.fields.append(node.name.value)

        def leave_field(self, node, *_):
            self.fields.pop()

        def leave_argument(self, node, *_):
            kind = KIND_BY_ARGUMENT.get(node.name.value) or (
                KIND_BY_FIELD.get(self.fields[-1]) if node.name.value == "id" and self.fields else None
            )
            return graphql.ArgumentNode(name=node.name, value=replace(node.value, kind)) if kind else None

        def leave_object_field(self, node, *_):
            kind = KIND_BY_ARGUMENT.get(node.name.value)
            return graphql.ObjectFieldNode(name=node.name, value=replace(node.value, kind)) if kind else None

    try:
        ast = graphql.parse(document)
    except graphql.GraphQLError:
        return document  # a negative case that is not even a document: sent as it is
    return graphql.print_ast(graphql.visit(ast, Visitor()))


def failures_of(response) -> list[str]:
    """What is wrong with one response; empty when nothing is."""
    problems = []
    text = response.text
    if response.status_code >= 500:
        problems.append(f"status {response.status_code}")
    if STACK_TRACE.search(text):
        problems.append("a stack trace in the body")
    try:
        body = json.loads(text)
    except ValueError:
        return [*problems, f"a body that is not JSON ({response.headers.get('content-type')})"]
    for error in (body.get("errors") or []) if isinstance(body, dict) else []:
        message = str(error.get("message", ""))
        code = (error.get("extensions") or {}).get("code")
        if code == "INTERNAL_SERVER_ERROR":
            problems.append(f"an unexpected error (INTERNAL_SERVER_ERROR) at {error.get('path')}")
        elif not code:
            problems.append(f"an error without extensions.code: {message!r}")
        if match := EXCEPTION_TEXT.search(message):
            problems.append(f"an error message that reads like an exception ({match.group(0)!r}): {message!r}")
        if STACK_TRACE.search(json.dumps(error.get("extensions") or {})):
            problems.append("a stack trace in the error's extensions")
    return problems


def outcome(response) -> str:
    """The kind of answer, for the summary each test prints: `data`, or the error codes."""
    try:
        body = json.loads(response.text)
        codes = sorted({str((e.get("extensions") or {}).get("code")) for e in body.get("errors") or []})
        return f"{response.status_code} " + (",".join(codes) or ("data" if body.get("data") else "null"))
    except (ValueError, AttributeError):
        return f"{response.status_code} not JSON"


@pytest.fixture
async def fuzz_world(request, database):
    """A world, its ids by kind, and the sessions to fuzz with (one per case for SESSION_ENDING)."""
    factory = Factory()
    world = await build_world(factory)
    ids_by_kind = {
        "user": [p.id for p in (world.admin, world.staff, world.outsider_staff, world.owner, world.csr,
                                world.consultant, world.client, world.other_client, world.foreign_admin)],
        "organization": [str(o.id) for o in (world.team, world.acme, world.globex)],
        "project": [str(p.id) for p in (world.acme_project, world.globex_project, world.internal_project, world.foreign_project)],
        "task": [str(t.id) for t in (world.acme_task, world.globex_task, world.internal_task, world.foreign_task)],
        "workspace": [str(world.admin.user.workspace_id), str(world.foreign_admin.user.workspace_id)],
        "share": [str(i) for i in await Share.all().values_list("id", flat=True)],
        "time entry": [str(i) for i in await TimeEntry.all().values_list("id", flat=True)],
        "message": [str(i) for i in await Message.all().values_list("id", flat=True)],
    }
    person = getattr(world, request.node.callspec.params["role"])
    tokens = [person.token]
    if request.node.callspec.params["field"] in SESSION_ENDING:
        tokens += [(await factory.sign_in(person.user)).token for _ in range(EXAMPLES * 3)]
    return ids_by_kind, tokens


@pytest.mark.parametrize("root,field", FIELDS, ids=[f"{root}.{name}" for root, name in FIELDS])
@pytest.mark.parametrize("role", ["admin", "client"])
def test_fuzzing_finds_no_server_error_and_no_stack_trace(server_process, fuzz_world, role, root, field):
    ids_by_kind, tokens = fuzz_world
    _register_scalars([i for ids in ids_by_kind.values() for i in ids])
    operation = SCHEMA[root][field]
    positive = operation.as_strategy(generation_mode=GenerationMode.POSITIVE)
    negative = operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)
    cases = st.tuples(st.one_of(positive, positive, negative), st.randoms(use_true_random=False))
    outcomes = []
    log_start = server_process.log_size()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @given(drawn=cases)
    def fuzz(drawn):
        case, rng = drawn
        if isinstance(case.body, str):
            case.body = with_ids_of_the_right_kind(case.body, ids_by_kind, rng)
        token = tokens[min(len(outcomes), len(tokens) - 1)] if field in SESSION_ENDING else tokens[0]
        offset = server_process.log_size()
        response = case.call(base_url=f"{server_process.url}/graphql", headers={"Authorization": f"Bearer {token}"}, timeout=30)
        outcomes.append(outcome(response))
        problems = failures_of(response)
        if problems:
            time.sleep(0.5)  # uvicorn logs an exception just after it has answered
            log = server_process.log_since(offset)
            raise AssertionError(
                f"{root}.{field} as {role}: " + "; ".join(problems)
                + f"\nrequest: POST /graphql {json.dumps({'query': case.body})}"
                + f"\nresponse {response.status_code}: {response.text[:4000]}"
                + (f"\nthe server logged:\n{log[-6000:]}" if log.strip() else "")
            )

    fuzz()
    print(f"{role} {root}.{field}: {dict(Counter(outcomes))}")
    assert outcomes, f"{root}.{field}: nothing was sent"
    log = server_process.log_since(log_start)
    assert not STACK_TRACE.search(log), f"the server logged a traceback while {root}.{field} was fuzzed as {role}:\n{log[-6000:]}"
