"""No request holds the service: password checks run off the event loop, and the CSV export has
the request time limit over its whole stream and reads its rows by keyset on (date, id)."""

import asyncio
import csv
import datetime as dt
import io
import threading

import httpx

from clientela.accounts import passwords
from clientela.reports import repository as reports
from clientela.settings import get_settings
from clientela.tasks.models import Task, TimeEntry
from support import ADMIN_PASSWORD, CONTRACT


async def test_healthz_answers_while_logins_check_their_passwords(live_server, factory, monkeypatch):
    """Each password check blocks its thread until /healthz has answered. On the event loop
    that could never happen (healthz would wait behind the check): the checks would give up
    waiting, and the test fails. No clock is compared."""
    admin = await factory.workspace()
    entered, released = threading.Event(), threading.Event()
    waited: list[bool] = []
    real_verify = passwords._verify_blocking

    def verify_until_released(password_hash, password):
        entered.set()
        waited.append(released.wait(timeout=3))
        return real_verify(password_hash, password)

    monkeypatch.setattr(passwords, "_verify_blocking", verify_until_released)
    body = {"query": CONTRACT["LogIn"], "variables": {"email": admin.user.email, "password": ADMIN_PASSWORD}}
    async with httpx.AsyncClient(base_url=live_server, timeout=60) as client:
        logins = asyncio.gather(*(client.post("/graphql", json=body) for _ in range(4)))
        for _ in range(1000):
            if entered.is_set():
                break
            await asyncio.sleep(0.01)
        health = await client.get("/healthz")
        logins_done_before_health = logins.done()
        released.set()
        answers = await logins
    assert health.status_code == 200 and health.text == "ok"
    assert not logins_done_before_health
    assert waited == [True] * 4  # every check was still running when /healthz answered
    assert all(answer.json()["data"]["logIn"]["token"] for answer in answers)


async def test_a_wrong_password_and_an_unknown_address_are_checked_off_the_loop_too(api, factory, monkeypatch):
    admin = await factory.workspace()
    threads: list[str] = []
    real_verify = passwords._verify_blocking

    def verify(password_hash, password):
        threads.append(threading.current_thread().name)
        return real_verify(password_hash, password)

    monkeypatch.setattr(passwords, "_verify_blocking", verify)
    for email in (admin.user.email, "nobody@firm.example"):
        assert (await api("LogIn", {"email": email, "password": "wrong password!"})).code == "UNAUTHENTICATED"
    assert len(threads) == 2 and all(name.startswith("argon2") for name in threads)


async def _entries(world, count: int) -> list[TimeEntry]:
    """`count` entries over a few dates, made latest date first, so that id order is not date order."""
    task = await Task.create(workspace_id=world.admin.user.workspace_id, project=world.acme_project, title="Timed")
    made = []
    for n in range(count):
        date = dt.date(2026, 11, 20) - dt.timedelta(days=n // 3)
        made.append(await TimeEntry.create(task=task, user=world.staff.user, minutes=15 + n, date=date, note=f"n{n}"))
    return made


async def _csv(api, token: str, url: str = "/reports/time.csv?from=2026-11-01&to=2026-11-30") -> httpx.Response:
    # The bound only keeps a regression from hanging the suite; the limit under test is 0.3 s.
    return await asyncio.wait_for(api.client.get(url, headers={"Authorization": f"Bearer {token}"}), 30)


async def test_the_csv_export_walks_every_entry_once_in_date_order_across_chunks(api, world, monkeypatch):
    await _entries(world, 11)
    monkeypatch.setattr(reports, "CSV_CHUNK_ROWS", 2)
    statements: list[str] = []
    real_chunk = reports.chunk

    async def chunk(query):
        statements.append(query.order_by("date", "id").limit(2).values_list("id").sql(params_inline=True))
        return await real_chunk(query)

    monkeypatch.setattr(reports, "chunk", chunk)
    response = await _csv(api, world.admin.token)
    rows = list(csv.reader(io.StringIO(response.text)))[1:]
    in_range = await TimeEntry.filter(date__gte="2026-11-01", date__lte="2026-11-30")
    assert len(in_range) > 11  # the world's entries too
    expected = sorted(in_range, key=lambda entry: (entry.date, str(entry.id)))
    assert [(r[0], r[3], r[6]) for r in rows] == [(str(e.date), str(e.minutes), e.note) for e in expected]
    assert len(statements) == len(in_range) // 2 + 1
    # After the first chunk, each one starts at the last date sent, not at the report's start.
    assert "2026-11-01" in statements[0] and not any("2026-11-01" in sql for sql in statements[1:])


async def test_a_csv_export_that_runs_out_of_time_while_streaming_ends_with_a_line_saying_so(api, world, monkeypatch):
    await _entries(world, 5)
    monkeypatch.setattr(get_settings(), "request_timeout_seconds", 0.3)
    monkeypatch.setattr(reports, "CSV_CHUNK_ROWS", 2)
    real_chunk = reports.chunk
    calls = 0

    async def stuck_after_the_first(query):
        nonlocal calls
        calls += 1
        if calls > 1:
            await asyncio.Event().wait()  # a database that never answers
        return await real_chunk(query)

    monkeypatch.setattr(reports, "chunk", stuck_after_the_first)
    response = await _csv(api, world.admin.token)
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0][0] == "date" and len(rows) == 1 + 2 + 1
    assert rows[-1][0].startswith("# Cut here: The request ran longer than 0.3 seconds")


async def test_a_csv_export_that_runs_out_of_time_before_its_first_rows_is_refused(api, world, monkeypatch):
    monkeypatch.setattr(get_settings(), "request_timeout_seconds", 0.3)

    async def never(query):
        await asyncio.Event().wait()

    monkeypatch.setattr(reports, "chunk", never)
    response = await _csv(api, world.admin.token)
    assert response.status_code == 503
    assert response.json()["code"] == "TIMEOUT"
