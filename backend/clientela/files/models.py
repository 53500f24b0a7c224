from __future__ import annotations

from tortoise import fields

from clientela.core.models import Entity


# An uploaded file: its bytes are in the store under `storage_key`, which the service generates
# (never the uploader's name, kept only to show). It hangs on a task or on a message, never both;
# on neither, it is pending: its uploader's alone until a mutation attaches it, and deleted a day
# after the upload if none does.
class StoredFile(Entity):
    workspace = fields.ForeignKeyField("models.Workspace", related_name="files")
    uploaded_by = fields.ForeignKeyField("models.User", related_name="uploaded_files")
    storage_key = fields.CharField(max_length=128, unique=True)
    name = fields.CharField(max_length=255)
    # Detected from the bytes, never taken from the upload's own Content-Type or name.
    content_type = fields.CharField(max_length=100)
    size = fields.BigIntField()
    task = fields.ForeignKeyField("models.Task", related_name="files", null=True)
    message = fields.ForeignKeyField("models.Message", related_name="files", null=True)

    class Meta:
        table = "stored_file"
        # The files of a task or a message; the workspace's usage (quota) from the index alone.
        indexes = (("task_id", "id"), ("message_id", "id"), ("workspace_id", "size"))


# Bytes to delete from the store: written in the transaction that deletes their file, deleted
# once the store has let go of them, so that a store that fails is tried again by the worker.
class FileDeletion(Entity):
    storage_key = fields.CharField(max_length=128, unique=True)

    class Meta:
        table = "file_deletion"
