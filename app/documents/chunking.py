"""Passages cut from a document's sections, the unit of retrieval.

A passage holds about `TARGET` characters (at most `MAX`), ends on a paragraph or, when a
paragraph is longer than that, a sentence boundary (a sentence longer than `MAX` is cut
between words), and begins with the last sentence of the one before it (up to `OVERLAP`
characters) so that an answer spanning the cut is whole in one of them. A passage never
crosses a heading (Markdown); in a PDF it may run on to the next page and carries the page
its own text starts on (not its overlap's). Short sections stay short passages: a
heading's text is not glued to the next heading's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from app.documents.extract import Section

TARGET = 1000
MAX = 1200
OVERLAP = 200
# A passage shorter than this is not closed at a paragraph's end if the next fits.
MIN = 800

_PARAGRAPHS = re.compile(r"\n\s*\n")
# A sentence ends at . ! ? … (and closing quotes or brackets) before whitespace.
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'»”)\]]*\s+")
_SPACES = re.compile(r"[ \t\f\v]+")


@dataclass(frozen=True, slots=True)
class Chunk:
    heading: str | None
    page: int | None
    text: str

    def for_embedding(self) -> str:
        """What is embedded: the heading says what the text is about."""
        return f"{self.heading}\n{self.text}" if self.heading else self.text


@dataclass(frozen=True, slots=True)
class _Unit:
    """A paragraph, or a piece of one, with the page it is on."""

    text: str
    page: int | None
    paragraph_end: bool  # the last piece of its paragraph
    overlap: bool = False  # repeated from the passage before


def chunk(sections: Iterable[Section]) -> list[Chunk]:
    passages: list[Chunk] = []
    run: list[Section] = []
    for section in sections:
        # PDF pages have no headings: consecutive sections under one heading are one text.
        if run and section.heading != run[-1].heading:
            passages.extend(_chunk_run(run))
            run = []
        run.append(section)
    if run:
        passages.extend(_chunk_run(run))
    return passages


def _chunk_run(run: list[Section]) -> Iterator[Chunk]:
    heading = run[0].heading
    current: list[_Unit] = []
    size = 0
    for unit in _units(run):
        extra = len(unit.text) + (2 if current else 0)
        if current and size + extra > MAX:
            yield _passage(heading, current)
            current = _overlap(current)
            size = _size(current)
            extra = len(unit.text) + (2 if current else 0)
        current.append(unit)
        size += extra
        if size >= TARGET or (size >= MIN and unit.paragraph_end):
            yield _passage(heading, current)
            current = _overlap(current)
            size = _size(current)
    if current and not _only_overlap(current):
        yield _passage(heading, current)


def _units(run: list[Section]) -> Iterator[_Unit]:
    for section in run:
        for paragraph in _PARAGRAPHS.split(section.text):
            text = _clean(paragraph)
            if not text:
                continue
            if len(text) <= MAX - OVERLAP:
                yield _Unit(text, section.page, True)
                continue
            pieces = list(_pieces(text))
            for i, piece in enumerate(pieces):
                yield _Unit(piece, section.page, i == len(pieces) - 1)


def _clean(paragraph: str) -> str:
    lines = [_SPACES.sub(" ", line).strip() for line in paragraph.splitlines()]
    # A list or a table keeps its lines; running text (a PDF's lines) is one line.
    if sum(1 for line in lines if line.startswith(("- ", "* ", "|"))) >= 2:
        return "\n".join(line for line in lines if line)
    return " ".join(line for line in lines if line)


def _pieces(text: str) -> Iterator[str]:
    """A long paragraph as sentences (each at most MAX - OVERLAP characters: longer ones
    are cut between words), grouped up to about a third of a passage."""
    group = ""
    for sentence in _sentences(text):
        if group and len(group) + 1 + len(sentence) > TARGET // 3:
            yield group
            group = ""
        group = f"{group} {sentence}" if group else sentence
    if group:
        yield group


def _sentences(text: str) -> Iterator[str]:
    limit = MAX - OVERLAP
    for sentence in _SENTENCE_END.split(text):
        sentence = sentence.strip()
        while len(sentence) > limit:
            cut = sentence.rfind(" ", 0, limit)
            cut = cut if cut > limit // 2 else limit
            yield sentence[:cut].strip()
            sentence = sentence[cut:].strip()
        if sentence:
            yield sentence


def _overlap(units: list[_Unit]) -> list[_Unit]:
    """The start of the next passage: the last sentence of this one, if short enough."""
    last = units[-1]
    sentences = list(_sentences(last.text))
    tail = sentences[-1] if sentences else ""
    if not tail or len(tail) > OVERLAP or tail == _joined(units):
        return []
    return [_Unit(tail, last.page, False, overlap=True)]


def _only_overlap(units: list[_Unit]) -> bool:
    return all(u.overlap for u in units)


def _size(units: list[_Unit]) -> int:
    return len(_joined(units))


def _joined(units: list[_Unit]) -> str:
    return "\n\n".join(u.text for u in units)


def _passage(heading: str | None, units: list[_Unit]) -> Chunk:
    # Its page: where its own text starts (the overlap may be the previous page's end).
    own = next((u for u in units if not u.overlap), units[0])
    return Chunk(heading=heading, page=own.page, text=_joined(units))
