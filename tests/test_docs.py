"""Swagger UI (/docs) and ReDoc (/redoc) work with no network (issue 11, item 12): every
file they load is served by the API itself (from the fastapi-offline package), none comes
from a CDN.

- the pages reference only same-origin assets, and each answers 200 with its type;
- a real browser (Debian's Chromium, driven by Playwright; never `playwright install`,
  which downloads a browser build) renders Swagger UI from a live server with every
  request to another host blocked and recorded: the operations and the analyses tag's
  description of each question show, and no request left the server's origin.

Without Chromium the browser test is skipped on a developer's machine (`apt-get install
chromium` to run it) and fails in CI (CI=true), where .ci/run installs it.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from app.analyses import registry
from app.core.migrations import upgrade
from tests.test_fuzz import _free_port
from tests.test_migrations import _admin, _with_database

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("PIXELY_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
_REFERENCE = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|url\s*:\s*["']([^"']+)["']""")
_TYPES = {".js": "javascript", ".css": "text/css", ".png": "image/png", ".ico": "image/"}


def _references(html: str) -> list[str]:
    """Every URL the page loads: `src=`/`href=` attributes and the `url:` it fetches."""
    return [a or b for a, b in _REFERENCE.findall(html)]


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_the_docs_pages_load_only_their_own_assets(
    client: httpx.AsyncClient, page: str
) -> None:
    r = await client.get(page)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/html")
    references = _references(r.text)
    assert references, r.text
    assets = [ref for ref in references if ref != "/openapi.json"]
    assert any(ref.endswith(".js") for ref in assets), references
    for reference in references:
        url = urlsplit(urljoin(f"http://test{page}", reference))
        assert (url.scheme, url.netloc) == ("http", "test"), (page, reference)
        assert not reference.startswith("//"), (page, reference)
    for asset in assets:
        answer = await client.get(asset)
        assert answer.status_code == 200, (asset, answer.status_code)
        suffix = Path(urlsplit(asset).path).suffix
        assert _TYPES[suffix] in answer.headers["content-type"], (asset, answer.headers)
        assert answer.content, asset
    assert "cdn" not in r.text.lower()
    assert "fonts.googleapis" not in r.text


async def test_swagger_ui_points_at_the_document_and_the_oauth2_redirect(
    client: httpx.AsyncClient,
) -> None:
    html = (await client.get("/docs")).text
    assert "'/openapi.json'" in html or '"/openapi.json"' in html
    assert "/docs/oauth2-redirect" in html
    redirect = await client.get("/docs/oauth2-redirect")
    assert redirect.status_code == 200
    assert redirect.headers["content-type"].startswith("text/html")
    assert "oauth2" in redirect.text.lower()
    unknown = await client.get("/docs/assets/no-such-file.js")
    assert unknown.status_code == 404
    assert unknown.headers["content-type"].startswith("application/problem+json")


def _chromium() -> str | None:
    """Debian's Chromium, or None when absent (a failure in CI, where it must be)."""
    found = CHROMIUM if os.access(CHROMIUM, os.X_OK) else shutil.which("chromium")
    if found:
        return found
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"Chromium is missing at {CHROMIUM}: .ci/run installs it (apt-get)")
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium) to render /docs")
    return None


@pytest.fixture(scope="module")
def docs_server(postgres_url: str) -> Iterator[str]:
    """`uvicorn app.main:create_app` on a database of its own; its base URL."""
    name = f"docs_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(postgres_url, f'CREATE DATABASE "{name}"'))
    url = _with_database(postgres_url, name)
    upgrade(url)
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "LOG_LEVEL": "ERROR",
        "SEED_DEMO": "false",
        "ENVIRONMENT": "test",
        "RUN_WORKER_IN_PROCESS": "false",
        "OPENAI_API_KEY": "",
        "OPENAI_BASE_URL": "",
    }
    command = [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory"]
    command += ["--port", str(port), "--log-level", "error"]
    proc = subprocess.Popen(command, cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            pytest.fail("the server did not start")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        asyncio.run(_admin(postgres_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _log_in_and_call_me(page: Any, base: str) -> None:
    """Swagger's Authorize (the OAuth2 password form, /api/v1/auth/token) and "Try it
    out" on GET /api/v1/auth/me, as an analyst does, under the page's security policy."""
    email, password = f"docs-{uuid.uuid4().hex[:8]}@example.com", "docs-password-1"
    body = {"tenant_name": "Docs", "email": email, "password": password, "full_name": "D"}
    httpx.post(f"{base}/api/v1/auth/register", json=body, timeout=30).raise_for_status()
    page.click("button.authorize")
    dialog = page.locator(".dialog-ux .modal-ux")
    dialog.locator("#oauth_username").fill(email)
    dialog.locator("#oauth_password").fill(password)
    dialog.locator("button.modal-btn.authorize").first.click()
    dialog.get_by_text("Authorized", exact=True).wait_for(timeout=15_000)
    dialog.locator("button.btn-done").first.click()
    operation = page.locator(".opblock-get").filter(
        has=page.locator('[data-path="/api/v1/auth/me"]')
    )
    operation.locator(".opblock-summary").first.click()
    operation.locator("button.try-out__btn").click()
    operation.locator("button.execute").click()
    status = operation.locator(".live-responses-table tr.response .response-col_status").first
    status.wait_for(timeout=15_000)
    assert status.inner_text().strip().startswith("200"), status.inner_text()
    assert email in operation.locator(".live-responses-table").inner_text()


def test_swagger_ui_renders_in_a_browser_with_no_network(docs_server: str) -> None:
    """The page as an analyst opens it, offline: every request to another host is
    aborted and recorded; Swagger UI must render the operations and the analyses tag
    (each question's key, slug and title) from what the API serves alone."""
    executable = _chromium()
    from playwright.sync_api import Route, sync_playwright

    origin = urlsplit(docs_server).netloc
    elsewhere: list[str] = []
    failed: list[str] = []
    errors: list[str] = []
    console: list[str] = []

    def only_the_api(route: Route) -> None:
        if urlsplit(route.request.url).netloc == origin:
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort("internetdisconnected")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(service_workers="block")
            context.route("**/*", only_the_api)
            page = context.new_page()
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("requestfailed", lambda r: failed.append(f"{r.url} {r.failure}"))
            page.on("console", lambda m: m.type == "error" and console.append(m.text))
            response = page.goto(f"{docs_server}/docs", wait_until="networkidle")
            assert response is not None
            assert response.status == 200
            page.wait_for_selector(".opblock", timeout=30_000)
            assert page.locator(".opblock").count() > 30
            analyses = page.locator("#operations-tag-analyses").locator("xpath=..")
            description = analyses.inner_text(timeout=10_000)
            for question in registry.QUESTIONS:
                for text in (question.key, question.slug, question.title):
                    assert text in description, (text, description[:2000])
            _log_in_and_call_me(page, docs_server)
            page.goto(f"{docs_server}/redoc", wait_until="networkidle")
            page.wait_for_selector("[role=search], .api-content", timeout=30_000)
            assert "Pixely API" in page.content()
        finally:
            browser.close()
    assert not elsewhere, f"requests to other hosts: {elsewhere}"
    # Refused by the pages' Content-Security-Policy: never sent (ReDoc's built-in logo).
    refused = [f for f in failed if f.endswith(" csp")]
    assert all(urlsplit(f).netloc != origin for f in refused), refused
    assert not set(failed) - set(refused), f"failed requests: {failed}"
    assert not errors, f"errors in the page: {errors}"
    console = [m for m in console if "Content Security Policy" not in m]
    assert not console, f"console errors: {console}"
