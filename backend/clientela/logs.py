"""Logging: one JSON object per line outside development, lines for people in development.

Every line logged while a request is served carries the request's id, operation and viewer
kind (`RequestContext`). What is never logged: request bodies and query strings (tokens,
passwords and message bodies travel there), headers, SQL parameters (clientela.core.statements)
and email bodies."""

from __future__ import annotations

import json
import logging
import logging.config
from datetime import UTC, datetime

from clientela.core import requests
from clientela.settings import Settings

# Attributes a line may carry besides its message, in this order.
FIELDS = ("request_id", "operation", "viewer", "method", "path", "status", "outcome", "duration_ms", "statements", "sql")


class RequestContext(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        current = requests.current()
        if current is not None:
            record.request_id = current.id
            record.operation = getattr(record, "operation", None) or current.operation
            record.viewer = getattr(record, "viewer", None) or current.viewer
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update((name, value) for name in FIELDS if (value := getattr(record, name, None)) is not None)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def config(settings: Settings) -> dict:
    """The logging configuration (logging.config.dictConfig), which `clientela serve` also gives
    uvicorn for each of its worker processes. uvicorn's access log is off: it would write query
    strings; clientela.observe logs each request without them."""
    formatter = (
        {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
        if settings.development
        else {"()": f"{__name__}.JsonFormatter"}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request": {"()": f"{__name__}.RequestContext"}},
        "formatters": {"line": formatter},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "line",
                "filters": ["request"],
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": "INFO", "handlers": ["stderr"]},
        "loggers": {
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.access": {"handlers": [], "propagate": False},
        },
    }


def configure(settings: Settings) -> None:
    logging.config.dictConfig(config(settings))
