"""The emails themselves: both parts, in every language, with what each must contain."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from jinja2 import UndefinedError

from clientela.core.validation import SUPPORTED_LANGUAGES as LANGUAGES
from clientela.mail.outbox import EmailKind, render_email
from clientela.mail.rendering import HERE, LOCALES

BASE = "http://clientela.test"
CONTEXTS = {
    EmailKind.SHARED_ORGANIZATION: {
        "inviter_name": "Olga Petrova",
        "organization_name": "Acme Studio",
        "organization_url": f"{BASE}/organizations/0190a1b2",
        "partner_name": None,
        "has_password": False,
        "password_url": f"{BASE}/set-password",
    },
    EmailKind.PROJECT_INVITATION: {
        "inviter_name": "Olga Petrova",
        "project_name": "New website",
        "project_url": f"{BASE}/projects/0190c3d4",
        "has_password": False,
        "password_url": f"{BASE}/set-password",
    },
    EmailKind.PASSWORD: {
        "set_password_url": f"{BASE}/set-password?token=s3cr3t-T0ken",
        "creating": True,
        "valid_minutes": 60,
    },
    EmailKind.CLIENT_REPLY: {
        "item_ref": "ACME-42",
        "item_title": "Fix the logo",
        "item_url": f"{BASE}/tasks/0190e5f6",
        "author_name": "Olga Petrova",
        "body": "The new colours look great.\nCan we ship on Friday?",
        "history": [
            {
                "author_name": "Juan Pérez",
                "body": "Here is a first draft.",
                "created_at": datetime(2025, 3, 4, 15, 7, tzinfo=UTC),
            },
            {
                "author_name": "Olga Petrova",
                "body": "Thanks, looking at it.",
                "created_at": datetime(2025, 3, 5, 9, 30, tzinfo=UTC),
            },
        ],
        "history_left_out": 0,
    },
    EmailKind.SHARE_EXPIRY_REMINDER: {
        "for_holder": True,
        "holder_name": "Olga Petrova",
        "organization_name": "Acme Studio",
        "organization_url": f"{BASE}/organizations/0190a1b2",
        "expires_at": datetime(2025, 3, 4, 15, 7, tzinfo=UTC),
    },
    EmailKind.PARTNER_MEMBERSHIP: {
        "inviter_name": "Olga Petrova",
        "partner_name": "Northwind Partners",
        "clients_url": f"{BASE}/clients",
        "has_password": False,
        "password_url": f"{BASE}/set-password",
    },
    EmailKind.AUTOMATION_NOTICE: {
        "rule_name": "Warn before the due date",
        "item_ref": "ACME-42",
        "item_title": "Fix the logo",
        "item_url": f"{BASE}/projects/0190c3d4?task=0190e5f6",
        "body": "Due tomorrow.\nPlease check it.",
    },
}
# Values each email must show, in both parts, whatever the language.
REQUIRED = {
    EmailKind.SHARED_ORGANIZATION: ["Olga Petrova", "Acme Studio", f"{BASE}/organizations/0190a1b2", f"{BASE}/set-password"],
    EmailKind.PROJECT_INVITATION: ["Olga Petrova", "New website", f"{BASE}/projects/0190c3d4", f"{BASE}/set-password"],
    EmailKind.PASSWORD: [f"{BASE}/set-password?token=s3cr3t-T0ken"],
    EmailKind.CLIENT_REPLY: [
        "Olga Petrova",
        "Fix the logo",
        f"{BASE}/tasks/0190e5f6",
        "Can we ship on Friday?",
        "Here is a first draft.",
        "Thanks, looking at it.",
    ],
    EmailKind.SHARE_EXPIRY_REMINDER: ["Acme Studio", f"{BASE}/organizations/0190a1b2"],
    EmailKind.PARTNER_MEMBERSHIP: ["Olga Petrova", "Northwind Partners", f"{BASE}/clients", f"{BASE}/set-password"],
    EmailKind.AUTOMATION_NOTICE: ["Warn before the due date", "Fix the logo", f"{BASE}/projects/0190c3d4?task=0190e5f6", "Please check it."],
}
# Words of each language's subject, so a catalog that silently fell back to English fails.
SUBJECT_WORDS = {
    EmailKind.SHARED_ORGANIZATION: {"en": "shared", "es": "compartió", "pt": "compartilhou", "ru": "делится"},
    EmailKind.PROJECT_INVITATION: {"en": "invited", "es": "invitó", "pt": "convidou", "ru": "приглашает"},
    EmailKind.PASSWORD: {"en": "Create", "es": "Crea", "pt": "Crie", "ru": "Создание"},
    EmailKind.CLIENT_REPLY: {"en": "New message", "es": "Nuevo mensaje", "pt": "Nova mensagem", "ru": "Новое сообщение"},
    EmailKind.SHARE_EXPIRY_REMINDER: {"en": "expires soon", "es": "vence pronto", "pt": "expira em breve", "ru": "скоро истекает"},
    EmailKind.PARTNER_MEMBERSHIP: {"en": "added you", "es": "te añadió", "pt": "adicionou você", "ru": "добавил"},
    EmailKind.AUTOMATION_NOTICE: {"en": "Automation", "es": "Automatización", "pt": "Automação", "ru": "Автоматизация"},
}
# The greeting names the recipient in every email.
GREETINGS = {
    "en": "Hello Juan Pérez,",
    "es": "Hola, Juan Pérez:",
    "pt": "Olá, Juan Pérez,",
    "ru": "Здравствуйте, Juan Pérez!",
}


def render(kind, language="en", name="Juan Pérez", **changes):
    return render_email(kind, language, name, {**CONTEXTS[kind], **changes})


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", list(EmailKind))
def test_every_email_has_both_parts_in_every_language(kind, language):
    subject, text, html = render(kind, language)

    assert SUBJECT_WORDS[kind][language] in subject
    assert "\n" not in subject
    assert GREETINGS[language] in text
    assert GREETINGS[language] in html
    for value in REQUIRED[kind]:
        assert value in text
        assert value in html.replace("&amp;", "&")
    assert html.startswith("<!DOCTYPE html>")
    assert f'<html lang="{language}">' in html
    assert f"<title>{subject}</title>" in html
    assert "<p" not in text and "<a " not in text


@pytest.mark.parametrize("kind", list(EmailKind))
@pytest.mark.parametrize("language", ["es", "pt", "ru"])
def test_translations_are_not_english(kind, language):
    english = render(kind, "en")
    translated = render(kind, language)
    for english_part, translated_part in zip(english, translated, strict=True):
        assert english_part != translated_part
    assert "Hello" not in translated[1]
    assert "If the button does not work" not in translated[2]


@pytest.mark.parametrize(
    ("language", "create", "reset"),
    [
        ("en", "create a password", "reset the password"),
        ("es", "crear la contraseña", "restablecer la contraseña"),
        ("pt", "criar a senha", "redefinir a senha"),
        ("ru", "создание пароля", "сброс пароля"),
    ],
)
def test_password_email_says_create_or_reset(language, create, reset):
    creating = render(EmailKind.PASSWORD, language, creating=True)
    resetting = render(EmailKind.PASSWORD, language, creating=False)

    for part in creating:
        assert reset not in part
    for part in resetting:
        assert create not in part
    assert create in creating[1] and create in creating[2]
    assert reset in resetting[1] and reset in resetting[2]
    assert "60" in creating[1]


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [
        (1, "действует 1 минуту."),
        (3, "действует 3 минуты."),
        (60, "действует 60 минут."),
        (21, "действует 21 минуту."),
    ],
)
def test_minutes_are_pluralised_in_russian(minutes, expected):
    _, text, html = render(EmailKind.PASSWORD, "ru", valid_minutes=minutes)
    assert expected in text
    assert expected in html


@pytest.mark.parametrize("kind", [EmailKind.SHARED_ORGANIZATION, EmailKind.PROJECT_INVITATION, EmailKind.PARTNER_MEMBERSHIP])
def test_invitations_explain_creating_a_password_only_to_first_time_visitors(kind):
    _, first_text, first_html = render(kind, has_password=False)
    _, known_text, known_html = render(kind, has_password=True)

    assert "first visit" in first_text and "create your password" in first_text
    assert "Create a password" in first_html
    assert f"{BASE}/set-password" not in known_text + known_html
    assert "Sign in with your email address and your password." in known_text


def test_client_reply_lists_earlier_messages_oldest_first_with_localised_dates():
    _, text, html = render(EmailKind.CLIENT_REPLY, "es")

    assert text.index("Here is a first draft.") < text.index("Thanks, looking at it.")
    assert "Mensajes anteriores" in text and "Mensajes anteriores" in html
    assert "4 de marzo de 2025, 15:07 UTC" in text
    assert "5 de marzo de 2025, 9:30 UTC" in html
    assert "The new colours look great.<br>\nCan we ship on Friday?" in html

    _, text, html = render(EmailKind.CLIENT_REPLY, "ru")
    assert "4 марта 2025\u202fг., 15:07 UTC" in text


def test_a_client_reply_says_how_many_earlier_messages_it_leaves_out_in_each_language():
    said = {
        "en": "12 earlier messages are not shown here",
        "es": "Hay 12 mensajes anteriores que no se muestran aquí",
        "pt": "12 mensagens anteriores não aparecem aqui",
        "ru": "12 более ранних сообщений здесь не показаны",
    }
    for language, words in said.items():
        _, text, html = render(EmailKind.CLIENT_REPLY, language, history_left_out=12)
        assert words in text and words in html, language
    _, text, _ = render(EmailKind.CLIENT_REPLY, "en", history_left_out=1)
    assert "1 earlier message is not shown here: open the conversation to read it." in text
    _, text, html = render(EmailKind.CLIENT_REPLY, "en")
    assert "not shown here" not in text + html


def test_client_reply_without_history_has_no_history_section():
    _, text, html = render(EmailKind.CLIENT_REPLY, history=[])
    assert "Earlier messages" not in text
    assert "Earlier messages" not in html


def test_html_is_escaped_and_text_is_verbatim():
    subject, text, html = render(
        EmailKind.CLIENT_REPLY,
        name="Bob <b>",
        author_name='Eve "<script>"',
        item_title="Q&A\nBcc: everyone@example.com",
        body="<img src=x onerror=alert(1)>",
        history=[],
    )

    assert "<script>" not in html and "<img" not in html and "<b>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "Q&amp;A" in html
    assert "<img src=x onerror=alert(1)>" in text
    assert "Bob <b>" in text
    # A newline in a value must not open a new header line.
    assert subject == "New message about ACME-42 “Q&A Bcc: everyone@example.com”"


def test_link_addresses_are_escaped_in_html_attributes():
    _, _, html = render(EmailKind.PASSWORD, set_password_url=f'{BASE}/set-password?token=a&b="c"')
    assert f'href="{BASE}/set-password?token=a&amp;b=&#34;c&#34;&amp;lang=en"' in html


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", list(EmailKind))
def test_every_link_opens_the_portal_in_the_language_of_the_email(kind, language):
    _, text, html = render(kind, language)
    links = re.findall(rf"{re.escape(BASE)}[^\s\"<]*", text + html.replace("&amp;", "&"))
    assert links
    for link in links:
        assert link.endswith(f"lang={language}") and link.count("lang=") == 1, link


def test_unknown_or_regional_languages():
    assert "Hello" in render(EmailKind.PASSWORD, "fr")[1]
    assert "Hello" in render(EmailKind.PASSWORD, "")[1]
    assert "Olá" in render(EmailKind.PASSWORD, "pt-BR")[1]
    assert "Hola" in render(EmailKind.PASSWORD, "es_MX")[1]


def test_a_missing_context_key_is_an_error_not_a_blank():
    context = dict(CONTEXTS[EmailKind.PROJECT_INVITATION])
    del context["project_url"]
    with pytest.raises(UndefinedError):
        render_email(EmailKind.PROJECT_INVITATION, "en", "Juan", context)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", list(EmailKind))
def test_names_in_subjects_are_cut_and_the_subject_stays_short(kind, language):
    long = {key: "Long " + "n" * 300 for key, value in CONTEXTS[kind].items() if isinstance(value, str)}
    subject, text, _ = render(kind, language, **long)
    assert len(subject) <= 200
    for value in long.values():
        assert value not in subject
    if kind is EmailKind.SHARED_ORGANIZATION:
        assert "Long " + "n" * 74 + "…" in subject
        assert long["organization_name"] in text


def _template_messages() -> set[str]:
    options = {"extensions": "jinja2.ext.i18n", "trimmed": "true"}
    method_map = [("**.html", "jinja2"), ("**.txt", "jinja2")]
    found = extract_from_dir(HERE / "templates", method_map=method_map, options_map={"**": options})
    return {message if isinstance(message, str) else message[0] for _, _, message, _, _ in found}


def test_template_catalog_is_up_to_date():
    with open(LOCALES / "messages.pot", "rb") as pot:
        catalog = read_po(pot)
    in_catalog = {message.id if isinstance(message.id, str) else message.id[0] for message in catalog if message.id}
    assert in_catalog == _template_messages()


@pytest.mark.parametrize("language", [language for language in LANGUAGES if language != "en"])
def test_every_message_is_translated(language):
    with open(LOCALES / language / "LC_MESSAGES" / "messages.po", "rb") as po:
        catalog = read_po(po, locale=language)
    translated = {}
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"{language}: untranslated {message.id!r}"
        assert not message.fuzzy, f"{language}: fuzzy {message.id!r}"
        translated[message.id if isinstance(message.id, str) else message.id[0]] = strings
    assert set(translated) == _template_messages()
    # Placeholders of every translation match the English ones.
    assert [(message.id, errors) for message, errors in catalog.check() if errors] == []


@pytest.mark.parametrize(
    ("language", "holder", "owner", "when"),
    [
        ("en", "Your access to the organization Acme Studio", "The access of Olga Petrova", "March 4, 2025"),
        ("es", "Tu acceso a la organización Acme Studio", "El acceso de Olga Petrova", "4 de marzo de 2025"),
        ("pt", "Seu acesso à organização Acme Studio", "O acesso de Olga Petrova", "4 de março de 2025"),
        ("ru", "Ваш доступ к организации Acme Studio", "Доступ Olga Petrova", "4 марта 2025"),
    ],
)
def test_an_expiry_reminder_tells_the_holder_and_the_owner_when_in_their_language(language, holder, owner, when):
    for_holder = render(EmailKind.SHARE_EXPIRY_REMINDER, language)
    for_owner = render(EmailKind.SHARE_EXPIRY_REMINDER, language, for_holder=False)

    for part in for_holder[1:]:
        assert holder in part and when in part and "UTC" in part
        assert owner not in part
    for part in for_owner[1:]:
        assert owner in part and when in part
    assert "Olga Petrova" in for_owner[0] and "Olga Petrova" not in for_holder[0]


@pytest.mark.parametrize(
    ("language", "firm_words"),
    [("en", "with your firm Northwind"), ("es", "con tu firma Northwind"), ("pt", "com a sua empresa Northwind"), ("ru", "вашей фирме Northwind")],
)
def test_a_share_with_a_partner_firm_tells_each_member_it_is_their_firms(language, firm_words):
    for_member = render(EmailKind.SHARED_ORGANIZATION, language, partner_name="Northwind Partners")
    for_person = render(EmailKind.SHARED_ORGANIZATION, language)

    for part in for_member[1:]:
        assert firm_words in part and "Acme Studio" in part
    assert all("Northwind" not in part for part in for_person)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", [EmailKind.CLIENT_REPLY, EmailKind.AUTOMATION_NOTICE])
def test_the_subject_of_an_email_about_an_item_names_its_reference(kind, language):
    subject, _, _ = render(kind, language)
    assert "ACME-42" in subject and "Fix the logo" in subject and SUBJECT_WORDS[kind][language] in subject


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_project_conversation_has_no_reference_in_its_subject(language):
    subject, _, _ = render(EmailKind.CLIENT_REPLY, language, item_ref=None, item_title="Acme website")
    assert "Acme website" in subject and "None" not in subject and SUBJECT_WORDS[EmailKind.CLIENT_REPLY][language] in subject
