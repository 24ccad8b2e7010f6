"""Helpers of the documents tests: uploads through the API, the labelled retrieval set,
and the app's one embedder (the real offline model, loaded once per test session)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.core.enums import Role
from app.documents.embedder import Embedder
from tests.factories import TenantWorld

DATA = Path(__file__).parent / "data" / "retrieval"
URL = "/api/v1/documents"
MEDIA = {".md": "text/markdown", ".txt": "text/plain", ".pdf": "application/pdf"}


@dataclass(frozen=True)
class Question:
    question: str
    language: str
    document: str  # its file name
    answer: str  # a phrase of the passage that answers it


def questions() -> list[Question]:
    raw = json.loads((DATA / "questions.json").read_text())
    return [Question(**q) for q in raw["questions"]]


def dataset_files() -> list[Path]:
    return sorted(p for p in DATA.iterdir() if p.suffix in (".md", ".txt"))


def language_of(path: Path) -> str:
    """The labelled documents' language: the Spanish ones are named in Spanish."""
    spanish = ("banco", "tarjeta", "politica", "seguro", "agencias")
    return "es" if path.name.startswith(spanish) else "en"


async def upload(
    client: httpx.AsyncClient,
    world: TenantWorld,
    filename: str,
    content: bytes | str,
    content_type: str | None = None,
    *,
    role: Role = Role.analyst,
    headers: dict[str, str] | None = None,
    **form: Any,
) -> httpx.Response:
    data = content.encode() if isinstance(content, str) else content
    media = content_type or MEDIA.get(Path(filename).suffix, "application/octet-stream")
    fields = {k: str(v) for k, v in form.items() if v is not None}
    return await client.post(
        URL,
        files={"file": (filename, data, media)},
        data=fields,
        headers={**world.headers(role), **(headers or {})},
    )


async def upload_ok(
    client: httpx.AsyncClient, world: TenantWorld, filename: str, content: bytes | str, **form: Any
) -> dict[str, Any]:
    r = await upload(client, world, filename, content, **form)
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


async def upload_dataset(client: httpx.AsyncClient, world: TenantWorld) -> dict[str, str]:
    """Every labelled document, in its language; {file name: document id}."""
    ids = {}
    for path in dataset_files():
        body = await upload_ok(
            client, world, path.name, path.read_bytes(), language=language_of(path)
        )
        ids[path.name] = body["id"]
    return ids


async def search(
    client: httpx.AsyncClient, world: TenantWorld, q: str, **params: Any
) -> list[dict[str, Any]]:
    r = await client.get(
        f"{URL}/search", params={"q": q, **params}, headers=world.headers(Role.viewer)
    )
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


@pytest.fixture
def embedder(app: Any) -> Embedder:
    """The app's embedder: one per test session (the app is), loaded on first use."""
    found: Embedder = app.state.embedder
    return found
