"""Bearer and password tokens: random, shown once, stored only as a keyed hash."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from clientela.settings import get_settings


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    key = get_settings().resolved_secret_key().encode()
    return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()
