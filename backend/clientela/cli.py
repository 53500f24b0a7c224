"""The `clientela` command."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import tempfile
from pathlib import Path

import typer

from clientela import db, logs
from clientela.settings import get_settings

app = typer.Typer(help="Clientela: the backend for working with clients.", no_args_is_help=True)


def _metrics_directory(workers: int) -> None:
    """Several worker processes report their metrics through files in PROMETHEUS_MULTIPROC_DIR
    (clientela.metrics), made here when unset. The files of processes no longer running (an
    earlier start's) are removed first: their figures start over, as a restarted process's
    would, and the directory does not grow with every start. Processes of another `clientela
    serve` sharing the directory keep theirs."""
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not path:
        if workers == 1:
            return
        path = os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="clientela-metrics-")
    Path(path).mkdir(parents=True, exist_ok=True)
    for file in Path(path).glob("*.db"):
        pid = re.search(r"_(\d+)\.db$", file.name)
        if pid and not _running(int(pid.group(1))):
            file.unlink(missing_ok=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


@app.command()
def migrate() -> None:
    """Apply the database migrations that have not been applied yet."""
    asyncio.run(db.migrate(get_settings().database_url))
    typer.echo("Database is up to date.")


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    worker: bool = typer.Option(True, help="Deliver emails from this process (each worker process) too."),
    workers: int = typer.Option(1, min=1, help="Server processes sharing the port."),
) -> None:
    """Serve the API (migrating the database first)."""
    import uvicorn

    settings = get_settings()
    logs.configure(settings)
    asyncio.run(db.migrate(settings.database_url))
    _metrics_directory(workers)
    # Uvicorn by itself believes X-Forwarded-For from 127.0.0.1: whatever reaches the port over
    # loopback would choose the address that the per-IP limits count.
    proxies = settings.forwarded_allow_ips.strip()
    uvicorn.run(
        "clientela.app:create_app" if worker else "clientela.app:create_api_app",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level="info",
        log_config=logs.config(settings),
        access_log=False,
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies or None,
    )


@app.command("worker")
def run_email_worker() -> None:
    """Deliver queued emails (several workers may run side by side)."""
    from clientela.mail.worker import run_worker

    settings = get_settings()
    logs.configure(settings)

    async def main() -> None:
        async with db.connected(settings.database_url, settings):
            await run_worker(settings, asyncio.Event())

    asyncio.run(main())


@app.command()
def inbound(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(2525, help="Port to listen on."),
    stdin: bool = typer.Option(False, "--stdin", help="Receive one email from standard input (a mail server's pipe) and exit."),
    recipient: str = typer.Option(None, help="With --stdin: the reply address it was sent to (else read from its headers)."),
) -> None:
    """Receive replies by email (SMTP), and post them to their conversations."""
    import sys

    from clientela.files.storage import storage_from_settings
    from clientela.inbound.smtp import receive_piped, start_server

    settings = get_settings()
    logs.configure(settings)
    storage = storage_from_settings(settings)
    if not settings.inbound_domain:
        log = logging.getLogger("clientela.inbound")
        log.warning("CLIENTELA_INBOUND_DOMAIN is not set: emails carry no reply address, and every address is refused")

    async def piped() -> int:
        raw = sys.stdin.buffer.read(settings.inbound_max_message_bytes + 1)
        async with db.connected(settings.database_url, settings):
            status, reply = await receive_piped(raw, recipient, settings, storage)
        typer.echo(reply, err=True)
        return status

    async def serve_smtp() -> None:
        await db.migrate(settings.database_url)
        async with db.connected(settings.database_url, settings):
            server = await start_server(settings, host, port, storage)
            logging.getLogger("clientela.inbound").info("Receiving replies by SMTP on %s:%s", host, port)
            async with server:
                await server.serve_forever()

    if stdin:
        raise typer.Exit(asyncio.run(piped()))
    asyncio.run(serve_smtp())


@app.command("revoke-reply-addresses")
def revoke_reply_addresses(email: str = typer.Argument(..., help="The person's email address.")) -> None:
    """End every reply address of the people with this email address; later emails carry new ones."""
    from clientela.inbound.services import revoke_reply_addresses as revoke

    settings = get_settings()

    async def main() -> int:
        async with db.connected(settings.database_url, settings):
            return await revoke(email)

    typer.echo(f"Revoked {asyncio.run(main())} reply addresses.")


@app.command()
def demo() -> None:
    """Load a small, realistic demo workspace (once) and print its sign-ins."""
    from clientela.demo import load_demo

    settings = get_settings()

    async def main() -> list[tuple[str, str, str]]:
        await db.migrate(settings.database_url)
        async with db.connected(settings.database_url, settings):
            return await load_demo()

    for role, email, password in asyncio.run(main()):
        typer.echo(f"{role:<28} {email:<32} {password}")


@app.command("export-schema")
def export_schema(path: Path = typer.Argument(Path("schema.graphql"), help="Where to write the SDL.")) -> None:
    """Write the GraphQL schema (SDL) that the contract is checked against."""
    from clientela.graphql.schema import schema

    path.write_text(schema.as_str() + "\n")
    typer.echo(f"Wrote {path}")


@app.command("create-admin")
def create_admin(
    workspace: str = typer.Option(..., help="Name of the new workspace."),
    name: str = typer.Option(...),
    email: str = typer.Option(...),
    password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True, envvar="CLIENTELA_ADMIN_PASSWORD"),
) -> None:
    """Create a workspace with its admin (asks for the password)."""
    from clientela.accounts import services as accounts
    from clientela.core.errors import BadUserInput

    settings = get_settings()

    async def main() -> None:
        await db.migrate(settings.database_url)
        async with db.connected(settings.database_url, settings):
            await accounts.create_workspace(workspace_name=workspace, name=name, email=email, password=password, language=None)

    try:
        asyncio.run(main())
    except BadUserInput as error:
        raise typer.BadParameter(error.message) from None
    typer.echo(f"Created workspace {workspace!r} with admin {email}.")


@app.command()
def makemigrations(name: str = typer.Option(None, help="Name of the migration.")) -> None:
    """Write a migration for model changes (developers)."""
    from tortoise.cli.cli import run_cli_async

    args = ["-c", "clientela.db.TORTOISE_ORM", "makemigrations"] + (["--name", name] if name else [])
    raise typer.Exit(asyncio.run(run_cli_async(args)))
