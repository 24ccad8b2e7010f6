"""The questions: found in app/analyses/questions/, the only list of them.

Every folder `qNN_slug/` there whose `__init__.py` defines `QUESTION` is a question;
keys, slugs, titles, result models, dependencies and the order in which a job runs them
all derive from those objects. Adding a question is adding a folder (see
app/analyses/question.py).
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from types import ModuleType
from typing import Any

from app.analyses import questions as _questions_package
from app.analyses.question import Question
from app.core.errors import NotFound

_FOLDER = re.compile(r"^q\d+_[a-z0-9_]+$")


def discover(package: ModuleType) -> tuple[Question[Any], ...]:
    """The questions of `package`'s `qNN_slug` folders, in number order; checked for
    repeated keys or slugs and for dependencies on anything that is not one of them."""
    found: list[Question[Any]] = []
    for info in pkgutil.iter_modules(package.__path__):
        if not (info.ispkg and _FOLDER.match(info.name)):
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        question = getattr(module, "QUESTION", None)
        if not isinstance(question, Question):
            raise RuntimeError(f"{module.__name__} defines no QUESTION")
        if question.key != f"q{int(info.name[1:].split('_')[0])}":
            raise RuntimeError(f"{module.__name__}: key {question.key!r} does not match")
        found.append(question)
    found.sort(key=lambda q: q.number)
    keys = [q.key for q in found]
    slugs = [q.slug for q in found]
    if len(set(keys)) != len(keys) or len(set(slugs)) != len(slugs):
        raise RuntimeError(f"question keys or slugs repeat: {keys}, {slugs}")
    for question in found:
        for needed in question.depends_on:
            if needed not in found:
                raise RuntimeError(f"{question.key} depends on {needed.key}, not a question")
    return tuple(found)


QUESTIONS: tuple[Question[Any], ...] = discover(_questions_package)
BY_KEY: dict[str, Question[Any]] = {q.key: q for q in QUESTIONS}
BY_SLUG: dict[str, Question[Any]] = {q.slug: q for q in QUESTIONS}
KEYS: tuple[str, ...] = tuple(BY_KEY)
KEY_RANGE = f"{KEYS[0]}..{KEYS[-1]}"  # for messages: "q1..q10"
# What names a question in a request: its key or its slug, as written (the OpenAPI
# document lists them).
NAMES: tuple[str, ...] = KEYS + tuple(BY_SLUG)


def resolve(name: str) -> Question[Any]:
    """`q3` or `topics` -> the question; 404 for anything else."""
    question = BY_KEY.get(name) or BY_SLUG.get(name)
    if question is None:
        choices = ", ".join(f"{q.key} ({q.slug})" for q in QUESTIONS)
        raise NotFound(f"Unknown question {name!r}; use one of: {choices}")
    return question


def is_known(name: str) -> bool:
    return name in BY_KEY or name in BY_SLUG


def execution_levels(keys: list[str]) -> list[list[Question[Any]]]:
    """The requested questions grouped so each level only reads what earlier levels (or
    earlier runs) stored: questions without dependencies first, run concurrently; then
    the questions that read them, and so on."""
    wanted = {BY_KEY[k] for k in keys}
    levels: list[list[Question[Any]]] = []
    placed: set[str] = set()
    remaining = sorted(wanted, key=lambda q: q.number)
    while remaining:
        ready = [
            q for q in remaining if all(d.key in placed or d not in wanted for d in q.depends_on)
        ]
        if not ready:
            raise RuntimeError("the questions' dependencies form a cycle")
        levels.append(ready)
        placed |= {q.key for q in ready}
        remaining = [q for q in remaining if q.key not in placed]
    return levels


def inputs_of(questions: list[Question[Any]]) -> list[Question[Any]]:
    """The questions whose stored results `questions` read, in registry order."""
    needed = {d.key for q in questions for d in q.depends_on}
    return [q for q in QUESTIONS if q.key in needed]
