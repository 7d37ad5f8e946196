"""Text out of a file's bytes by content type: plain, Markdown, HTML, PDF, JSON, CSV. Pure.

Called in a worker thread (PDF parsing is CPU work); anything else is `None` (unsupported).
"""

from __future__ import annotations

import io
import logging
from html.parser import HTMLParser

log = logging.getLogger("runtime.knowledge")

_TEXT = frozenset(
    {
        "text/plain",
        "text/markdown",
        "text/x-markdown",
        "text/csv",
        "application/json",
        "application/csv",
        "application/x-ndjson",
    }
)
_HTML = frozenset({"text/html", "application/xhtml+xml"})
_SKIPPED = frozenset({"script", "style", "noscript", "template"})


class ExtractError(Exception):
    """The bytes are not what their type says (a damaged PDF)."""


def extract(content_type: str, data: bytes) -> str | None:
    """The text of the content, or None when the type is not one we read."""
    media = content_type.split(";", maxsplit=1)[0].strip().lower()
    if media in _TEXT or (media.startswith("text/") and media not in _HTML):
        return data.decode("utf-8", errors="replace")
    if media in _HTML:
        return _html_text(data.decode("utf-8", errors="replace"))
    if media == "application/pdf":
        return _pdf_text(data)
    return None


class _Text(HTMLParser):
    """Collects the visible text of a document: no scripts, styles or templates."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self._skipping += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping and data.strip():
            self.parts.append(data.strip())


def _html_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    parser.close()
    return "\n".join(parser.parts)


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader  # noqa: PLC0415 - a heavy import, only for PDFs
    from pypdf.errors import PyPdfError  # noqa: PLC0415

    try:
        reader = PdfReader(io.BytesIO(data))
        return "\n".join(page.extract_text() or "" for page in reader.pages)
    except (PyPdfError, ValueError, KeyError, TypeError) as exc:
        raise ExtractError(f"the PDF cannot be read: {exc}") from exc
