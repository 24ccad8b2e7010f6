"""What a document says: its kind told from the upload, and its text as sections.

A section is a run of text under one heading (Markdown) or on one page (PDF); the chunker
(app/documents/chunking.py) cuts sections into passages and keeps each one's heading and
page. Everything here is CPU work on bytes: callers run it in a thread.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass
from enum import StrEnum

from markdown_it import MarkdownIt
from markdown_it.token import Token
from pypdf import PdfReader

logger = logging.getLogger(__name__)


class DocumentKind(StrEnum):
    pdf = "pdf"
    markdown = "markdown"
    text = "text"


# The stored content type of each kind (whatever the client called it).
CONTENT_TYPES = {
    DocumentKind.pdf: "application/pdf",
    DocumentKind.markdown: "text/markdown",
    DocumentKind.text: "text/plain",
}
_EXTENSIONS = {
    ".pdf": DocumentKind.pdf,
    ".md": DocumentKind.markdown,
    ".markdown": DocumentKind.markdown,
    ".txt": DocumentKind.text,
    ".text": DocumentKind.text,
}
_MEDIA_TYPES = {
    "application/pdf": DocumentKind.pdf,
    "application/x-pdf": DocumentKind.pdf,
    "text/markdown": DocumentKind.markdown,
    "text/x-markdown": DocumentKind.markdown,
    "text/plain": DocumentKind.text,
}
# What browsers and curl send when they do not know: the extension decides then.
_GENERIC_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream"})
SUPPORTED = "PDF (.pdf), Markdown (.md) or plain text (.txt)"


class UnsupportedDocument(Exception):
    """Neither the name nor the content type is one of the kinds read here."""


class ExtractionError(Exception):
    """The file is of a supported kind but its text cannot be read; the message says why
    in a sentence a user can act on."""


@dataclass(frozen=True, slots=True)
class Section:
    heading: str | None
    page: int | None  # 1-based, PDFs only
    text: str


@dataclass(frozen=True, slots=True)
class Extracted:
    sections: list[Section]
    pages: int | None  # PDFs only


def kind_of(content_type: str | None, filename: str | None) -> DocumentKind:
    """The kind of an upload from its name's extension and its content type: a known
    extension decides if the type is generic or agrees (a Markdown file sent as
    text/plain is Markdown); a known type decides for a name without a known extension.
    Anything else, or a type that contradicts the extension, is unsupported."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    name = (filename or "").lower()
    by_name = next((k for ext, k in _EXTENSIONS.items() if name.endswith(ext)), None)
    by_type = _MEDIA_TYPES.get(media)
    if by_name is not None:
        text_like = {by_name, by_type} <= {DocumentKind.markdown, DocumentKind.text}
        if media in _GENERIC_TYPES or by_type == by_name or text_like:
            return by_name
    elif by_type is not None:
        return by_type
    raise UnsupportedDocument(
        f"Unsupported file {filename or ''!r} of type {media or 'unknown'!r}: send {SUPPORTED}"
    )


def pdf_pages(data: bytes) -> int:
    """Pages of a PDF, read from its page tree only (cheap: no page is decoded)."""
    return len(_open_pdf(data).pages)


def extract(data: bytes, kind: DocumentKind) -> Extracted:
    if kind is DocumentKind.pdf:
        return _extract_pdf(data)
    text = decode_text(data)
    if kind is DocumentKind.markdown:
        sections = markdown_sections(text)
    else:
        sections = [Section(None, None, text)] if text.strip() else []
    if not sections:
        raise ExtractionError("The file has no text")
    return Extracted(sections, None)


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without a BOM), else Windows-1252; never NUL (PostgreSQL text
    cannot hold it, and a text file does not have it)."""
    if b"\x00" in data:
        raise ExtractionError("The file is not text: it holds NUL bytes")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise ExtractionError("The file is not text in UTF-8 or Windows-1252") from None


# --- PDF -------------------------------------------------------------------------------


def _open_pdf(data: bytes) -> PdfReader:
    if not data.lstrip()[:5] == b"%PDF-":
        raise ExtractionError("The file is not a PDF (it does not start with %PDF-)")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise ExtractionError("The PDF is protected by a password")
        if len(reader.pages) == 0:  # reads the page tree: a broken one fails here
            raise ExtractionError("The PDF has no pages")
    except ExtractionError:
        raise
    except Exception as exc:  # pypdf raises many kinds on a damaged file
        logger.info("unreadable PDF: %s", exc)
        raise ExtractionError("The PDF cannot be read (damaged or not a PDF)") from None
    return reader


_HYPHEN_BREAK = re.compile(r"(\w)-\n(\w)")


def _extract_pdf(data: bytes) -> Extracted:
    reader = _open_pdf(data)
    sections = []
    for number, page in enumerate(reader.pages, start=1):
        try:
            raw = page.extract_text() or ""
        except Exception as exc:  # one damaged page does not lose the others
            logger.info("PDF page %d unreadable: %s", number, exc)
            continue
        text = _HYPHEN_BREAK.sub(r"\1\2", raw.replace("\x00", "").replace("\r\n", "\n"))
        if text.strip():
            sections.append(Section(None, number, text))
    if not sections:
        raise ExtractionError(
            "The PDF has no text to read (a scanned document needs OCR before uploading)"
        )
    return Extracted(sections, len(reader.pages))


# --- Markdown --------------------------------------------------------------------------

_MARKDOWN = MarkdownIt("commonmark").enable("table")
HEADING_SEPARATOR = " › "


def markdown_sections(source: str) -> list[Section]:
    """The text under each heading, as plain text, with the heading's path ("Tarjetas ›
    Comisiones") as its heading; text before the first heading has none."""
    sections: list[Section] = []
    path: list[tuple[int, str]] = []  # (level, title) of the headings above
    lines: list[str] = []
    line: list[str] = []
    tokens = _MARKDOWN.parse(source)

    def end_line() -> None:
        if line:
            lines.append("".join(line).strip())
            line.clear()

    def flush() -> None:
        end_line()
        text = "\n".join(lines).strip()
        text = re.sub(r"\n{3,}", "\n\n", text)
        if text:
            heading = HEADING_SEPARATOR.join(title for _, title in path) or None
            sections.append(Section(heading, None, text))
        lines.clear()

    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.type == "heading_open":
            flush()
            level = int(token.tag[1:])
            title = _inline_text(tokens[i + 1]).strip() if i + 1 < len(tokens) else ""
            while path and path[-1][0] >= level:
                path.pop()
            if title:
                path.append((level, title))
            i += 3  # heading_open, inline, heading_close
            continue
        if token.type == "inline":
            line.append(_inline_text(token))
        elif token.type in ("fence", "code_block"):
            end_line()
            lines.append(token.content.rstrip("\n"))
            lines.append("")
        elif token.type == "list_item_open":
            end_line()
            line.append("- ")
        elif token.type in ("th_close", "td_close"):
            line.append(" | ")
        elif token.type == "tr_close":
            lines.append("".join(line).strip().rstrip("|").strip())
            line.clear()
        elif token.type in ("paragraph_close", "table_close", "blockquote_close"):
            end_line()
            if not token.hidden:  # a tight list's paragraphs stay on their lines
                lines.append("")
        elif token.type == "html_block":
            end_line()
        i += 1
    flush()
    return sections


def _inline_text(token: Token) -> str:
    parts: list[str] = []
    for child in token.children or ():
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(child.content)  # its alt text
    return "".join(parts)
