"""Reading documents without the database: kinds, extraction (PDF pages, Markdown heading
paths, text encodings) and passages (sizes, boundaries, overlap, headings and pages)."""

from __future__ import annotations

import itertools

import pytest

from app.documents.chunking import MAX, OVERLAP, TARGET, chunk
from app.documents.extract import (
    DocumentKind,
    ExtractionError,
    Section,
    UnsupportedDocument,
    decode_text,
    extract,
    kind_of,
    markdown_sections,
    pdf_pages,
)
from tests.documents.pdf import pdf_bytes, wrap


@pytest.mark.parametrize(
    ("content_type", "filename", "kind"),
    [
        ("application/pdf", "tarifas.pdf", DocumentKind.pdf),
        ("application/octet-stream", "tarifas.PDF", DocumentKind.pdf),
        (None, "notas.md", DocumentKind.markdown),
        ("text/plain", "notas.md", DocumentKind.markdown),  # browsers send Markdown as text
        ("text/markdown; charset=utf-8", "notas.txt", DocumentKind.text),
        ("text/plain", "notas.txt", DocumentKind.text),
        ("text/plain", "LEEME", DocumentKind.text),
        ("text/markdown", None, DocumentKind.markdown),
        ("application/pdf", "scan", DocumentKind.pdf),
    ],
)
def test_kind_from_name_and_type(
    content_type: str | None, filename: str | None, kind: DocumentKind
) -> None:
    assert kind_of(content_type, filename) is kind


@pytest.mark.parametrize(
    ("content_type", "filename"),
    [
        ("image/png", "foto.png"),
        ("application/octet-stream", "programa.exe"),
        ("text/plain", "tarifas.pdf"),  # the type contradicts the name
        ("application/pdf", "notas.md"),
        ("application/vnd.ms-excel", "datos.xls"),
        (None, None),
    ],
)
def test_other_kinds_are_unsupported(content_type: str | None, filename: str | None) -> None:
    with pytest.raises(UnsupportedDocument):
        kind_of(content_type, filename)


def test_pdf_keeps_pages_and_accents() -> None:
    data = pdf_bytes(
        [
            ["Tarifario 2026", "La membresía anual cuesta 240 soles."],
            [],  # a page without text is skipped, its number kept by the others
            ["Página tres: el seguro de viaje cubre hasta 50.000 dólares."],
        ]
    )
    assert pdf_pages(data) == 3
    extracted = extract(data, DocumentKind.pdf)
    assert extracted.pages == 3
    assert [s.page for s in extracted.sections] == [1, 3]
    assert "membresía anual cuesta 240 soles" in extracted.sections[0].text
    assert "50.000 dólares" in extracted.sections[1].text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not a pdf at all", "not a PDF"),
        (b"%PDF-1.4\n garbage without objects", "cannot be read"),
        (pdf_bytes([[], []]), "no text"),
    ],
)
def test_unreadable_pdfs_say_why(data: bytes, message: str) -> None:
    with pytest.raises(ExtractionError, match=message):
        extract(data, DocumentKind.pdf)


def test_markdown_sections_carry_their_heading_path() -> None:
    sections = markdown_sections(
        "Intro before any heading.\n\n"
        "# Tarjetas\n\nTexto general.\n\n"
        "## Comisiones\n\n- Membresía: **240 soles**\n- Retiro: `12 soles`\n\n"
        "## Seguros\n\n| Seguro | Tope |\n|---|---|\n| Viaje | 50.000 |\n\n"
        "# Cuentas\n\n### Ahorro\n\nSin [mantenimiento](https://example.com).\n"
    )
    assert [(s.heading, s.text) for s in sections] == [
        (None, "Intro before any heading."),
        ("Tarjetas", "Texto general."),
        ("Tarjetas › Comisiones", "- Membresía: 240 soles\n- Retiro: 12 soles"),
        ("Tarjetas › Seguros", "Seguro | Tope\nViaje | 50.000"),
        ("Cuentas › Ahorro", "Sin mantenimiento."),
    ]


def test_text_encodings() -> None:
    assert decode_text("\ufeffañejo".encode()) == "añejo"
    assert decode_text("año".encode("cp1252")) == "año"
    with pytest.raises(ExtractionError, match="NUL"):
        decode_text(b"a\x00b")
    with pytest.raises(ExtractionError, match="no text"):
        extract(b"   \n\n ", DocumentKind.text)


def _sentences(n: int, words: int = 10) -> str:
    return " ".join(
        f"La frase {i} habla de la tarjeta "
        + " ".join(f"palabra{i}x{j}" for j in range(words))
        + "."
        for i in range(n)
    )


def test_passages_have_the_target_size_and_overlap() -> None:
    paragraphs = [_sentences(4) for _ in range(12)]  # of ~600 characters, sentences of ~150
    passages = chunk([Section(None, None, "\n\n".join(paragraphs))])
    assert len(passages) > 5
    for passage in passages[:-1]:
        assert TARGET * 0.7 <= len(passage.text) <= MAX + 2, len(passage.text)
    for before, after in itertools.pairwise(passages):
        tail = before.text.rsplit(". ", 1)[-1]
        assert len(tail) <= OVERLAP
        assert after.text.startswith(tail), (before.text[-120:], after.text[:120])
    # Every sentence is in some passage.
    text = "\n".join(p.text for p in passages)
    assert all(f"La frase {i} " in text for i in range(4))


def test_a_long_paragraph_is_cut_at_sentences_and_a_long_sentence_between_words() -> None:
    long_sentence = " ".join(f"w{i}" for i in range(900))  # ~4,500 characters, no period
    passages = chunk([Section(None, None, _sentences(30) + " " + long_sentence)])
    assert all(len(p.text) <= MAX + 2 for p in passages)
    assert all(not p.text.startswith(" ") for p in passages)
    joined = " ".join(p.text for p in passages)
    assert "w0 " in joined
    assert "w899" in joined
    # Cuts fall between sentences where there are sentences.
    assert all(p.text.endswith(".") for p in passages[:3])


def test_passages_keep_headings_and_pages() -> None:
    sections = [
        Section("Tarjetas › Comisiones", None, "Membresía de 240 soles."),
        Section("Tarjetas › Seguros", None, "Seguro de viaje incluido."),
        Section(None, 1, _sentences(8)),
        Section(None, 2, _sentences(8)),
    ]
    passages = chunk(sections)
    assert passages[0].heading == "Tarjetas › Comisiones"
    assert passages[0].text == "Membresía de 240 soles."  # short, never glued to the next
    assert passages[1].heading == "Tarjetas › Seguros"
    assert passages[0].for_embedding() == "Tarjetas › Comisiones\nMembresía de 240 soles."
    pages = [p.page for p in passages[2:]]
    assert pages[0] == 1
    assert pages[-1] == 2
    assert pages == sorted(pages)


def test_pdf_lines_become_running_text() -> None:
    paragraph = "El pago mínimo es el cinco por ciento de la deuda más los intereses. " * 6
    data = pdf_bytes([wrap(paragraph, 60)])
    passages = chunk(extract(data, DocumentKind.pdf).sections)
    assert len(passages) == 1
    assert "\n" not in passages[0].text
    assert passages[0].page == 1
