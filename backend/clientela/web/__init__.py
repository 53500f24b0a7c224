"""The client portal web app: static files served by the service itself (see static/)."""

from __future__ import annotations

from pathlib import Path

from starlette.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"


def portal_web_app() -> StaticFiles:
    return StaticFiles(directory=STATIC, html=True)
