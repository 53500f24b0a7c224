"""Checks on user input. Each raises BAD_USER_INPUT naming the field and the rule."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

from clientela.core.errors import BadUserInput

MAX_NAME = 200
MAX_TEXT = 20_000
SUPPORTED_LANGUAGES = ("en", "es", "pt", "ru")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


# Control and format characters are not text: CR or LF in a name breaks every email header it goes
# into, PostgreSQL refuses NUL, bidi overrides make a name read as something else, and a lone
# surrogate cannot be stored. The joiners (ZWNJ, ZWJ) are format characters that scripts and emoji need.
_NOT_TEXT = frozenset({"Cc", "Cf", "Cs"})
_JOINERS = frozenset("\u200c\u200d")


def _printable(value: str, field: str, keep: str = "") -> str:
    if not value.isprintable():  # the common case needs no look at each character
        for char in value:
            if unicodedata.category(char) in _NOT_TEXT and char not in _JOINERS and char not in keep:
                raise BadUserInput(f"{field} must not contain control characters (U+{ord(char):04X}).", field=field)
    return value


def name(value: str, field: str = "name") -> str:
    value = (value or "").strip()
    if not value:
        raise BadUserInput(f"{field} must not be empty.", field=field)
    if len(value) > MAX_NAME:
        raise BadUserInput(f"{field} must be at most {MAX_NAME} characters.", field=field)
    return _printable(value, field)


MAX_FILE_NAME = 200


def file_name(value: str | None) -> str:
    """An uploaded file's name, made fit to show (it is never a path on our side): its last
    path segment, without control or format characters, at most MAX_FILE_NAME characters
    (keeping the extension); "file" when nothing is left. Cleaned, not refused: the name is
    the uploader's computer's, not something they typed for us."""
    value = re.split(r"[/\\]", value or "")[-1]
    value = "".join(c for c in value if unicodedata.category(c) not in _NOT_TEXT or c in _JOINERS).strip()
    value = shortened(value, MAX_FILE_NAME)
    return value if value.strip(".") else "file"


def shortened(name: str, most: int) -> str:
    """A file name cut to at most `most` characters, keeping its extension."""
    if len(name) <= most:
        return name
    stem, dot, extension = name.rpartition(".")
    if not stem or len(extension) > 16:
        stem, dot, extension = name, "", ""
    return stem[: most - len(dot + extension)].rstrip() + dot + extension


def text(value: str | None, field: str = "description") -> str:
    """Text of several lines: keeps LF and tab; CR LF and lone CR become LF."""
    value = (value or "").replace("\r\n", "\n").replace("\r", "\n")
    if len(value) > MAX_TEXT:
        raise BadUserInput(f"{field} must be at most {MAX_TEXT} characters.", field=field)
    return _printable(value, field, keep="\n\t")


def body(value: str, field: str = "body") -> str:
    if not (value or "").strip():
        raise BadUserInput(f"{field} must not be empty.", field=field)
    return text(value, field)


def email(value: str, field: str = "email") -> str:
    value = (value or "").strip().lower()
    if len(value) > 254 or not _EMAIL.match(value) or not value.isprintable():
        raise BadUserInput(f"{field} is not a valid email address.", field=field)
    return value


def phone(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    value = value.strip()
    if len(value) > 64 or not re.fullmatch(r"[0-9+()\-. /x]+", value):
        raise BadUserInput("phone is not a valid phone number.", field="phone")
    return value


def primary_language(tag: str | None) -> str | None:
    """The language we have translations for that a BCP 47 tag names (region subtags fold to
    the language: pt-BR → pt), or None."""
    primary = (tag or "").strip().replace("_", "-").split("-")[0].lower()
    return primary if primary in SUPPORTED_LANGUAGES else None


def language(value: str | None, field: str = "language") -> str | None:
    """A BCP 47 tag we have translations for, as its language (`primary_language`)."""
    if value is None:
        return None
    primary = primary_language(value)
    if primary is None:
        raise BadUserInput(f"{field} must be one of {', '.join(SUPPORTED_LANGUAGES)} (BCP 47).", field=field)
    return primary


MAX_MONEY = Decimal("1e12")
CENT = Decimal("0.01")


def money(value: Decimal | None, field: str) -> Decimal | None:
    if value is None:
        return None
    try:
        value = Decimal(value)
    except (InvalidOperation, TypeError):
        raise BadUserInput(f"{field} must be a decimal amount.", field=field) from None
    if not value.is_finite():
        raise BadUserInput(f"{field} must be a decimal amount.", field=field)
    if value < 0:
        raise BadUserInput(f"{field} must not be negative.", field=field)
    # Before quantizing: quantizing 1E+999999 raises instead of answering.
    if value >= MAX_MONEY:
        raise BadUserInput(f"{field} is too large.", field=field)
    if value != value.quantize(CENT):
        raise BadUserInput(f"{field} has more than 2 decimal places.", field=field)
    return abs(value)  # -0 is 0


def minutes(value: int | None, field: str) -> int | None:
    if value is None:
        return None
    if value < 0:
        raise BadUserInput(f"{field} must not be negative.", field=field)
    if value > 1_000_000:
        raise BadUserInput(f"{field} is too large.", field=field)
    return value


def password(value: str) -> str:
    if len(value) < 10:
        raise BadUserInput("The password must have at least 10 characters.", field="password")
    if value.isdigit():
        raise BadUserInput("The password must not be only digits.", field="password")
    if len(value) > 1000:
        raise BadUserInput("The password is too long.", field="password")
    return value


MAX_TASK_LABELS = 50
MAX_FILTER_LABELS = 10


def _label_list(values: list[str] | None, most: int, too_many: str) -> list[str] | None:
    if values is None:
        return None
    cleaned: list[str] = []
    for raw in values:
        label = raw.strip()
        if not label or len(label) > 100:
            raise BadUserInput("Each label must have 1 to 100 characters.", field="labels")
        _printable(label, "labels")
        if label not in cleaned:
            cleaned.append(label)
    if len(cleaned) > most:
        raise BadUserInput(too_many, field="labels")
    return cleaned


def labels(values: list[str] | None) -> list[str] | None:
    """A task's labels."""
    return _label_list(values, MAX_TASK_LABELS, f"A task has at most {MAX_TASK_LABELS} labels.")


def filter_labels(values: list[str] | None) -> list[str] | None:
    """The labels of a filter: a task must carry each of them."""
    return _label_list(values, MAX_FILTER_LABELS, f"A labels filter names at most {MAX_FILTER_LABELS} labels.")


MAX_SEARCH = 100
_PROJECT_KEY = re.compile(r"[A-Z][A-Z0-9]{0,9}")


def project_key(value: str | None, field: str = "key") -> str | None:
    """The prefix of a project's item references, upper-cased; None: derived from its name."""
    if value is None:
        return None
    value = value.strip().upper()
    if not _PROJECT_KEY.fullmatch(value):
        raise BadUserInput(f"{field} must be a Latin letter, then up to nine letters or digits (ACME, WEB2).", field=field)
    return value


def search(value: str | None, field: str = "search") -> str | None:
    """The text of a search, folded as the columns it is compared with; None for no search."""
    value = " ".join((value or "").split())
    if not value:
        return None
    if len(value) > MAX_SEARCH:
        raise BadUserInput(f"{field} must be at most {MAX_SEARCH} characters.", field=field)
    return fold(_printable(value, field))


def fold(value: str) -> str:
    """Lower-case without accents, for case- and accent-insensitive search."""
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))
