"""The registry is the only list of questions: everything else derives from it."""

from __future__ import annotations

import ast
import importlib
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from app.ai.prompts import parse_prompt
from app.analyses import registry
from app.analyses.prompts import default_prompts, shared_rules
from app.analyses.schemas import JobRequest
from app.core.errors import NotFound

APP = Path(__file__).resolve().parents[2] / "app"
QUESTIONS_DIR = APP / "analyses" / "questions"


def test_questions_come_from_their_folders() -> None:
    folders = sorted(p.name for p in QUESTIONS_DIR.iterdir() if p.is_dir() and p.name[0] == "q")
    assert [q.package.rsplit(".", 1)[-1] for q in registry.QUESTIONS] == sorted(
        folders, key=lambda name: int(name[1:].split("_")[0])
    )
    for question in registry.QUESTIONS:
        folder = QUESTIONS_DIR / question.package.rsplit(".", 1)[-1]
        assert {"__init__.py", "result.py", "local.py", "llm.py", "prompt.json"} <= {
            p.name for p in folder.iterdir()
        }
    assert list(registry.BY_KEY) == list(registry.KEYS)
    assert len(registry.BY_SLUG) == len(registry.KEYS)
    assert registry.resolve(registry.QUESTIONS[2].slug) is registry.QUESTIONS[2]
    # Names are taken as the OpenAPI document lists them (registry.NAMES), nothing else.
    assert (*registry.KEYS, *registry.BY_SLUG) == registry.NAMES
    with pytest.raises(NotFound):
        registry.resolve(registry.KEYS[0].upper())


def test_execution_levels_follow_the_dependencies() -> None:
    levels = registry.execution_levels(list(registry.KEYS))
    assert sorted(q.key for level in levels for q in level) == sorted(registry.KEYS)
    placed: set[str] = set()
    for level in levels:
        for question in level:
            assert {d.key for d in question.depends_on} <= placed
        placed |= {q.key for q in level}
    assert [q.key for q in levels[0]] == [q.key for q in registry.QUESTIONS if not q.depends_on]
    dependent = next(q for q in registry.QUESTIONS if q.depends_on)
    alone = registry.execution_levels([dependent.key])
    assert [[q.key for q in level] for level in alone] == [[dependent.key]]  # reads stored runs


def test_request_limits_and_prompts_derive_from_the_registry() -> None:
    assert JobRequest.model_fields["questions"].metadata  # bounded by the registry
    JobRequest(questions=list(registry.KEYS))
    with pytest.raises(ValueError, match="questions"):
        JobRequest(questions=[*registry.KEYS, registry.KEYS[0]])
    assert list(default_prompts()) == list(registry.KEYS)


def _literal_keys(path: Path) -> list[tuple[int, str]]:
    """(line, text) of every string literal in `path` that names a question key,
    docstrings left out (prose may mention Q9)."""
    keys = set(registry.KEYS)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
        ):
            words = set(node.value.replace(".", " ").replace(",", " ").split())
            if words & keys:
                found.append((node.lineno, node.value))
    return found


def test_no_question_key_is_written_outside_its_own_folder() -> None:
    offenders: dict[str, list[tuple[int, str]]] = {}
    for path in sorted(APP.rglob("*.py")):
        relative = path.relative_to(APP)
        own_definition = (
            relative.parts[:2] == ("analyses", "questions")
            and len(relative.parts) == 4
            and relative.name == "__init__.py"
        )
        if own_definition:
            continue
        if found := _literal_keys(path):
            offenders[str(relative)] = found
    assert offenders == {}, "question keys written outside the registry's folders"


def test_a_new_question_is_a_new_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What adding Q11 takes: a folder with its files; the registry finds it."""
    package = tmp_path / "extra_questions"
    folder = package / "q11_mood"
    folder.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    source = QUESTIONS_DIR / registry.QUESTIONS[0].package.rsplit(".", 1)[-1]
    for name in ("result.py", "local.py", "llm.py"):
        text = (source / name).read_text()
        (folder / name).write_text(
            text.replace(registry.QUESTIONS[0].package, "extra_questions.q11_mood")
        )
    init = (source / "__init__.py").read_text()
    init = init.replace(registry.QUESTIONS[0].package, "extra_questions.q11_mood")
    init = init.replace(f'key="{registry.KEYS[0]}"', 'key="q11"').replace(
        f'slug="{registry.QUESTIONS[0].slug}"', 'slug="mood"'
    )
    (folder / "__init__.py").write_text(init)
    prompt: dict[str, Any] = json.loads((source / "prompt.json").read_text())
    prompt.update(question="q11", version="q11.v1")
    (folder / "prompt.json").write_text(json.dumps(prompt))
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        found = registry.discover(importlib.import_module("extra_questions"))
    finally:
        for name in [m for m in sys.modules if m.startswith("extra_questions")]:
            del sys.modules[name]
    assert [(q.key, q.slug) for q in found] == [("q11", "mood")]
    parsed = parse_prompt(prompt, key="q11", rules=shared_rules(), origin="q11_mood/prompt.json")
    assert parsed.version == "q11.v1"
