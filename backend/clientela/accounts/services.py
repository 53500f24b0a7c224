"""Sign-up, sign-in, sessions and the create/forgot-password flow."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.transactions import in_transaction

from clientela.accounts import passwords, throttle
from clientela.accounts.models import PasswordToken, Session
from clientela.accounts.tokens import new_token, token_hash
from clientela.core import validation
from clientela.core.errors import BadUserInput, Forbidden, Unauthenticated
from clientela.mail.outbox import SET_PASSWORD_LINK, EmailKind, queue_email
from clientela.organizations.models import Organization, OrganizationKind
from clientela.people.models import ContactPrivacy, User
from clientela.settings import get_settings
from clientela.sharing.models import Share, ShareStatus
from clientela.workspaces.models import Workspace

PASSWORD_TOKEN_LIFETIME = timedelta(minutes=60)
# requestPasswordReset answers no sooner than this, whether or not the address is known.
RESET_ANSWER_FLOOR_SECONDS = 0.25


@dataclass
class SignedIn:
    token: str
    user: User


async def _start_session(user: User) -> SignedIn:
    token = new_token()
    await Session.create(user=user, token_hash=token_hash(token))
    now = datetime.now(UTC)
    await User.filter(id=user.id).update(last_sign_in_at=now)
    # A share stays PENDING until its invitee first signs in.
    await Share.filter(user_id=user.id, status=ShareStatus.PENDING).update(status=ShareStatus.ACCEPTED)
    return SignedIn(token=token, user=user)


async def sign_up(
    *, workspace_name: str, name: str, email: str, password: str, language: str | None, client_ip: str
) -> SignedIn:
    settings = get_settings()
    if not settings.allow_signup:
        raise Forbidden("Sign-up is closed on this server.")
    await throttle.require(f"signup:ip:{client_ip}", limit=settings.signups_per_ip_per_hour, window=timedelta(hours=1))
    user = await create_workspace(workspace_name=workspace_name, name=name, email=email, password=password, language=language)
    return await _start_session(user)


async def create_workspace(*, workspace_name: str, name: str, email: str, password: str, language: str | None) -> User:
    """A new workspace with its own team and its admin."""
    workspace_name = validation.name(workspace_name, "workspace_name")
    name = validation.name(name)
    email = validation.email(email)
    validation.password(password)
    language = validation.language(language) or "en"
    password_hash = await passwords.hash_password(password)  # before the transaction: it takes a while
    async with in_transaction():
        workspace = await Workspace.create(name=workspace_name, language=language)
        team = await Organization.create(workspace=workspace, name=workspace_name, kind=OrganizationKind.INTERNAL)
        user = await User.create(
            workspace=workspace,
            organization=team,
            name=name,
            email=email,
            search_text=validation.fold(f"{name} {email}"),
            password_hash=password_hash,
            is_admin=True,
            invited=True,
            privacy=ContactPrivacy.HIDDEN_FROM_CLIENTS,
        )
    return user


async def log_in(*, email: str, password: str, workspace_id: uuid.UUID | None, client_ip: str) -> SignedIn:
    """Sign in by email and password. The same address may be a person in several workspaces:
    workspaceId picks one, else the one that last authenticated. One password check either way,
    so the time taken does not tell how many workspaces know the address."""
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
        user.password_hash = await passwords.hash_password(password)
        await user.save(update_fields=["password_hash"])
    return await _start_session(user)


_NEVER = datetime.min.replace(tzinfo=UTC)


async def _sign_in_candidate(address: str, workspace_id: uuid.UUID | None) -> User | None:
    people = User.filter(email=address, password_hash__isnull=False)
    if workspace_id is not None:
        people = people.filter(workspace_id=workspace_id)
    # Ordered here rather than in SQL, where databases disagree on where NULLs sort.
    return max(await people, key=lambda person: (person.last_sign_in_at or _NEVER, person.id), default=None)


async def log_out(token: str | None) -> bool:
    if not token:
        return False
    return await Session.filter(token_hash=token_hash(token)).delete() > 0


async def user_for_token(token: str | None) -> User | None:
    if not token:
        return None
    session = await Session.get_or_none(token_hash=token_hash(token)).select_related(
        "user", "user__organization", "user__workspace"
    )
    return session.user if session else None


async def request_password_reset(email: str, *, client_ip: str) -> bool:
    """Email a create/reset-password link to every person known by this address. The answer
    and its timing are the same whether or not the address is known."""
    started = time.monotonic()
    settings = get_settings()
    address = (email or "").strip().lower()
    window = timedelta(hours=1)
    await throttle.require(f"reset:ip:{client_ip}", limit=settings.password_resets_per_ip, window=window)
    await throttle.require(f"reset:account:{address}", limit=settings.password_resets_per_account, window=window)
    async with in_transaction():
        for person in await User.filter(email=address):
            # The link is made when the email is delivered (password_link): no usable token
            # waits in the outbox.
            await queue_email(
                EmailKind.PASSWORD,
                person,
                {
                    "set_password_url": SET_PASSWORD_LINK,
                    "creating": person.password_hash is None,
                    "valid_minutes": int(PASSWORD_TOKEN_LIFETIME.total_seconds() // 60),
                },
            )
    await asyncio.sleep(max(0.0, RESET_ANSWER_FLOOR_SECONDS - (time.monotonic() - started)))
    return True


async def password_link(user_id: uuid.UUID) -> str:
    """A fresh create/reset-password link for a person, made as its email is delivered; it ends
    every earlier link of theirs, so only the newest email works."""
    now = datetime.now(UTC)
    token = new_token()
    async with in_transaction():
        await PasswordToken.filter(user_id=user_id, used_at__isnull=True).update(used_at=now)
        await PasswordToken.create(user_id=user_id, token_hash=token_hash(token), expires_at=now + PASSWORD_TOKEN_LIFETIME)
    return f"{get_settings().link_base}/set-password?token={token}"


async def reset_password(token: str, password: str) -> bool:
    """Set the password from an emailed token. The token is single use; every other token of
    the person dies, and so does every session: the person signs in afresh."""
    validation.password(password)
    invalid = BadUserInput("This link is not valid any more. Ask for a new one.", field="token")
    live = PasswordToken.filter(token_hash=token_hash(token or ""), used_at__isnull=True)
    # Hashed only for a live token, and outside the transaction (hashing takes a while).
    if not await live.filter(expires_at__gt=datetime.now(UTC)).exists():
        raise invalid
    password_hash = await passwords.hash_password(password)
    now = datetime.now(UTC)
    async with in_transaction():
        record = await live.filter(expires_at__gt=now).select_for_update().first()
        if record is None:
            raise invalid
        # Setting a password is authenticating: a sign-in without workspaceId now tries this person.
        await User.filter(id=record.user_id).update(password_hash=password_hash, last_sign_in_at=now)
        await PasswordToken.filter(user_id=record.user_id, used_at__isnull=True).update(used_at=now)
        await Session.filter(user_id=record.user_id).delete()
    return True
