"""Limits on documents and requests, and HTTP hygiene."""

import asyncio

import httpx
import pytest

from clientela.app import create_app
from clientela.settings import Settings
from support import Api


def codes(response):
    return [e["extensions"]["code"] for e in response.json()["errors"]]


async def test_depth_over_ten_is_refused_naming_the_limit(api, factory):
    admin = await factory.workspace()
    deep = "query { viewer { organization { members { organization { members { organization { members { organization { members { organization { members { id } } } } } } } } } } } }"
    result = await api(deep, token=admin.token)
    assert result.code == "BAD_USER_INPUT" and "depth" in result.errors[0]["message"]


async def test_more_than_fifteen_aliases_are_refused(api, factory):
    admin = await factory.workspace()
    aliases = " ".join(f"a{i}: viewer {{ id }}" for i in range(16))
    result = await api(f"query {{ {aliases} }}", token=admin.token)
    assert result.code == "BAD_USER_INPUT" and "aliases" in result.errors[0]["message"]
    fine = await api(f"query {{ {' '.join(f'a{i}: viewer {{ id }}' for i in range(15))} }}", token=admin.token)
    assert fine.ok()


async def test_more_than_two_thousand_tokens_are_refused(api):
    document = "query { " + " ".join("__typename" for _ in range(2100)) + " }"
    result = await api(document)
    assert result.code == "BAD_USER_INPUT" and "token" in result.errors[0]["message"].lower()


async def test_a_worst_case_over_ten_thousand_nodes_is_refused_before_it_runs(api, world):
    heavy = """query($id: ID!) { project(id: $id) { tasks(first: 100) { edges { node {
        requesters { id } followers { id } messages { id } } } } } }"""
    result = await api(heavy, {"id": str(world.acme_project.id)}, token=world.admin.token)
    assert result.code == "BAD_USER_INPUT"
    assert "10000" in result.errors[0]["message"] and result.errors[0]["extensions"]["limit"] == "nodes"
    # The page size comes from variables too.
    paged = """query($id: ID!, $n: Int) { project(id: $id) { tasks(first: $n) { edges { node {
        requesters { id } followers { id } } } } } }"""
    assert (await api(paged, {"id": str(world.acme_project.id), "n": 50}, token=world.admin.token)).ok()
    assert (await api(paged, {"id": str(world.acme_project.id), "n": 51}, token=world.admin.token)).code == "BAD_USER_INPUT"


async def test_the_node_budget_counts_a_page_size_from_a_variables_default(api, world):
    paged = """query($id: ID!, $n: Int = %d) { project(id: $id) { tasks(first: $n) { edges { node {
        requesters { id } followers { id } } } } } }"""
    variables = {"id": str(world.acme_project.id)}
    assert (await api(paged % 50, variables, token=world.admin.token)).ok()
    refused = await api(paged % 51, variables, token=world.admin.token)
    assert refused.code == "BAD_USER_INPUT" and refused.errors[0]["extensions"]["limit"] == "nodes"
    assert (await api(paged % 51, {**variables, "n": 50}, token=world.admin.token)).ok()


async def test_field_suggestions_and_introspection_follow_the_settings(database):
    settings = Settings(_env_file=None, development=False, introspection=False, secret_key="x")
    app = create_app(settings, run_email_worker=False, manage_database=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://clientela.test") as client:
        api = Api(client)
        typo = await api("query { viewr { id } }")
        assert typo.code == "BAD_USER_INPUT" and "Did you mean" not in typo.errors[0]["message"]
        introspection = await api("query { __schema { types { name } } }")
        assert introspection.code == "BAD_USER_INPUT"
        page = await client.get("/graphql", headers={"Accept": "text/html"})
        assert "graphiql" not in page.text.lower()
        assert "content-security-policy" in (await client.get("/healthz")).headers
    typo = await Api(httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(run_email_worker=False, manage_database=False)), base_url="http://t"))("query { viewr { id } }")
    assert "Did you mean" in typo.errors[0]["message"]


async def test_introspection_is_off_outside_development_unless_turned_on(database, monkeypatch):
    monkeypatch.setenv("CLIENTELA_DEVELOPMENT", "false")
    monkeypatch.delenv("CLIENTELA_INTROSPECTION", raising=False)
    for introspection, expected in ((None, "BAD_USER_INPUT"), ("true", None)):
        if introspection:
            monkeypatch.setenv("CLIENTELA_INTROSPECTION", introspection)
        app = create_app(Settings(_env_file=None, secret_key="x"), run_email_worker=False, manage_database=False)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://clientela.test") as client:
            assert (await Api(client)("query { __schema { types { name } } }")).code == expected


