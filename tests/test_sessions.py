"""Sessions and one's own language (tests/operations/session.graphql): a session ends on the
server after a while without a refresh and at its fixed end, both longer when kept signed in; a
refresh rotates the token; signing out refuses the token from then on; everyone signed in sets
their own language, nobody during a preview. Time moves by `sessions.now`, never by sleeping."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from clientela.accounts import sessions
from clientela.accounts.models import Session
from clientela.people.models import User
from clientela.settings import get_settings
from support import add_partner_firms, operations_in
from test_contract_matrix import VIEWERS, fingerprint, table

OPERATIONS = operations_in("session.graphql")
SIGN_UP = {
    "input": {
        "workspaceName": "Northwind",
        "name": "Ana Admin",
        "email": "ana@northwind.example",
        "password": "a long enough secret",
    }
}
CREDENTIALS = {"email": "ana@northwind.example", "password": "a long enough secret"}

MATRIX = {
    "LogInKept": (
        lambda w: {"email": w.admin.user.email, "password": "wrong password", "keepSignedIn": True},
        table("UNAUTHENTICATED"),
    ),
    "RefreshSession": (lambda w: {}, table("ok", anonymous="UNAUTHENTICATED")),
    "SetMyLanguage": (lambda w: {"language": "pt"}, table("ok", anonymous="UNAUTHENTICATED")),
}


def test_the_matrix_covers_every_session_operation():
    assert sorted(MATRIX) == sorted(OPERATIONS)


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("operation", sorted(MATRIX))
async def test_session_operation_as_viewer(api, factory, world, operation, viewer):
    await add_partner_firms(world, factory)
    variables_for, expected = MATRIX[operation]
    me = None if viewer == "anonymous" else getattr(world, viewer)
    before = await fingerprint()
    result = await api(OPERATIONS[operation], variables_for(world), token=me.token if me else None)
    assert (result.code or "ok") == expected[viewer], result.errors
    if result.code:
        assert await fingerprint() == before
    if operation == "SetMyLanguage" and me:
        assert result.data["setMyLanguage"] == {"id": me.id, "language": "pt"}
        assert (await User.get(id=me.user.id)).language == "pt"


class Clock:
    def __init__(self) -> None:
        self.moment = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(sessions, "now", fake)
    return fake


async def sign_in(api, *, kept: bool) -> dict:
    return (await api(OPERATIONS["LogInKept"], {**CREDENTIALS, "keepSignedIn": kept})).ok()["logIn"]


async def who(api, token: str) -> str | None:
    viewer = (await api("Viewer", token=token)).ok()["viewer"]
    return viewer and viewer["name"]


async def test_a_session_ends_after_its_idle_limit_unless_refreshed(api, clock):
    await api("SignUp", SIGN_UP)
    settings = get_settings()
    signed_in = await sign_in(api, kept=False)
    assert datetime.fromisoformat(signed_in["expiresAt"]) == clock.moment + timedelta(minutes=settings.session_idle_minutes)
    clock.advance(minutes=settings.session_idle_minutes - 1)
    assert await who(api, signed_in["token"]) == "Ana Admin"
    refreshed = (await api(OPERATIONS["RefreshSession"], token=signed_in["token"])).ok()["refreshSession"]
    assert refreshed["token"] != signed_in["token"]
    # The old token is refused at once; the new one lives a whole idle period from the refresh.
    assert await who(api, signed_in["token"]) is None
    clock.advance(minutes=settings.session_idle_minutes - 1)
    assert await who(api, refreshed["token"]) == "Ana Admin"
    clock.advance(minutes=2)
    assert await who(api, refreshed["token"]) is None
    assert (await api(OPERATIONS["RefreshSession"], token=refreshed["token"])).code == "UNAUTHENTICATED"


async def test_refreshing_never_outlives_the_absolute_limit(api, clock, monkeypatch):
    await api("SignUp", SIGN_UP)
    settings = get_settings()
    token = (await sign_in(api, kept=False))["token"]
    end = clock.moment + timedelta(hours=settings.session_max_hours)
    while clock.moment + timedelta(minutes=settings.session_idle_minutes) < end:
        clock.advance(minutes=settings.session_idle_minutes - 1)
        refreshed = (await api(OPERATIONS["RefreshSession"], token=token)).ok()["refreshSession"]
        token = refreshed["token"]
        assert datetime.fromisoformat(refreshed["expiresAt"]) <= end
    clock.moment = end
    assert await who(api, token) is None


async def test_keep_me_signed_in_has_the_longer_limits(api, clock):
    await api("SignUp", SIGN_UP)
    settings = get_settings()
    kept = await sign_in(api, kept=True)
    brief = await sign_in(api, kept=False)
    assert datetime.fromisoformat(kept["expiresAt"]) == clock.moment + timedelta(days=settings.kept_session_idle_days)
    clock.advance(hours=settings.session_max_hours, minutes=1)
    assert await who(api, brief["token"]) is None
    assert await who(api, kept["token"]) == "Ana Admin"
    refreshed = (await api(OPERATIONS["RefreshSession"], token=kept["token"])).ok()["refreshSession"]
    assert datetime.fromisoformat(refreshed["expiresAt"]) == clock.moment + timedelta(days=settings.kept_session_idle_days)
    clock.moment = datetime.fromisoformat(kept["expiresAt"]) - timedelta(days=settings.kept_session_idle_days)
    clock.advance(days=settings.kept_session_max_days)
    assert await who(api, refreshed["token"]) is None


async def test_signing_in_drops_the_persons_ended_sessions(api, clock):
    await api("SignUp", SIGN_UP)
    await sign_in(api, kept=False)
    clock.advance(days=1)
    await sign_in(api, kept=False)
    user = await User.get(email="ana@northwind.example")
    assert await Session.filter(user_id=user.id).count() == 1


async def test_of_two_refreshes_with_one_token_one_succeeds(api):
    await api("SignUp", SIGN_UP)
    token = (await sign_in(api, kept=True))["token"]
    results = await asyncio.gather(*(api(OPERATIONS["RefreshSession"], token=token) for _ in range(2)))
    assert sorted(r.code or "ok" for r in results) == ["UNAUTHENTICATED", "ok"]


async def test_signing_out_ends_the_session_on_the_server(api):
    await api("SignUp", SIGN_UP)
    token = (await sign_in(api, kept=True))["token"]
    other = (await sign_in(api, kept=True))["token"]
    assert (await api("LogOut", token=token)).ok()["logOut"] is True
    assert await who(api, token) is None
    assert (await api(OPERATIONS["RefreshSession"], token=token)).code == "UNAUTHENTICATED"
    assert (await api(OPERATIONS["SetMyLanguage"], {"language": "es"}, token=token)).code == "UNAUTHENTICATED"
    assert await who(api, other) == "Ana Admin"  # another device's session stays


async def test_ones_own_language_falls_back_when_cleared_and_refuses_unsupported_ones(api, world):
    client = world.client
    await world.acme.__class__.filter(id=world.acme.id).update(language="es")
    set_language = OPERATIONS["SetMyLanguage"]
    assert (await api(set_language, {"language": "ru-RU"}, token=client.token)).ok()["setMyLanguage"]["language"] == "ru"
    assert (await api("Viewer", token=client.token)).ok()["viewer"]["language"] == "ru"
    before = await fingerprint()
    refused = await api(set_language, {"language": "klingon"}, token=client.token)
    assert refused.code == "BAD_USER_INPUT" and refused.errors[0]["extensions"]["field"] == "language"
    assert await fingerprint() == before
    cleared = (await api(set_language, {"language": None}, token=client.token)).ok()["setMyLanguage"]
    assert cleared["language"] == "es"  # the organization's
    assert (await User.get(id=client.user.id)).language is None


async def test_a_preview_cannot_change_the_language_or_the_session(api, world):
    before = await fingerprint()
    for operation, variables in (("SetMyLanguage", {"language": "ru"}), ("RefreshSession", {})):
        result = await api(OPERATIONS[operation], variables, token=world.admin.token, view_as=world.client.id)
        assert result.code == "FORBIDDEN", operation
    assert await fingerprint() == before
    assert await who(api, world.admin.token) == "Ada Admin"
