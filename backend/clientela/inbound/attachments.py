"""The attachments of a reply by email, kept as files of the message it posts. Each is stored as an
upload is (files.services.store_file: who may, the size limit, the type its bytes show, the
workspace's quota), before the message's transaction, as a pending file of the reply's author;
the message then attaches them, and should it not be posted after all, `discard` removes them
again, bytes and all (a process that dies in between leaves pending files, which the worker's
sweep removes a day later).

An attachment that the checks refuse is left out and the message says so at its end, naming
each and why, in its author's language: the client learns it in the portal, the firm in the
conversation. Where the author may not upload files at all (a client whose portal hides
ATTACHMENTS), every attachment is dropped unsaid: a signature's logo is no reason to write."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from clientela import policy
from clientela.core.errors import OverQuota, TooLarge, UnsupportedType
from clientela.core.validation import file_name
from clientela.files import services as files
from clientela.files.models import StoredFile
from clientela.files.storage import Storage
from clientela.inbound.parsing import Attachment
from clientela.mail.rendering import supported_language
from clientela.people.language import effective_language
from clientela.policy import Viewer
from clientela.settings import Settings

NOT_KEPT = {
    "en": "Attachments not kept: {files}.",
    "es": "Adjuntos no guardados: {files}.",
    "pt": "Anexos não guardados: {files}.",
    "ru": "Вложения не сохранены: {files}.",
}
REASONS = {
    "type": {
        "en": "a type of file not accepted",
        "es": "tipo de archivo no admitido",
        "pt": "tipo de arquivo não aceito",
        "ru": "недопустимый тип файла",
    },
    "size": {"en": "larger than {limit}", "es": "mayor de {limit}", "pt": "maior que {limit}", "ru": "больше {limit}"},
    "quota": {
        "en": "no storage left",
        "es": "sin espacio de almacenamiento",
        "pt": "sem espaço de armazenamento",
        "ru": "нет места в хранилище",
    },
    "count": {
        "en": "more than {most} files",
        "es": "más de {most} archivos",
        "pt": "mais de {most} arquivos",
        "ru": "больше {most} файлов",
    },
    "empty": {"en": "empty", "es": "vacío", "pt": "vazio", "ru": "пустой"},
}
MORE = {"en": "and {count} more", "es": "y {count} más", "pt": "e mais {count}", "ru": "и ещё {count}"}
# A note names this many attachments and counts the rest, so that it stays a line.
NAMED = 10


@dataclass(frozen=True)
class Kept:
    """The attachments kept, as pending files of the reply's author, and what the message says
    of those that were not ("" when none)."""

    files: list[StoredFile] = field(default_factory=list)
    note: str = ""

    def body(self, text: str) -> str:
        """The message's text with the note at its end; a reply with no text stays without, so
        that it is refused as such."""
        return f"{text}\n\n{self.note}" if self.note and text.strip() else text


async def keep(viewer: Viewer, attachments: list[Attachment], storage: Storage, settings: Settings) -> Kept:
    """Stores what may be kept of `attachments` as the viewer's pending files, at most as many
    as one message carries."""
    if not attachments or not policy.may_upload(viewer):
        return Kept()
    kept: list[StoredFile] = []
    refused: list[tuple[str, str]] = []
    try:
        for attachment in attachments:
            name = file_name(attachment.filename)
            if len(kept) == files.FILES_PER_MESSAGE:
                refused.append((name, "count"))
            elif not attachment.data:
                refused.append((name, "empty"))
            else:
                try:
                    kept.append(await files.store_file(viewer, io.BytesIO(attachment.data), name, storage, settings))
                except TooLarge:
                    refused.append((name, "size"))
                except UnsupportedType:
                    refused.append((name, "type"))
                except OverQuota:
                    refused.append((name, "quota"))
    except Exception:  # the store or the database failed: the sender's server tries again later
        await files.discard(kept, storage)
        raise
    if not refused:
        return Kept(kept)
    language = supported_language(await effective_language(viewer.user))
    values = {"limit": files.size_text(settings.upload_max_bytes), "most": files.FILES_PER_MESSAGE}
    named = [f"{name} ({REASONS[reason][language].format(**values)})" for name, reason in refused[:NAMED]]
    if len(refused) > NAMED:
        named.append(MORE[language].format(count=len(refused) - NAMED))
    return Kept(kept, NOT_KEPT[language].format(files=", ".join(named)))


async def discard(kept: Kept, storage: Storage) -> None:
    """The kept files removed again, bytes and all: their message was not posted."""
    await files.discard(kept.files, storage)
