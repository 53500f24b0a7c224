"""Email templates (Jinja2) translated with the gettext catalogs in `locales/`.

The `.po` catalogs are compiled in memory when a language is first used, so no binary `.mo`
file lives in the repository. After editing the English text of a template, refresh them:

    cd backend/clientela/mail
    pybabel extract -F babel.cfg -o locales/messages.pot --no-location --omit-header --sort-output templates
    pybabel update -i locales/messages.pot -d locales --no-fuzzy-matching --ignore-obsolete

then translate every new or changed message (tests/test_mail_templates.py checks none is missing).
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from gettext import NullTranslations
from io import BytesIO
from pathlib import Path

from babel import Locale
from babel.dates import format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from clientela.core.validation import primary_language

HERE = Path(__file__).parent
LOCALES = HERE / "locales"
SOURCE_LANGUAGE = "en"


# Stands where an email of a public message lists the message's files: the list is made when
# the email leaves the outbox (mail/attachments.py), so that it names only what is still there
# and still the recipient's to read. Format characters, which no text a person gives us may hold
# (core/validation.py), so no message can put one of its own in the email.
MESSAGE_FILES = "\u2063message-files\u2063"


def in_language(url: str, language: str) -> str:
    """A link into the portal that opens its page in the email's language (`lang`), rather than
    in whatever language the browser prefers."""
    return f"{url}{'&' if '?' in url else '?'}lang={language}"


def supported_language(language: str | None) -> str:
    """The language an email is written in: the primary subtag when we have it, else English."""
    return primary_language(language) or SOURCE_LANGUAGE


@cache
def translations(language: str) -> NullTranslations:
    if language == SOURCE_LANGUAGE:
        return NullTranslations()
    with open(LOCALES / language / "LC_MESSAGES" / "messages.po", "rb") as po:
        catalog = read_po(po, locale=language)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


def _datetime_formatter(language: str):
    locale = Locale.parse(language)
    # Long date and short time, the way the locale joins them: seconds are noise in an email,
    # and the zone is spelled out because readers are anywhere.
    pattern = (
        str(locale.datetime_formats["medium"])
        .replace("{1}", locale.date_formats["long"].pattern)
        .replace("{0}", locale.time_formats["short"].pattern + " z")
    )

    def format_moment(moment: datetime) -> str:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return format_datetime(moment, pattern, tzinfo=UTC, locale=locale)

    return format_moment


def _linebreaks(text: str) -> Markup:
    return Markup("<br>\n").join(escape(text.replace("\r\n", "\n")).split("\n"))


@cache
def environment(language: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False, default=False),
        extensions=["jinja2.ext.i18n"],
        # A context key a caller forgot fails the caller's transaction instead of mailing a blank.
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_translations(translations(language), newstyle=True)
    env.filters["datetime"] = _datetime_formatter(language)
    env.filters["linebreaks"] = _linebreaks
    env.globals["message_files"] = MESSAGE_FILES
    return env
