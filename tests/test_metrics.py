"""GET /metrics: Prometheus' format, for the holder of the metrics token only; requests by
operation and outcome, their latency and SQL statements, throttle refusals, the outbox's backlog
read when scraped, the database pool; and several processes adding up."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from clientela import db
from clientela.app import create_app
from clientela.core.ids import uuid7
from clientela.mail.models import OutboxEmail, OutboxStatus
from clientela.mail.outbox import EmailKind, queue_email
from clientela.settings import Settings, get_settings
from serving import serving
from support import CONTRACT, Api, QueryCounter

TOKEN = "metrics-token-for-the-tests"
SCRAPE = {"Authorization": f"Bearer {TOKEN}"}


def _app(**settings):
    app = create_app(Settings(metrics_token=TOKEN, **settings), run_email_worker=False, manage_database=False)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("203.0.113.9", 50000)), base_url="http://clientela.test"
    )


class Samples(dict):
    """Every sample of a scrape: (name, labels) -> value; 0 for one not there."""

    @classmethod
    def parse(cls, text: str) -> Samples:
        return cls(
            ((sample.name, frozenset(sample.labels.items())), sample.value)
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        )

    def __call__(self, name: str, **labels: str) -> float:
        return self.get((name, frozenset(labels.items())), 0.0)


async def scrape(client: httpx.AsyncClient) -> Samples:
    response = await client.get("/metrics", headers=SCRAPE)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return Samples.parse(response.text)


async def test_metrics_answer_only_the_holder_of_the_token(api):
    assert (await api.client.get("/metrics", headers=SCRAPE)).status_code == 404  # no token configured
    async with _app() as client:
        missing = await client.get("/metrics")
        assert missing.status_code == 401 and missing.headers["www-authenticate"].startswith("Bearer")
        assert (await client.get("/metrics", headers={"Authorization": "Bearer not-the-token"})).status_code == 401
        assert (await client.get("/metrics", headers={"Authorization": TOKEN})).status_code == 401
        assert "clientela_requests_total" not in missing.text
        assert (await client.get("/metrics", headers=SCRAPE)).status_code == 200


async def test_requests_are_counted_by_operation_and_outcome_with_their_latency_and_statements(world):
    async with _app() as client:
        api = Api(client)
        before = await scrape(client)
        with QueryCounter() as portal_home:
            (await api("PortalHome", {"first": 5}, token=world.client.token)).ok()
        assert (await api("TaskPage", {"id": str(uuid7())}, token=world.client.token)).code == "NOT_FOUND"
        (await api("{ viewer { id } }", token=world.staff.token)).ok()
        (await api("query PortalHome { viewer { id } }", token=world.staff.token)).ok()  # named in the document only
        export = await client.get("/reports/time.csv", params={"from": "2026-01-01", "to": "2026-12-31"})
        assert export.status_code == 401
        after = await scrape(client)

    def grew(name: str, **labels: str) -> float:
        return after(name, **labels) - before(name, **labels)

    assert grew("clientela_requests_total", operation="PortalHome", outcome="OK") == 2
    assert grew("clientela_requests_total", operation="TaskPage", outcome="NOT_FOUND") == 1
    assert grew("clientela_requests_total", operation="unnamed", outcome="OK") == 1
    assert grew("clientela_requests_total", operation="/reports/time.csv", outcome="UNAUTHENTICATED") == 1
    assert grew("clientela_request_duration_seconds_count", operation="PortalHome") == 2
    assert grew("clientela_request_duration_seconds_sum", operation="PortalHome") > 0
    assert grew("clientela_request_statements_count", operation="TaskPage") == 1
    assert portal_home.count >= 3
    assert grew("clientela_request_statements_sum", operation="PortalHome") >= portal_home.count
    if db.is_postgres():
        assert after("clientela_database_pool_max_connections") == Settings().database_pool_max_size
        assert (
            after("clientela_database_pool_connections", state="idle")
            + after("clientela_database_pool_connections", state="in_use")
            >= 1
        )
    else:
        assert after("clientela_database_pool_max_connections") == 0


async def test_operation_names_label_at_most_a_bounded_number_of_series(world, monkeypatch):
    from clientela import metrics

    monkeypatch.setattr(metrics, "_operation_labels", set())
    monkeypatch.setattr(metrics, "OPERATION_LABELS", 2)
    async with _app() as client:
        api = Api(client)
        before = await scrape(client)
        for name in ("First", "Second", "Third", "Fourth"):
            (await api(f"query {name} {{ viewer {{ id }} }}", token=world.staff.token)).ok()
        after = await scrape(client)
    assert [after("clientela_requests_total", operation=n, outcome="OK") for n in ("First", "Second", "Third")] == [1, 1, 0]
    assert (
        after("clientela_requests_total", operation="other", outcome="OK")
        - before("clientela_requests_total", operation="other", outcome="OK")
        == 2
    )


async def test_throttle_refusals_are_counted_by_the_limit_that_refused(world):
    budgets = {
        "fair_use_burst": 2,
        "fair_use_settle_every": 1,
        "fair_use_requests_per_second": 0.001,
        "fair_use_waiting_requests": 0,
    }
    async with _app(**budgets) as client, _app() as generous:
        before = await scrape(client)
        # Refused before its document is read, a request is named by its operationName.
        viewer = {"query": CONTRACT["Viewer"], "operationName": "Viewer"}
        staff = {"Authorization": f"Bearer {world.staff.token}"}
        answers = [(await client.post("/graphql", json=viewer, headers=staff)).json() for _ in range(4)]
        assert [(a.get("errors") or [{}])[0].get("extensions", {}).get("code") for a in answers] == [
            None,
            None,
            "RATE_LIMITED",
            "RATE_LIMITED",
        ]
        async with client._transport.app.state.fair_use.admission.place("someone else"):
            busy = await client.post(
                "/graphql", json={"query": "{ viewer { id } }"}, headers={"Authorization": f"Bearer {world.client.token}"}
            )
        assert busy.status_code == 429
        wrong = {"email": world.admin.user.email, "password": "not the password"}
        guesses = [(await Api(generous)("LogIn", wrong)).code for _ in range(get_settings().failed_logins_per_account + 1)]
        assert guesses[-2:] == ["UNAUTHENTICATED", "RATE_LIMITED"]
        after = await scrape(client)

    def grew(limit: str) -> float:
        return after("clientela_throttle_refusals_total", limit=limit) - before("clientela_throttle_refusals_total", limit=limit)

    assert (grew("general"), grew("concurrent"), grew("attempts"), grew("expensive")) == (2, 1, 1, 0)
    refused = after("clientela_requests_total", operation="Viewer", outcome="RATE_LIMITED") - before(
        "clientela_requests_total", operation="Viewer", outcome="RATE_LIMITED"
    )
    assert refused == 2


async def test_the_outbox_backlog_and_the_age_of_the_oldest_unsent_email_are_read_when_scraped(world):
    async with _app() as client:
        empty = await scrape(client)
        assert empty("clientela_outbox_pending_emails") == 0 and empty("clientela_outbox_oldest_pending_age_seconds") == 0
        old, new, sent = [await queue_email(EmailKind.PASSWORD, world.client.user, {"set_password_url": "x", "creating": False,
                                                                                    "valid_minutes": 60}) for _ in range(3)]  # fmt: skip
        await OutboxEmail.filter(id=old.id).update(created_at=datetime.now(UTC) - timedelta(minutes=10))
        await OutboxEmail.filter(id=sent.id).update(status=OutboxStatus.SENT, created_at=datetime.now(UTC) - timedelta(hours=1))
        waiting = await scrape(client)
        assert waiting("clientela_outbox_pending_emails") == 2
        assert 600 <= waiting("clientela_outbox_oldest_pending_age_seconds") < 660
        await OutboxEmail.filter(id__in=[old.id, new.id]).update(status=OutboxStatus.SENT)
        assert (await scrape(client))("clientela_outbox_pending_emails") == 0


async def test_the_metrics_of_several_processes_add_up(database, world):
    """Two `clientela serve` sharing one PROMETHEUS_MULTIPROC_DIR, one of them with two worker
    processes: whichever process answers a scrape counts the requests of all three."""
    shared = {"PROMETHEUS_MULTIPROC_DIR": tempfile.mkdtemp(prefix="clientela-metrics-"), "CLIENTELA_METRICS_TOKEN": TOKEN}
    viewer = {"query": "query Viewer { viewer { id } }"}
    headers = {"Authorization": f"Bearer {world.staff.token}"}
    async with (
        serving(database, "--no-worker", "--workers", "2", **shared) as two,
        serving(database, "--no-worker", **shared) as one,
    ):
        for url, count in ((two.url, 5), (one.url, 3)):
            for _ in range(count):  # a connection each, so that both of `two`'s processes may take some
                async with httpx.AsyncClient(base_url=url) as client:
                    assert (await client.post("/graphql", json=viewer, headers=headers)).json()["data"]["viewer"]
        for url in (two.url, one.url, two.url):
            async with httpx.AsyncClient(base_url=url) as client:
                samples = await scrape(client)
            assert samples("clientela_requests_total", operation="Viewer", outcome="OK") == 8
            assert samples("clientela_request_duration_seconds_count", operation="Viewer") == 8


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
async def test_probes_and_scrapes_are_not_counted_as_requests(path):
    async with _app() as client:
        before = await scrape(client)
        await client.get(path, headers=SCRAPE)
        after = await scrape(client)
    assert sum(v for (name, _), v in after.items() if name == "clientela_requests_total") == sum(
        v for (name, _), v in before.items() if name == "clientela_requests_total"
    )