async def test_request_bodies_over_one_mebibyte_are_refused(api):
    response = await api.client.post("/graphql", content=b"{" + b" " * (1024 * 1024 + 10) + b"}", headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and codes(response) == ["BAD_USER_INPUT"]


async def test_security_headers_on_every_response(api):
    for path in ("/healthz", "/graphql?query={__typename}", "/"):
        headers = (await api.client.get(path)).headers
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"


async def test_cors_allows_only_the_configured_origins(database):
    settings = Settings(_env_file=None, cors_origins=["https://portal.example.com"], secret_key="x")
    app = create_app(settings, run_email_worker=False, manage_database=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://clientela.test") as client:
        preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type"}
        allowed = await client.options("/graphql", headers={"Origin": "https://portal.example.com", **preflight})
        assert allowed.headers.get("access-control-allow-origin") == "https://portal.example.com"
        refused = await client.options("/graphql", headers={"Origin": "https://evil.example", **preflight})
        assert "access-control-allow-origin" not in refused.headers


async def test_requests_over_the_time_limit_are_stopped(database, monkeypatch):
    from clientela.organizations import services

    async def slow(*args, **kwargs):
        await asyncio.sleep(5)

    monkeypatch.setattr(services, "list_organizations", slow)
    settings = Settings(_env_file=None, request_timeout_seconds=0.2, secret_key="x")
    app = create_app(settings, run_email_worker=False, manage_database=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://clientela.test") as client:
        from support import Factory

        admin = await Factory().workspace()
        result = await Api(client)("Organizations", token=admin.token)
    assert result.code == "TIMEOUT" and "0.2 seconds" in result.errors[0]["message"]


async def test_batched_requests_are_not_accepted(api):
    response = await api.client.post("/graphql", json=[{"query": "{ __typename }"}, {"query": "{ __typename }"}])
    assert response.status_code == 400


@pytest.mark.parametrize("first", [0, 101, -1])
async def test_page_sizes_outside_one_to_a_hundred_are_bad_input(api, world, first):
    result = await api("PortalHome", {"first": first}, token=world.client.token)
    assert result.code == "BAD_USER_INPUT"


async def test_failed_sign_ins_are_throttled_per_account_without_telling_if_it_exists(api, factory):
    admin = await factory.workspace()
    for email in (admin.user.email, "nobody@nowhere.example"):
        answers = [await api("LogIn", {"email": email, "password": "wrong password!"}) for _ in range(11)]
        assert [a.code for a in answers] == ["UNAUTHENTICATED"] * 10 + ["RATE_LIMITED"], email
        assert answers[-1].errors[0]["extensions"]["retryAfterSeconds"] > 0


@pytest.mark.parametrize(("proxies", "counted_as"), [("", "127.0.0.1"), ("127.0.0.1", "203.0.113.9")])
async def test_serve_believes_x_forwarded_for_only_from_the_configured_proxies(database, monkeypatch, proxies, counted_as):
    import uvicorn
    from typer.testing import CliRunner

    from clientela import cli, db
    from clientela.accounts.models import ThrottleHit
    from clientela.settings import get_settings

    async def migrated(url):
        pass

    started = {}
    monkeypatch.setattr(db, "migrate", migrated)
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: started.update(options, app=app))
    monkeypatch.setattr(get_settings(), "forwarded_allow_ips", proxies)
    ran = await asyncio.to_thread(CliRunner().invoke, cli.app, ["serve"])  # serve runs its own event loop
    assert ran.exit_code == 0, ran.output
    options = {**started, "host": "127.0.0.1", "port": 0, "log_level": "warning", "lifespan": "off"}
    server = uvicorn.Server(uvicorn.Config(**options))
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done()
        await asyncio.sleep(0.01)
    try:
        port = server.servers[0].sockets[0].getsockname()[1]
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers={"X-Forwarded-For": "203.0.113.9"}) as client:
            await Api(client)("LogIn", {"email": "nobody@nowhere.example", "password": "wrong password!"})
    finally:
        server.should_exit = True
        await task
    assert await ThrottleHit.filter(key__startswith="login:ip:").values_list("key", flat=True) == [f"login:ip:{counted_as}"]


async def test_sign_ups_are_throttled_per_client_ip(api, monkeypatch):
    from clientela.settings import get_settings

    monkeypatch.setattr(get_settings(), "signups_per_ip_per_hour", 2)
    answers = []
    for index in range(3):
        variables = {"input": {"workspaceName": f"W{index}", "name": "N", "email": f"n{index}@example.org", "password": "long enough secret"}}
        answers.append(await api("SignUp", variables))
    assert [a.code for a in answers] == [None, None, "RATE_LIMITED"]


async def test_concurrent_wrong_passwords_are_throttled_before_the_password_is_checked(api, factory, monkeypatch):
    from unittest import mock

    from clientela.accounts import passwords
    from clientela.settings import get_settings

    admin = await factory.workspace()
    monkeypatch.setattr(get_settings(), "failed_logins_per_account", 10)
    verify = mock.Mock(wraps=passwords.verify)
    monkeypatch.setattr(passwords, "verify", verify)
    attempt = {"email": admin.user.email, "password": "wrong password!"}
    answers = await asyncio.gather(*(api("LogIn", attempt) for _ in range(30)))
    answered = sorted(a.code for a in answers)
    tried = verify.call_count
    assert tried <= 10
    assert answered == ["RATE_LIMITED"] * (30 - tried) + ["UNAUTHENTICATED"] * tried
    # Refused attempts keep nothing: the account has 10 - tried guesses left.
    assert (await api("LogIn", attempt)).code == ("UNAUTHENTICATED" if tried < 10 else "RATE_LIMITED")


# --- the cost of aggregates and filters, and input lists (issue 12, item 7) ---

TWELVE_LABELS = [f"label {index}" for index in range(12)]


def _refused_for_nodes(result) -> bool:
    return result.code == "BAD_USER_INPUT" and result.errors[0]["extensions"]["limit"] == "nodes"


async def test_aggregates_count_in_the_node_budget(api, world):
    # 16 time reports (one field and 15 aliases) were 0 nodes and ran 8.5 s: each costs 2,500.
    reports = " ".join(f'r{i}: timeReport(from: "2026-01-01", to: "2026-12-31") {{ totalMinutes }}' for i in range(15))
    refused = await api(f'query {{ timeReport(from: "2026-01-01", to: "2026-12-31") {{ totalMinutes }} {reports} }}', token=world.admin.token)
    assert _refused_for_nodes(refused), refused.errors
    four = " ".join(f'r{i}: timeReport(from: "2026-01-01", to: "2026-12-31") {{ totalMinutes }}' for i in range(4))
    assert (await api(f"query {{ {four} }}", token=world.admin.token)).ok()["r0"]["totalMinutes"] == 270
    # A total costs 1,000 where it stands: ten fit the budget, eleven do not.
    counts = [f"c{i}: portalItems(first: 1) {{ totalCount }}" for i in range(11)]
    assert (await api(f"query {{ {' '.join(counts[:10])} }}", token=world.admin.token)).ok()["c0"]["totalCount"] == 3
    assert _refused_for_nodes(await api(f"query {{ {' '.join(counts)} }}", token=world.admin.token))
    # Project figures and financial summaries are aggregates too, however deep.
    figures = [f"p{i}: projects {{ timeSpentMinutes billed {{ amount }} }}" for i in range(4)]  # 3,000 each
    assert (await api(f"query {{ {' '.join(figures[:3])} }}", token=world.admin.token)).ok()["p0"][0]["timeSpentMinutes"] == 90
    assert _refused_for_nodes(await api(f"query {{ {' '.join(figures)} }}", token=world.admin.token))
    summaries = " ".join(f"o{i}: organizations {{ financialSummary {{ projectCount }} }}" for i in range(11))
    assert _refused_for_nodes(await api(f"query {{ {summaries} }}", token=world.admin.token))


async def test_filtered_connections_count_in_the_node_budget(api, world):
    # Three of these ran into the 10 s limit: a filter may read every task of the projects, 2,500.
    aliases = "query($labels: [String!]) { %s }"
    filtered = " ".join(f"a{i}: projects {{ tasks(first: 1, labels: $labels) {{ edges {{ node {{ id }} }} }} }}" for i in range(3))
    assert _refused_for_nodes(await api(aliases % filtered, {"labels": TWELVE_LABELS}, token=world.admin.token))
    by_status = " ".join(f"a{i}: projects {{ tasks(first: 1, status: OPEN) {{ edges {{ node {{ id }} }} }} }}" for i in range(3))
    assert _refused_for_nodes(await api(f"query {{ {by_status} }}", token=world.admin.token))
    # Without a filter (or with an empty one) the same three fit; so do two filtered ones.
    assert (await api(aliases % filtered, {"labels": []}, token=world.admin.token)).ok()
    two = " ".join(f"a{i}: projects {{ tasks(first: 1, labels: $labels) {{ totalCount edges {{ node {{ id }} }} }} }}" for i in range(2))
    answer = (await api(aliases % two, {"labels": ["nothing carries this"]}, token=world.admin.token)).ok()
    assert [p["tasks"]["totalCount"] for p in answer["a0"]] == [0, 0, 0]
    # The pages of a list of projects load per page of parents; their totals cost 1,000 once.
    nested = await api("query { projects { tasks(first: 2) { totalCount edges { node { id } } } } }", token=world.admin.token)
    assert [p["tasks"]["totalCount"] for p in nested.ok()["projects"]] == [1, 1, 1]
    variables = {"projectId": str(world.acme_project.id), "first": 100, "labels": TWELVE_LABELS[:10], "status": "OPEN"}
    assert (await api("ProjectTasks", variables, token=world.admin.token)).ok()["project"]["tasks"]["totalCount"] == 0


async def test_a_labels_filter_names_at_most_ten_labels(api, world):
    variables = {"projectId": str(world.acme_project.id), "labels": TWELVE_LABELS[:11]}
    refused = await api("ProjectTasks", variables, token=world.admin.token)
    assert refused.code == "BAD_USER_INPUT" and "at most 10 labels" in refused.errors[0]["message"]
    assert refused.errors[0]["extensions"]["field"] == "labels"
    # The same label twice is one label.
    variables["labels"] = TWELVE_LABELS[:10] + TWELVE_LABELS[:1]
    assert (await api("ProjectTasks", variables, token=world.admin.token)).ok()


async def test_input_lists_over_a_hundred_items_are_refused_before_anything_runs(api, factory):
    from clientela.mail.models import OutboxEmail
    from clientela.people.models import User
    from clientela.sharing.models import Share

    admin = await factory.workspace()
    acme = await factory.organization(admin, "Acme")
    people = await User.all().count()
    invitees = [{"email": f"invitee{i}@example.org", "name": f"Invitee {i}"} for i in range(101)]
    refused = await api("ShareOrganization", {"organizationId": str(acme.id), "invitees": invitees}, token=admin.token)
    assert refused.code == "BAD_USER_INPUT" and refused.data is None
    assert "invitees has 101 items" in refused.errors[0]["message"] and "100" in refused.errors[0]["message"]
    assert refused.errors[0]["extensions"] == {"code": "BAD_USER_INPUT", "limit": "inputList", "field": "invitees", "maxItems": 100}
    assert await Share.all().count() == 0 and await OutboxEmail.all().count() == 0 and await User.all().count() == people
    # A hundred are fine.
    partner = await factory.person(admin, None, "Pat Partner")
    variables = {"organizationId": str(acme.id), "invitees": [{"userId": partner.id}] * 100}
    assert len({s["id"] for s in (await api("ShareOrganization", variables, token=admin.token)).ok()["shareOrganization"]}) == 1
    # Lists written in the document, inside input objects, and in variables inside them.
    project = await api('mutation { createProject(input: { name: "P" }) { id } }', token=admin.token)
    project_id = project.ok()["createProject"]["id"]
    ids = ", ".join(f'"{admin.id}"' for _ in range(101))
    literal = await api(f'mutation {{ addProjectMembers(projectId: "{project_id}", userIds: [{ids}]) {{ id }} }}', token=admin.token)
    assert literal.code == "BAD_USER_INPUT" and literal.errors[0]["extensions"]["field"] == "userIds"
    task = {"projectId": project_id, "title": "T", "requesterIds": [admin.id] * 101}
    nested = await api("CreateTask", {"input": task}, token=admin.token)
    assert nested.code == "BAD_USER_INPUT" and "input.requesterIds has 101 items" in nested.errors[0]["message"]
    inner = 'mutation($labels: [String!]) { createTask(input: { projectId: "%s", title: "T", labels: $labels }) { id } }'
    labels = await api(inner % project_id, {"labels": ["x"] * 101}, token=admin.token)
    assert labels.code == "BAD_USER_INPUT" and labels.errors[0]["extensions"]["field"] == "labels"
    from clientela.tasks.models import Task

    assert await Task.all().count() == 0
    scopes = {"input": {"scopes": ["OWN_REQUESTS"] * 100}}
    assert (await api("UpdatePortalSettings", scopes, token=admin.token)).ok()["updatePortalSettings"]["scopes"] == ["OWN_REQUESTS"]
    scopes["input"]["scopes"].append("OWN_REQUESTS")
    assert (await api("UpdatePortalSettings", scopes, token=admin.token)).code == "BAD_USER_INPUT"
    # A filter argument too, whatever the field it is on.
    many = await api("query($l: [String!]) { projects { tasks(labels: $l) { totalCount } } }", {"l": ["x"] * 101}, token=admin.token)
    assert many.errors[0]["extensions"]["limit"] == "inputList"
