"""Sign-up, sign-in, sessions (auth.graphql)."""

import re
from unittest import mock

from clientela.accounts.models import Session
from clientela.mail.models import OutboxEmail
from clientela.people.models import User
from clientela.workspaces.models import Workspace

SIGN_UP = {
    "input": {
        "workspaceName": "Northwind",
        "name": "Ana Admin",
        "email": "Ana@Northwind.example",
        "password": "a long enough secret",
        "language": "es",
    }
}


async def test_sign_up_creates_a_workspace_with_its_admin_and_signs_in(api):
    data = (await api("SignUp", SIGN_UP)).ok()["signUp"]
    assert data["viewer"]["isAdmin"] is True
    assert data["viewer"]["email"] == "ana@northwind.example"
    viewer = (await api("Viewer", token=data["token"])).ok()["viewer"]
    assert viewer["name"] == "Ana Admin"
    assert viewer["language"] == "es"
    assert viewer["workspace"]["name"] == "Northwind"
    assert viewer["workspace"]["currency"] == "USD"
    assert viewer["organization"]["kind"] == "INTERNAL"


async def test_tokens_are_stored_only_as_hashes(api):
    token = (await api("SignUp", SIGN_UP)).ok()["signUp"]["token"]
    hashes = await Session.all().values_list("token_hash", flat=True)
    assert token not in hashes and len(hashes) == 1
    stored = await User.get(email="ana@northwind.example")
    assert stored.password_hash.startswith("$argon2id$")


async def test_log_in_and_log_out(api):
    await api("SignUp", SIGN_UP)
    result = await api("LogIn", {"email": "ANA@northwind.example", "password": "a long enough secret"})
    token = result.ok()["logIn"]["token"]
    assert (await api("Viewer", token=token)).ok()["viewer"]["name"] == "Ana Admin"
    assert (await api("LogOut", token=token)).ok()["logOut"] is True
    assert (await api("Viewer", token=token)).ok()["viewer"] is None


async def test_wrong_password_and_unknown_address_answer_alike(api):
    await api("SignUp", SIGN_UP)
    wrong = await api("LogIn", {"email": "ana@northwind.example", "password": "not the password"})
    unknown = await api("LogIn", {"email": "nobody@northwind.example", "password": "not the password"})
    assert wrong.code == unknown.code == "UNAUTHENTICATED"
    assert wrong.errors[0]["message"] == unknown.errors[0]["message"]


async def test_weak_passwords_and_bad_input_are_refused_and_nothing_is_written(api):
    for field, value in [
        ("password", "short"),
        ("password", "12345678901234"),
        ("email", "not-an-email"),
        ("name", ""),
        ("workspaceName", "x" * 201),
        ("language", "klingon"),
    ]:
        variables = {"input": {**SIGN_UP["input"], field: value}}
        result = await api("SignUp", variables)
        assert result.code == "BAD_USER_INPUT", (field, result.errors)
    assert await Workspace.all().count() == 0


LOG_IN_TO = """mutation($email: String!, $password: String!, $workspaceId: ID) {
  logIn(email: $email, password: $password, workspaceId: $workspaceId) { token } }"""


async def test_same_address_in_two_workspaces_signs_in_where_it_last_authenticated_or_by_workspace_id(api):
    first = (await api("SignUp", SIGN_UP)).ok()["signUp"]
    other = {"input": {**SIGN_UP["input"], "workspaceName": "Southwind", "password": "another long secret"}}
    second = (await api("SignUp", other)).ok()["signUp"]
    assert first["viewer"]["id"] != second["viewer"]["id"]
    northwind = await User.get(id=first["viewer"]["id"])
    southwind = await User.get(id=second["viewer"]["id"])

    async def log_in(password: str, workspace: User | None = None) -> str | None:
        variables = {"email": "ana@northwind.example", "password": password}
        if workspace:
            variables["workspaceId"] = str(workspace.workspace_id)
        result = await api(LOG_IN_TO, variables)
        if result.errors:
            return result.code
        return (await api("Viewer", token=result.data["logIn"]["token"])).ok()["viewer"]["workspace"]["name"]

    # Southwind's person authenticated last: without workspaceId only its password is tried.
    assert await log_in("a long enough secret") == "UNAUTHENTICATED"
    assert await log_in("another long secret") == "Southwind"
    assert await log_in("a long enough secret", northwind) == "Northwind"
    assert await log_in("a long enough secret") == "Northwind"
    # Setting a password from an emailed link counts as authenticating.
    await api("RequestPasswordReset", {"email": "ana@northwind.example"})
    email = await OutboxEmail.get(kind="PASSWORD", workspace_id=southwind.workspace_id)
    token = re.search(r"token=([\w-]+)", await delivered_text(email)).group(1)
    assert (await api("ResetPassword", {"token": token, "password": "a brand new secret"})).ok()
    assert await log_in("a brand new secret") == "Southwind"


async def delivered_text(email: OutboxEmail) -> str:
    """The text of an email as the worker sends it (links are made at delivery)."""
    from clientela.files.storage import storage_from_settings
    from clientela.mail.worker import _message
    from clientela.settings import Settings

    settings = Settings(_env_file=None, mail_from="sender@firm.example")
    return (await _message(email, settings, None, None, storage_from_settings(settings))).get_body(("plain",)).get_content()


async def test_a_sign_in_checks_one_password_however_many_workspaces_know_the_address(api, factory, monkeypatch):
    from clientela.accounts import passwords
    from support import ADMIN_PASSWORD

    admins = [await factory.workspace(f"Firm {n}") for n in range(3)]
    await User.filter(id__in=[a.user.id for a in admins[1:]]).update(email="shared@firm.example")
    verify = mock.Mock(wraps=passwords.verify)
    monkeypatch.setattr(passwords, "verify", verify)
    for email in (admins[0].user.email, "shared@firm.example", "nobody@firm.example"):
        for password in (ADMIN_PASSWORD, "wrong password!"):
            verify.reset_mock()
            await api("LogIn", {"email": email, "password": password})
            assert verify.call_count == 1, (email, password)
    await User.filter(id=admins[0].user.id).update(email="shared@firm.example")
    verify.reset_mock()
    assert (await api("LogIn", {"email": "shared@firm.example", "password": ADMIN_PASSWORD})).ok()
    assert verify.call_count == 1


async def test_unknown_token_is_anonymous_and_protected_queries_say_unauthenticated(api):
    assert (await api("Viewer", token="made-up")).ok()["viewer"] is None
    result = await api("Organizations", token="made-up")
    assert result.code == "UNAUTHENTICATED"


async def test_unknown_enum_values_are_bad_user_input(api, factory):
    admin = await factory.workspace()
    result = await api("Organizations", {"kind": "VENDOR"}, token=admin.token)
    assert result.code == "BAD_USER_INPUT"
