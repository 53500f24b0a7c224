"""Fair use: per-session request budgets (token buckets) kept in the database, a smaller one for
expensive operations, shared by every app (process) over the same database."""

import asyncio
import contextlib

import httpx
import pytest
from graphql import parse

from clientela.accounts.models import FairUseBucket
from clientela.app import create_app
from clientela.core.errors import RateLimited
from clientela.core.statements import counting
from clientela.fair_use import MANY_IDS, SETTLE_EVERY, Admission, expensive_operations
from clientela.settings import Settings
from support import Api

SLOW = 0.001  # tokens per second: nothing refills while a test runs


DEFAULTS = {  # the defaults of Settings (conftest raises them for the rest of the suite)
    "fair_use_requests_per_second": 50.0, "fair_use_burst": 200, "fair_use_expensive_per_minute": 10.0,
    "fair_use_expensive_burst": 10, "fair_use_settle_every": 20,
}


def _settings(**overrides) -> Settings:
    generous = {"fair_use_requests_per_second": 1000.0, "fair_use_burst": 10_000,
                "fair_use_expensive_per_minute": 60_000.0, "fair_use_expensive_burst": 10_000}
    return Settings(**{**DEFAULTS, **generous, **overrides})


@contextlib.asynccontextmanager
async def _client(settings: Settings, ip: str = "203.0.113.7"):
    app = create_app(settings, run_email_worker=False, manage_database=False)
    transport = httpx.ASGITransport(app=app, client=(ip, 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://clientela.test") as client:
        yield Api(client)


VIEWER = "query { viewer { id } }"
REPORT = 'query { timeReport(from: "2026-11-01", to: "2026-11-30") { totalMinutes } }'


async def test_the_request_after_the_budget_is_refused_with_retry_after(world):
    async with _client(_settings(fair_use_burst=3, fair_use_requests_per_second=SLOW)) as api:
        answers = [await api(VIEWER, token=world.staff.token) for _ in range(4)]
        assert [a.code for a in answers] == [None, None, None, "RATE_LIMITED"]
        refusal = answers[-1].errors[0]
        assert refusal["extensions"]["retryAfterSeconds"] >= 1 and refusal["extensions"]["limit"] == "general"
        assert answers[-1].data is None
        response = await api.client.post("/graphql", json={"query": VIEWER}, headers={"Authorization": f"Bearer {world.staff.token}"})
        assert response.status_code == 200 and int(response.headers["retry-after"]) >= 1
        graphql_response = await api.client.post(
            "/graphql", json={"query": VIEWER},
            headers={"Authorization": f"Bearer {world.staff.token}", "Accept": "application/graphql-response+json"},
        )
        assert graphql_response.status_code == 429
        # Another session has its own budget.
        assert (await api(VIEWER, token=world.admin.token)).ok()


async def test_expensive_operations_have_their_own_smaller_budget(world):
    settings = _settings(fair_use_expensive_burst=2, fair_use_expensive_per_minute=SLOW * 60)
    async with _client(settings) as api:
        assert (await api(REPORT, token=world.admin.token)).ok()
        assert (await api(REPORT, token=world.admin.token)).ok()
        refused = await api(REPORT, token=world.admin.token)
        assert refused.code == "RATE_LIMITED" and refused.errors[0]["extensions"]["limit"] == "expensive"
        assert refused.errors[0]["extensions"]["retryAfterSeconds"] >= 1
        # The general budget is untouched, and so is another session's expensive one.
        assert (await api(VIEWER, token=world.admin.token)).ok()
        assert (await api(REPORT, token=world.owner.token)).ok()
        # The CSV export draws on the same expensive budget.
        url = "/reports/time.csv?from=2026-11-01&to=2026-11-30"
        csv = await api.client.get(url, headers={"Authorization": f"Bearer {world.admin.token}"})
        assert csv.status_code == 429 and csv.json()["code"] == "RATE_LIMITED" and int(csv.headers["retry-after"]) >= 1
        assert (await api.client.get(url, headers={"Authorization": f"Bearer {world.owner.token}"})).status_code == 200
        assert (await api.client.get(url, headers={"Authorization": f"Bearer {world.owner.token}"})).status_code == 429


async def test_bulk_changes_with_many_ids_are_expensive(world):
    add = "mutation($p: ID!, $u: [ID!]!) { addProjectMembers(projectId: $p, userIds: $u) { id } }"
    settings = _settings(fair_use_expensive_burst=1, fair_use_expensive_per_minute=SLOW * 60)
    few = {"p": str(world.acme_project.id), "u": [world.staff.id]}
    many = {"p": str(world.acme_project.id), "u": [world.staff.id] * (MANY_IDS + 1)}
    async with _client(settings) as api:
        for _ in range(3):
            assert (await api(add, few, token=world.admin.token)).ok()
        assert (await api(add, many, token=world.admin.token)).code != "RATE_LIMITED"
        assert (await api(add, many, token=world.admin.token)).code == "RATE_LIMITED"


def test_each_expensive_field_of_a_document_counts():
    def count(text, variables=None, name=None):
        return expensive_operations(parse(text), name, variables)

    assert count(VIEWER) == 0
    assert count("{ a: timeReport(from: \"2026-01-01\", to: \"2026-01-02\") { totalMinutes } "
                 "b: timeReport(from: \"2026-01-01\", to: \"2026-01-02\") { totalMinutes } }") == 2
    assert count("query { ...F } fragment F on Query { timeReport(from: \"2026-01-01\", to: \"2026-01-02\") { totalMinutes } }") == 1
    assert count("mutation($u: [ID!]!) { followProject(projectId: 1, userIds: $u) { id } }", {"u": ["1"] * 11}) == 1
    assert count("mutation($u: [ID!]!) { followProject(projectId: 1, userIds: $u) { id } }", {"u": ["1"] * 10}) == 0
    assert count("mutation { shareOrganization(organizationId: 1, invitees: []) { id } }") == 1
    two = "query A { viewer { id } } query B { timeReport(from: \"2026-01-01\", to: \"2026-01-02\") { totalMinutes } }"
    assert count(two, name="A") == 0 and count(two, name="B") == 1


async def test_two_processes_draw_on_one_budget(world):
    settings = _settings(fair_use_burst=4, fair_use_requests_per_second=SLOW)
    async with _client(settings) as first, _client(settings) as second:
        answers = [await (first if n % 2 else second)(VIEWER, token=world.staff.token) for n in range(6)]
    assert [a.code for a in answers] == [None] * 4 + ["RATE_LIMITED"] * 2


async def test_anonymous_requests_draw_on_their_address_budget(world):
    settings = _settings(fair_use_burst=2, fair_use_requests_per_second=SLOW)
    async with _client(settings, "198.51.100.1") as one, _client(settings, "198.51.100.2") as other:
        assert [(await one(VIEWER)).code for _ in range(3)] == [None, None, "RATE_LIMITED"]
        # A made-up token is anonymous too: the same address's budget.
        assert (await one(VIEWER, token="made-up")).code == "RATE_LIMITED"
        assert (await other(VIEWER)).ok()


async def test_the_general_budget_writes_once_per_batch_of_requests_and_an_overdraft_is_bounded(world):
    """Default budgets: a session's requests settle with the database once every SETTLE_EVERY."""
    with counting() as tally:
        async with _client(Settings(**DEFAULTS)) as api:
            for _ in range(2 * SETTLE_EVERY):
                assert (await api(VIEWER, token=world.client.token)).ok()
    assert sum("fair_use_bucket" in statement for statement in tally.statements) == 2
    [row] = await FairUseBucket.all()
    assert row.id.startswith("general:s:") and row.tokens <= 200 - SETTLE_EVERY

    # Two processes with a burst of 100 (settling every 10): neither lets through more than the
    # burst and one batch of the other's before they refuse.
    settings = _settings(fair_use_burst=100, fair_use_requests_per_second=SLOW)
    async with _client(settings) as first, _client(settings) as second:
        granted = 0
        for n in range(300):
            if (await (first if n % 2 else second)(VIEWER, token=world.staff.token)).code is None:
                granted += 1
    assert 100 <= granted <= 100 + 2 * 10


# --- places: how many GraphQL executions a process runs at once -------------------------------


async def _started(*awaitables) -> list[asyncio.Task]:
    tasks = [asyncio.ensure_future(a) for a in awaitables]
    await asyncio.sleep(0.01)
    return tasks


async def test_a_freed_place_goes_to_the_session_with_fewest_running_then_first_come():
    admission = Admission(places=1, waiting_per_session=10)
    order: list[str] = []
    release = {name: asyncio.Event() for name in ("a1", "a2", "a3", "b1", "c1")}

    async def request(key: str, name: str) -> None:
        async with admission.place(key):
            order.append(name)
            await release[name].wait()

    tasks = await _started(request("a", "a1"))
    tasks += await _started(request("a", "a2"), request("a", "a3"))
    tasks += await _started(request("b", "b1"))
    tasks += await _started(request("c", "c1"))
    assert order == ["a1"]  # one place: the others wait
    for name in ("a1", "b1", "c1", "a2", "a3"):
        release[name].set()
        await asyncio.sleep(0.01)
    await asyncio.gather(*tasks)
    # a noisy session's queue does not hold b and c back: they came after a2 and a3 and ran first
    assert order == ["a1", "b1", "c1", "a2", "a3"]
    assert admission.free == 1 and not (admission.running or admission.waiting or admission.admitted)


async def test_a_request_that_gives_up_waiting_keeps_no_place_and_takes_none():
    admission = Admission(places=1, waiting_per_session=10)
    hold = asyncio.Event()

    async def request(key: str) -> str:
        async with admission.place(key):
            await hold.wait()
            return key

    [holder, gives_up, waits] = await _started(request("a"), request("b"), request("c"))
    gives_up.cancel()
    await asyncio.sleep(0.01)
    hold.set()
    assert await holder == "a" and await waits == "c"
    assert admission.free == 1 and not (admission.running or admission.waiting or admission.admitted)
    # Handed a place just as it is cancelled (a time limit): the place passes on, none is lost.
    hold.clear()
    [holder, handed, after] = await _started(request("a"), request("b"), request("c"))
    hold.set()
    await asyncio.sleep(0)  # the holder ends and hands its place to b, which has not run yet
    handed.cancel()
    assert await holder == "a" and await after == "c"
    assert admission.free == 1 and not (admission.running or admission.waiting or admission.admitted)


async def test_too_many_waiting_requests_of_one_session_are_refused():
    admission = Admission(places=1, waiting_per_session=1)
    hold = asyncio.Event()

    async def request(key: str) -> None:
        async with admission.place(key):
            await hold.wait()

    tasks = await _started(request("a"), request("a"))
    with pytest.raises(RateLimited) as refused:
        async with admission.place("a"):
            pass
    assert refused.value.extensions["limit"] == "concurrent" and refused.value.extensions["retryAfterSeconds"] == 1
    other = await _started(request("b"))  # another session still waits its turn
    hold.set()
    await asyncio.gather(*tasks, *other)
    assert admission.free == 1 and not (admission.running or admission.waiting or admission.admitted)


async def test_a_request_waits_for_a_place_and_an_expensive_one_runs_beside(world, monkeypatch):
    from clientela.reports import services as reports

    report_running, report_may_end = asyncio.Event(), asyncio.Event()
    time_report = reports.time_report

    async def slow_report(*args):
        report_running.set()
        await report_may_end.wait()
        return await time_report(*args)

    monkeypatch.setattr(reports, "time_report", slow_report)
    async with _client(_settings(fair_use_running_requests=1)) as api:
        admission = api.client._transport.app.state.fair_use.admission
        async with admission.place("someone else"):
            [page] = await _started(api(VIEWER, token=world.staff.token))
            assert not page.done()  # the only place is taken
        assert (await asyncio.wait_for(page, 5)).ok()
        [report] = await _started(api(REPORT, token=world.admin.token))
        await asyncio.wait_for(report_running.wait(), 5)
        # The report runs and has left its place: another session's page is answered meanwhile.
        assert (await asyncio.wait_for(api(VIEWER, token=world.staff.token), 5)).ok()
        report_may_end.set()
        assert (await asyncio.wait_for(report, 5)).ok()
        assert admission.free == 1 and not (admission.running or admission.waiting or admission.admitted)


async def test_too_many_waiting_requests_answer_429_with_retry_after(world):
    async with _client(_settings(fair_use_running_requests=1, fair_use_waiting_requests=0)) as api:
        async with api.client._transport.app.state.fair_use.admission.place("someone else"):
            response = await api.client.post("/graphql", json={"query": VIEWER}, headers={"Authorization": f"Bearer {world.staff.token}"})
    assert response.status_code == 429 and response.headers["retry-after"] == "1"
    assert response.json()["errors"][0]["extensions"] == {"code": "RATE_LIMITED", "retryAfterSeconds": 1, "limit": "concurrent"}
