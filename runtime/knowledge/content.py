"""Checks on uploaded content before anything is stored, and its content type. Pure."""

from __future__ import annotations

import mimetypes

from runtime import errors
from runtime.knowledge.types import Upload

_GENERIC = ("", "application/octet-stream")
_SIGNATURES = {"application/pdf": b"%PDF-"}


def guess_type(upload: Upload) -> str:
    """The declared content type, or one guessed from the file name, or octet-stream."""
    declared = upload.content_type.split(";")[0].strip().lower()
    if declared not in _GENERIC:
        return declared
    guessed, _ = mimetypes.guess_type(upload.name or upload.filename)
    return guessed or "application/octet-stream"


def check_content(upload: Upload) -> None:
    """An empty file, or one whose bytes contradict its declared type, is a 422."""
    if upload.size == 0:
        raise errors.InvalidInputError("the file is empty", param="file")
    signature = _SIGNATURES.get(guess_type(upload))
    if signature is not None:
        upload.content.seek(0)
        head = upload.content.read(len(signature))
        upload.content.seek(0)
        if head != signature:
            raise errors.InvalidInputError(
                f"the file claims {guess_type(upload)} but its content is not", param="file"
            )
