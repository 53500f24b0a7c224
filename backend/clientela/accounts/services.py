"""Sign-up, sign-in, sessions and the create/forgot-password flow."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta

from clientela import policy
from clientela.accounts import passwords, repository, sessions, throttle
from clientela.accounts.sessions import SignedIn
from clientela.accounts.tokens import new_token, token_hash
from clientela.core import validation
from clientela.core.errors import BadUserInput, Forbidden, Unauthenticated
from clientela.mail.outbox import SET_PASSWORD_LINK, EmailKind, queue_email
from clientela.mail.rendering import in_language
from clientela.people.models import User
from clientela.policy import Action, Viewer
from clientela.settings import get_settings

PASSWORD_TOKEN_LIFETIME = timedelta(minutes=60)
# requestPasswordReset answers no sooner than this, whether or not the address is known.
RESET_ANSWER_FLOOR_SECONDS = 0.25


async def sign_up(*, workspace_name: str, name: str, email: str, password: str, language: str | None, client_ip: str) -> SignedIn:
    settings = get_settings()
    if not settings.allow_signup:
        raise Forbidden("Sign-up is closed on this server.")
    await throttle.require(f"signup:ip:{client_ip}", limit=settings.signups_per_ip_per_hour, window=timedelta(hours=1))
    user = await create_workspace(workspace_name=workspace_name, name=name, email=email, password=password, language=language)
    return await sessions.start(user, kept=False)


async def create_workspace(*, workspace_name: str, name: str, email: str, password: str, language: str | None) -> User:
    """A new workspace with its own team and its admin."""
    workspace_name = validation.name(workspace_name, "workspace_name")
    name = validation.name(name)
    email = validation.email(email)
    validation.password(password)
    language = validation.language(language) or "en"
    password_hash = await passwords.hash_password(password)  # before the transaction: it takes a while
    return await repository.create_workspace(
        workspace_name=workspace_name,
        language=language,
        admin_name=name,
        email=email,
        search_text=validation.fold(f"{name} {email}"),
        password_hash=password_hash,
    )


async def log_in(
    *, email: str, password: str, workspace_id: uuid.UUID | None, client_ip: str, keep_signed_in: bool = False
) -> SignedIn:
    """Sign in by email and password. The same address may be a person in several workspaces:
    workspaceId picks one, else the one that last authenticated. One password check either way,
    so the time taken does not tell how many workspaces know the address. `keep_signed_in`: the
    session's longer limits (accounts/sessions.py)."""
    settings = get_settings()
    address = (email or "").strip().lower()
    limits = {
        f"login:account:{address}": settings.failed_logins_per_account,
        f"login:ip:{client_ip}": settings.failed_logins_per_ip,
    }
    # Reserved before the password is checked, so that concurrent guesses count against each other.
    hits = await throttle.reserve(limits, window=timedelta(minutes=15))
    user = await _sign_in_candidate(address, workspace_id)
    if user is None:
        await passwords.spend_equal_time(password)
    if user is None or not await passwords.verify(user.password_hash, password):
        raise Unauthenticated("Wrong email or password.")
    await throttle.release(hits)  # only failures count
    if passwords.needs_rehash(user.password_hash):
        await repository.set_password_hash(user, await passwords.hash_password(password))
    return await sessions.start(user, kept=keep_signed_in)


_NEVER = datetime.min.replace(tzinfo=UTC)


async def _sign_in_candidate(address: str, workspace_id: uuid.UUID | None) -> User | None:
    people = await repository.people_with_password(address, workspace_id)
    # Ordered here rather than in SQL, where databases disagree on where NULLs sort.
    return max(people, key=lambda person: (person.last_sign_in_at or _NEVER, person.id), default=None)


async def set_my_language(viewer: Viewer, language: str | None) -> User:
    """The person's own interface (and email) language; None falls back to their organization's,
    else their workspace's."""
    policy.require(viewer, Action.SET_OWN_LANGUAGE)
    return await repository.set_language(viewer.user, validation.language(language))


async def request_password_reset(email: str, *, client_ip: str) -> bool:
    """Email a create/reset-password link to every person known by this address. The answer
    and its timing are the same whether or not the address is known."""
    started = time.monotonic()
    settings = get_settings()
    address = (email or "").strip().lower()
    window = timedelta(hours=1)
    await throttle.require(f"reset:ip:{client_ip}", limit=settings.password_resets_per_ip, window=window)
    await throttle.require(f"reset:account:{address}", limit=settings.password_resets_per_account, window=window)

    async def queue_link_email(person: User) -> None:
        # The link is made when the email is delivered (password_link): no usable token waits
        # in the outbox.
        await queue_email(
            EmailKind.PASSWORD,
            person,
            {
                "set_password_url": SET_PASSWORD_LINK,
                "creating": person.password_hash is None,
                "valid_minutes": int(PASSWORD_TOKEN_LIFETIME.total_seconds() // 60),
            },
        )

    await repository.for_each_person_of(address, queue_link_email)
    await asyncio.sleep(max(0.0, RESET_ANSWER_FLOOR_SECONDS - (time.monotonic() - started)))
    return True


async def password_link(user_id: uuid.UUID, language: str) -> str:
    """A fresh create/reset-password link for a person, made as its email (in `language`) is
    delivered; it ends every earlier link of theirs, so only the newest email works."""
    now = datetime.now(UTC)
    token = new_token()
    await repository.replace_password_token(user_id, token_hash(token), now, now + PASSWORD_TOKEN_LIFETIME)
    return in_language(f"{get_settings().link_base}/set-password?token={token}", language)


async def reset_password(token: str, password: str) -> bool:
    """Set the password from an emailed token. The token is single use; every other token of
    the person dies, and so does every session: the person signs in afresh."""
    validation.password(password)
    invalid = BadUserInput("This link is not valid any more. Ask for a new one.", field="token")
    hashed_token = token_hash(token or "")
    # The password is hashed only for a live token, and outside the transaction (it takes a while).
    if not await repository.password_token_is_live(hashed_token, datetime.now(UTC)):
        raise invalid
    password_hash = await passwords.hash_password(password)
    if not await repository.use_password_token(hashed_token, datetime.now(UTC), password_hash):
        raise invalid
    return True
