"""Reading a received email: who sent it, what it answers, whether a machine sent it, and the
reply itself, without the quoted history and signature under it (en, es, pt, ru)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses
from html.parser import HTMLParser

from mailparser_reply.parser import EmailMessage as QuotedText

LANGUAGES = ["en", "es", "pt", "ru"]
QUOTED = r"(?:> ?)*"

# mail-parser-reply 1.36 knows no pt or ru, and its es header wants two spaces before
# "escribió" (Gmail writes one); these complete its table, in its own terms.
QUOTE_PATTERNS: dict[str, dict[str, str]] = {
    "es": {"wrote_header": rf"^({QUOTED}El\s(?:.+?\s?.+?)\sescribió:)$"},
    "pt": {
        "wrote_header": rf"^({QUOTED}Em\s(?:.+?\s?.+?)\sescreveu:)$",
        "from_header": rf"((?:(?:^|\n|\n{QUOTED})[* ]*(?:De|Enviado|Enviada|Para|Assunto|Data|Cc):[ *]*(?:\s{{,2}}).*){{2,}}(?:\n.*){{,1}})",
        "signatures": "Atenciosamente,|Cumprimentos,|Obrigad[oa],|Abraços,|Att,",
        "sent_from": "Enviado do meu",
        "disclaimers": "Aviso:|Confidencialidade:",
    },
    "ru": {
        # Thunderbird and Yandex ("…, Анна пишет:"), Outlook ("… писал(а):"), Gmail ("пн, 1 дек.
        # 2026 г. в 10:00, Анна <a@b.example>:"), Mail.ru ("… от Анна <a@b.example>:").
        "wrote_header": rf"^({QUOTED}(?:.{{1,200}}\s(?:пишет|написал|написала|писал(?:\(а\)|а)?):"
        rf"|.{{0,40}}\d{{4}}\sг\.\sв\s\d{{1,2}}:\d{{2}}.{{0,120}}<[^<>\s]+@[^<>\s]+>:"
        rf"|.{{0,80}}\sот\s.{{0,120}}<[^<>\s]+@[^<>\s]+>:))$",
        "from_header": rf"((?:(?:^|\n|\n{QUOTED})[* ]*(?:От|Отправлено|Кому|Тема|Дата|Копия):[ *]*(?:\s{{,2}}).*){{2,}}(?:\n.*){{,1}})",
        "signatures": "С уважением|С наилучшими пожеланиями|Спасибо,",
        "sent_from": "Отправлено с",
        "disclaimers": "Внимание:|Конфиденциально:",
    },
}


class _QuotedText(QuotedText):
    def _get_language_regex(self, language: str, regex_key: str) -> str:
        ours = QUOTE_PATTERNS.get(language, {}).get(regex_key)
        return ours if ours is not None else super()._get_language_regex(language, regex_key)


def reply_text(text: str) -> str:
    """The newest reply of an email body: above the first quote header, without its signature
    (hyphenated lists stay: they are not signatures) and without quoted lines at its end."""
    parsed = _QuotedText(text=text, languages=list(LANGUAGES), keep_hyphen_lists=True).read()
    lines = (parsed.replies[0].body if parsed.replies else "").split("\n")
    while lines and (not lines[-1].strip() or lines[-1].lstrip().startswith(">")):
        lines.pop()
    return "\n".join(lines).strip()


# Elements whose content is never text, and those that start a line of their own.
_HIDDEN = frozenset({"script", "style", "head", "title", "template", "noscript", "svg", "math"})
_BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "hr", "table", "ul", "ol"})


class _TextOfHtml(HTMLParser):
    """Text of an HTML body: what a reader sees, quoted levels of <blockquote> as "> " lines.
    Nothing is rendered or run; script and style content is dropped, entities are decoded."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = [""]
        self.hidden = 0
        self.quoted = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag == "blockquote":
            self.quoted += 1
            self._break()
        elif tag in _BLOCKS:
            self._break()

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        if tag in _BLOCKS:
            self._break()

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(self.hidden - 1, 0)
        elif tag == "blockquote":
            self._break()
            self.quoted = max(self.quoted - 1, 0)
        elif tag in _BLOCKS and tag != "br":
            self._break()

    def handle_data(self, data: str) -> None:
        if self.hidden:
            return
        words = " ".join(data.split())
        if not words:
            return
        if not self.lines[-1]:
            self.lines[-1] = "> " * self.quoted
        elif not self.lines[-1].endswith(" ") and data[:1].isspace():
            self.lines[-1] += " "
        self.lines[-1] += words + (" " if data[-1:].isspace() else "")

    def _break(self) -> None:
        self.lines.append("")

    def text(self) -> str:
        text = "\n".join(line.rstrip() for line in self.lines)
        return re.sub(r"\n{3,}", "\n\n", text).strip()


def html_to_text(html: str) -> str:
    parser = _TextOfHtml()
    parser.feed(html)
    parser.close()
    return parser.text()


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class ParsedEmail:
    from_address: str
    # The Message-ID, or a digest of the whole email where it has none: what makes it "the same".
    identity: str
    answers: list[str]
    headers: dict[str, str]
    body: str
    attachments: list[Attachment] = field(default_factory=list)


def _ids(value: str | None) -> list[str]:
    return re.findall(r"<([^<>\s]+)>", value or "")


def _text_body(email: EmailMessage) -> str:
    part = email.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError):  # an unknown or lying charset
        content = (part.get_payload(decode=True) or b"").decode("utf-8", "replace")
    return html_to_text(content) if part.get_content_type() == "text/html" else content


def parse(raw: bytes) -> ParsedEmail:
    email = message_from_bytes(raw, policy=policy.default)
    senders = getaddresses([str(email.get("From", ""))])
    message_id = (_ids(str(email.get("Message-ID", ""))) or [""])[0]
    identity = message_id or "sha256:" + hashlib.sha256(raw).hexdigest()
    attachments = [
        Attachment(part.get_filename() or "attachment", part.get_content_type(), part.get_payload(decode=True) or b"")
        for part in email.iter_attachments()
    ]
    return ParsedEmail(
        from_address=senders[0][1].strip().lower() if len(senders) == 1 else "",
        identity=identity,
        answers=_ids(str(email.get("In-Reply-To", ""))) + _ids(str(email.get("References", ""))),
        headers={name.lower(): str(value) for name, value in email.items()},
        body=reply_text(_text_body(email).replace("\r\n", "\n")),
        attachments=attachments,
    )
