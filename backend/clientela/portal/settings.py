"""Portal settings: which tasks and which task properties a client sees, and what they may do.

The default comes from `portal-config/` (a human-edited YAML file and its JSON Schema), read
and validated once at start-up; each workspace keeps its own copy, changed by admins."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

import jsonschema
import yaml


class PortalScope(StrEnum):
    OWN_REQUESTS = "OWN_REQUESTS"
    ORGANIZATION_REQUESTS = "ORGANIZATION_REQUESTS"
    FOLLOWED_PROJECTS = "FOLLOWED_PROJECTS"


class TaskField(StrEnum):
    DESCRIPTION = "DESCRIPTION"
    STATUS = "STATUS"
    PRIORITY = "PRIORITY"
    DUE_DATE = "DUE_DATE"
    LABELS = "LABELS"
    ASSIGNEE = "ASSIGNEE"
    REQUESTERS = "REQUESTERS"
    FOLLOWERS = "FOLLOWERS"
    MESSAGES = "MESSAGES"
    ESTIMATED_TIME = "ESTIMATED_TIME"
    TIME_SPENT = "TIME_SPENT"
    COST = "COST"
    RESPONSE_TARGETS = "RESPONSE_TARGETS"
    # The files on items and on their public messages.
    ATTACHMENTS = "ATTACHMENTS"


@dataclass(frozen=True)
class PortalSettings:
    scopes: frozenset[PortalScope]
    visible_task_fields: frozenset[TaskField]
    can_submit_items: bool
    can_post_messages: bool
    # Whether clients resolve and reopen the items they requested (policy.require_resolve).
    can_resolve_items: bool

    @classmethod
    def from_document(cls, doc: dict) -> PortalSettings:
        return cls(
            scopes=frozenset(PortalScope(s) for s in doc["scopes"]),
            visible_task_fields=frozenset(TaskField(f) for f in doc["visibleTaskFields"]),
            can_submit_items=bool(doc["canSubmitItems"]),
            can_post_messages=bool(doc["canPostMessages"]),
            # Optional in the file: configurations written before it keep working.
            can_resolve_items=bool(doc.get("canResolveItems", False)),
        )

    def to_document(self) -> dict:
        return {
            "scopes": sorted(self.scopes),
            "visibleTaskFields": [f.value for f in TaskField if f in self.visible_task_fields],
            "canSubmitItems": self.can_submit_items,
            "canPostMessages": self.can_post_messages,
            "canResolveItems": self.can_resolve_items,
        }


class PortalConfigError(Exception):
    """The portal configuration file is not valid; start-up stops with this message."""


CONFIG_DIR_CANDIDATES = (
    Path.cwd() / "portal-config",
    Path(__file__).resolve().parents[3] / "portal-config",
)
DEFAULT_FILE = "default.yaml"
SCHEMA_FILE = "portal-settings.schema.json"


def _config_dir() -> Path:
    for candidate in CONFIG_DIR_CANDIDATES:
        if (candidate / DEFAULT_FILE).exists():
            return candidate
    raise PortalConfigError(f"no portal-config/{DEFAULT_FILE} in {' or '.join(map(str, CONFIG_DIR_CANDIDATES))}")


def schema() -> dict:
    return json.loads((_config_dir() / SCHEMA_FILE).read_text())


def load_portal_config(path: Path | None = None) -> PortalSettings:
    """Read and validate a portal configuration file; any error names the file, key and choices."""
    path = path or _config_dir() / DEFAULT_FILE
    try:
        doc = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise PortalConfigError(f"{path}: cannot be read: {exc}") from None
    errors = sorted(jsonschema.Draft202012Validator(schema()).iter_errors(doc), key=lambda e: list(e.path))
    if errors:
        raise PortalConfigError("\n".join(_describe(path, e) for e in errors))
    return PortalSettings.from_document(doc)


def _describe(path: Path, error: jsonschema.ValidationError) -> str:
    key = ".".join(str(p) for p in error.absolute_path) or "(top level)"
    if error.validator == "additionalProperties":
        allowed = ", ".join(error.schema.get("properties", {}))
        return f"{path}: {error.message}; allowed keys: {allowed}"
    if error.validator == "enum":
        return f"{path}: key {key}: {error.instance!r} is not allowed; allowed: {', '.join(error.validator_value)}"
    return f"{path}: key {key}: {error.message}"


@lru_cache
def default_portal_settings() -> PortalSettings:
    return load_portal_config()


def settings_of(workspace_document: dict | None) -> PortalSettings:
    """A workspace's settings: its stored document over the configured default."""
    if not workspace_document:
        return default_portal_settings()
    return PortalSettings.from_document({**default_portal_settings().to_document(), **workspace_document})
