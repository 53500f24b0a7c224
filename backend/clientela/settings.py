"""Settings from environment variables (prefix CLIENTELA_) or a `.env` file."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

SECRET_FILE = Path(".clientela-secret")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CLIENTELA_", env_file=".env", extra="ignore")

    database_url: str = "sqlite://clientela.db"
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    mail_from: str = "notifications@localhost"
    public_url: str = "http://127.0.0.1:8000"
    secret_key: str | None = None
    allow_signup: bool = True
    development: bool = Field(default=True, description="GraphiQL and field suggestions on")
    introspection: bool = True
    # Origins allowed to call the API from a browser (CORS), e.g. ["https://portal.example.com"].
    cors_origins: list[str] = []
    # A GraphQL request running longer than this is stopped.
    request_timeout_seconds: float = 10.0
    # Rate limits (per hour for sign-ups and reset requests, per 15 minutes for failed sign-ins).
    signups_per_ip_per_hour: int = 20
    failed_logins_per_account: int = 10
    failed_logins_per_ip: int = 50
    password_resets_per_account: int = 5
    password_resets_per_ip: int = 30

    @property
    def link_base(self) -> str:
        return self.public_url.rstrip("/")

    def resolved_secret_key(self) -> str:
        """The configured key, else one generated once and kept beside the development database."""
        if self.secret_key:
            return self.secret_key
        if not SECRET_FILE.exists():
            SECRET_FILE.write_text(secrets.token_urlsafe(48))
            SECRET_FILE.chmod(0o600)
        return SECRET_FILE.read_text().strip()


@lru_cache
def get_settings() -> Settings:
    return Settings()
