"""Retrieval over the labelled set (tests/documents/data/retrieval: 12 short documents in
Spanish and English, 47 questions, each with the passage that answers it): the hybrid
search finds the answer in its top 5 for Spanish and English questions, better than either
list alone, and the right passage first for questions that share few words with it."""

from __future__ import annotations

import httpx

from app.core.enums import Role
from tests.documents.conftest import URL, questions, search, upload_dataset
from tests.factories import TenantWorld


async def _hits(
    client: httpx.AsyncClient, world: TenantWorld, names: dict[str, str], rank_by: str
) -> dict[str, list[bool]]:
    """Per language, whether each question's answer is in the top 5 ranked by `rank_by`
    ("score": the hybrid answer; "text_rank" or "vector_rank": that list alone)."""
    ids = {v: k for k, v in names.items()}
    hits: dict[str, list[bool]] = {"es": [], "en": []}
    for q in questions():
        items = await search(client, world, q.question, k=20)
        if rank_by != "score":
            items = sorted((i for i in items if i[rank_by]), key=lambda i: i[rank_by])
        top = items[:5]
        found = any(ids[i["document_id"]] == q.document and q.answer in i["text"] for i in top)
        hits[q.language].append(found)
    return hits


async def test_hybrid_search_finds_the_answers_in_both_languages(
    client: httpx.AsyncClient, tenant_a: TenantWorld
) -> None:
    names = await upload_dataset(client, tenant_a)
    hybrid = await _hits(client, tenant_a, names, "score")
    for language in ("es", "en"):
        found = hybrid[language]
        assert sum(found) / len(found) >= 0.9, (language, found)
    everything = hybrid["es"] + hybrid["en"]
    assert len(everything) >= 30
    for ranked in ("text_rank", "vector_rank"):
        alone = await _hits(client, tenant_a, names, ranked)
        assert sum(everything) >= sum(alone["es"] + alone["en"]), ranked


# (question, its document, a phrase of the passage that answers it)
FIRST = [
    # Few shared words: the vector list carries these.
    (
        "Pagué con tarjeta, ¿cuándo me devuelven la plata?",
        "politica-de-devoluciones-tienda-sol.md",
        "hasta siete días hábiles",
    ),
    (
        "Can I pause my gym membership while I travel?",
        "peak-fitness-membership-terms.md",
        "freeze your membership",
    ),
    # Shared words: the text list carries these.
    ("¿Cuánto pago de deducible si choco?", "seguro-vehicular-protege.md", "deducible del 10 %"),
    ("What time is check-out?", "harbor-view-hotel-faq.txt", "check-out is at 11 am"),
]


async def test_the_answering_passage_comes_first(
    client: httpx.AsyncClient, tenant_a: TenantWorld
) -> None:
    names = await upload_dataset(client, tenant_a)
    for question, document, phrase in FIRST:
        top = (await search(client, tenant_a, question, k=3))[0]
        assert top["document_id"] == names[document], question
        assert phrase in top["text"]
        assert top["filename"] == document


async def test_search_answers_the_documented_shape(
    client: httpx.AsyncClient, tenant_a: TenantWorld
) -> None:
    await upload_dataset(client, tenant_a)
    r = await client.get(
        f"{URL}/search",
        params={"q": "¿Cuántos días tengo para devolver un producto?", "k": 20},
        headers=tenant_a.headers(Role.viewer),
    )
    assert r.status_code == 200
    items = r.json()["items"]
    assert len(items) == 20
    assert set(items[0]) == {
        "document_id",
        "chunk_id",
        "filename",
        "heading",
        "page",
        "text",
        "score",
        "text_rank",
        "vector_rank",
    }
    headings = [i["heading"] for i in items[:5]]
    assert "Tiendas Sol: política de cambios y devoluciones › Plazos" in headings
    assert len({i["chunk_id"] for i in items}) == 20
