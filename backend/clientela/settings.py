"""Settings from environment variables (prefix CLIENTELA_) or a `.env` file."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SECRET_FILE = Path(".clientela-secret")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CLIENTELA_", env_file=".env", extra="ignore")

    database_url: str = "sqlite://clientela.db"
    # PostgreSQL: connections each process keeps open (at least, at most), and how long one
    # statement may run, in seconds (0: no limit); migrations run without that limit.
    database_pool_min_size: int = Field(default=1, ge=0)
    database_pool_max_size: int = Field(default=5, ge=1)
    database_statement_timeout_seconds: float = Field(default=30.0, ge=0)
    # A request (and on PostgreSQL a statement) taking at least this long is logged at WARNING
    # with its SQL statements.
    slow_query_seconds: float = Field(default=1.0, ge=0)
    # GET /metrics (Prometheus) answers only with `Authorization: Bearer <this>`; unset, 404.
    metrics_token: str | None = None
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
    # Unset: on in development only, so that a production schema is not handed out by default.
    introspection: bool | None = None
    # Origins allowed to call the API from a browser (CORS), e.g. ["https://portal.example.com"].
    cors_origins: list[str] = []
    # Proxies whose X-Forwarded-For/-Proto are believed (comma-separated addresses or networks,
    # "*" for any); empty: none, and per-IP limits count the connection's own address.
    forwarded_allow_ips: str = ""
    # A request running longer than this is stopped (GraphQL, and the CSV export's whole stream).
    request_timeout_seconds: float = 10.0
    # Threads that hash and check passwords (Argon2), off the event loop.
    password_hash_workers: int = Field(default=2, ge=1)
    # Rate limits (per hour for sign-ups and reset requests, per 15 minutes for failed sign-ins).
    signups_per_ip_per_hour: int = 20
    failed_logins_per_account: int = 10
    failed_logins_per_ip: int = 50
    password_resets_per_account: int = 5
    password_resets_per_ip: int = 30
    # Sessions (accounts/sessions.py): one ends when it has not been refreshed for `idle`
    # minutes, and after `max` hours whatever happens; "keep me signed in" has its own limits.
    session_idle_minutes: int = Field(default=60, ge=1)
    session_max_hours: int = Field(default=12, ge=1)
    kept_session_idle_days: int = Field(default=14, ge=1)
    kept_session_max_days: int = Field(default=60, ge=1)
    # Delivered, cancelled and failed emails are deleted from the outbox after this many days.
    outbox_retention_days: int = 30
    # How often the email worker looks for shares that expire within three days, to remind
    # their holders and the clients' owners.
    share_reminder_every_seconds: float = Field(default=300.0, gt=0)
    # How often the worker looks for response-time targets that became at risk or breached.
    target_check_every_seconds: float = Field(default=60.0, gt=0)
    # How often the worker evaluates the time-based automation triggers (due date near, no
    # public reply); the events of changes are evaluated at every poll.
    automation_scan_every_seconds: float = Field(default=60.0, gt=0)
    # Invitation and share emails a workspace may send per hour.
    invitations_per_workspace_per_hour: int = 200
    # Fair use, per session (per client address when not signed in): requests per second
    # sustained and in a burst, and the same for expensive requests (reports, the CSV export,
    # bulk changes), per minute. See clientela.fair_use.
    fair_use_requests_per_second: float = Field(default=50.0, gt=0)
    fair_use_burst: int = Field(default=200, ge=1)
    fair_use_expensive_per_minute: float = Field(default=10.0, gt=0)
    fair_use_expensive_burst: int = Field(default=10, ge=1)
    # A process settles a session's budget with the database once every this many requests.
    fair_use_settle_every: int = Field(default=20, ge=1)
    # GraphQL executions a server process runs at once (the others wait, served fairly across
    # sessions), and how many requests of one session may wait.
    fair_use_running_requests: int = Field(default=1, ge=1)
    fair_use_waiting_requests: int = Field(default=32, ge=0)
    # Replies by email: emails that carry a public message get a per-recipient Reply-To at this
    # domain (reply+<token>@domain), which `clientela inbound` receives; unset, none is added.
    inbound_domain: str | None = None
    # A reply address stays valid this many days after the last email that carried it.
    inbound_token_days: int = Field(default=180, ge=1)
    # Larger emails are refused (SMTP 552): room for attachments of the upload limit, encoded.
    inbound_max_message_bytes: int = Field(default=36 * 1024 * 1024, ge=1024)
    # Files in an S3-compatible bucket instead of the local directory, for several processes or
    # machines: set the bucket. The endpoint is that of MinIO, Ceph… (unset: AWS); an unset
    # region or key falls back to boto's own chain (AWS_* variables, an instance role). The
    # prefix keeps the objects under "<prefix>/" in a shared bucket.
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None
    s3_prefix: str = ""
    # Files on tasks and messages: where the local store keeps their bytes (beside the
    # development database by default), the largest upload, and what a workspace may keep in all
    # (its files' sizes, pending uploads included). GraphQL's Int bounds a size at 2 GiB.
    storage_dir: str = "clientela-files"
    upload_max_bytes: int = Field(default=25 * 1024 * 1024, ge=1, le=2**31 - 1)
    workspace_storage_quota_bytes: int = Field(default=10 * 1024**3, ge=0)
    # An email of a public message attaches its files, the smallest first, up to this total;
    # the others it names with a link to the item in the portal. Read whole into memory for the
    # email, so this is also what one email may hold of them.
    email_attachments_max_bytes: int = Field(default=10 * 1024 * 1024, ge=0)

    @model_validator(mode="after")
    def _introspection_follows_development(self) -> Settings:
        if self.introspection is None:
            self.introspection = self.development
        return self

    @model_validator(mode="after")
    def _pool_bounds_in_order(self) -> Settings:
        if self.database_pool_min_size > self.database_pool_max_size:
            raise ValueError("CLIENTELA_DATABASE_POOL_MIN_SIZE is over CLIENTELA_DATABASE_POOL_MAX_SIZE")
        return self

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
