"""The service around the API: start-up checks, error masking, the CLI."""

import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from clientela.portal.settings import PortalConfigError, load_portal_config


def test_the_shipped_portal_config_is_valid_and_hides_money_by_default():
    settings = load_portal_config()
    assert {f.value for f in settings.visible_task_fields}.isdisjoint({"ESTIMATED_TIME", "TIME_SPENT", "COST"})
    assert len(settings.scopes) == 3


@pytest.mark.parametrize(
    "content, named",
    [
        ("scopes: [OWN_REQUESTS]\nvisibleTaskFields: []\ncanSubmitItems: true\ncanPostMessages: true\ncolour: red\n", ["colour", "allowed keys", "scopes"]),
        ("scopes: [EVERYONE]\nvisibleTaskFields: []\ncanSubmitItems: true\ncanPostMessages: true\n", ["scopes.0", "EVERYONE", "OWN_REQUESTS"]),
        ("scopes: []\nvisibleTaskFields: [SALARY]\ncanSubmitItems: yes please\ncanPostMessages: true\n", ["visibleTaskFields.0", "SALARY", "canSubmitItems"]),
        ("scopes: [\n", ["cannot be read"]),
    ],
)
def test_a_bad_portal_config_names_the_file_the_key_and_what_is_allowed(tmp_path, content, named):
    path = tmp_path / "portal.yaml"
    path.write_text(content)
    with pytest.raises(PortalConfigError) as error:
        load_portal_config(path)
    message = str(error.value)
    assert str(path) in message
    for word in named:
        assert word in message


async def test_unexpected_errors_are_masked_and_logged_with_a_request_id(api, factory, monkeypatch, caplog):
    from clientela.organizations import services

    async def broken(*args, **kwargs):
        raise RuntimeError("secret internals: password=hunter2")

    monkeypatch.setattr(services, "list_organizations", broken)
    admin = await factory.workspace()
    with caplog.at_level(logging.ERROR, logger="clientela.errors"):
        result = await api("Organizations", token=admin.token)
    [error] = result.errors
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert "hunter2" not in str(result.errors) and "Traceback" not in str(result.errors)
    assert error["extensions"]["requestId"] in caplog.text and "hunter2" in caplog.text


async def test_graphiql_is_served_in_development(api):
    response = await api.client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200 and "graphiql" in response.text.lower()


async def test_mutations_over_get_are_refused(api):
    response = await api.client.get("/graphql", params={"query": "mutation { logOut }"})
    assert response.status_code in (400, 405)


def test_cli_migrates_loads_the_demo_once_and_exports_the_schema(tmp_path):
    # A separate process: the CLI opens and closes its own database connections.
    env = {**os.environ, "CLIENTELA_DATABASE_URL": f"sqlite://{tmp_path / 'demo.db'}"}

    def clientela(*args, input=None, ok=True):
        done = subprocess.run(
            [sys.executable, "-c", "from clientela.cli import app; app()", *args],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, input=input,
        )
        assert (done.returncode == 0) == ok, done.stderr
        return done.stdout + done.stderr

    first = clientela("demo")
    assert "ana@northwind.example" in first and "dave@acme.example" in first
    assert clientela("demo") == first
    clientela("export-schema", str(tmp_path / "schema.graphql"))
    assert "portalItems" in (tmp_path / "schema.graphql").read_text()
    assert "up to date" in clientela("migrate")
    admin = ["create-admin", "--workspace", "Firm", "--name", "Root", "--email", "root@firm.example"]
    assert "Created workspace 'Firm'" in clientela(*admin, input="a long secret pw\na long secret pw\n")
    assert "at least 10 characters" in clientela(*admin, input="short\nshort\n", ok=False)


def test_the_migrations_describe_the_models_exactly(tmp_path):
    # On a copy of the package: were anything left to write, it would land there.
    import clientela

    shutil.copytree(Path(clientela.__file__).parent, tmp_path / "clientela", ignore=shutil.ignore_patterns("__pycache__"))
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "CLIENTELA_DATABASE_URL": f"sqlite://{tmp_path / 'empty.db'}"}
    done = subprocess.run(
        [sys.executable, "-c", "from clientela.cli import app; app()", "makemigrations"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    assert "No changes detected" in done.stdout, done.stdout + done.stderr
