"""What a question is: the spec every question folder fills in, and the stored results a
dependent question builds on.

A question folder (`app/analyses/questions/qNN_slug/`) holds:

- `result.py`: the Pydantic model of its result (the API answer, the stored JSON and the
  JSON schema an LLM must fill);
- `local.py`: `compute(window, previous)`, the offline answer from the `Window`;
- `llm.py`: `section(window, previous)`, what the OpenAI-compatible engine adds to the
  common payload for this question (figures from the same statistics);
- `prompt.json`: the stored, versioned prompt of the OpenAI-compatible engine;
- `__init__.py`: `QUESTION`, the `Question` below tying them together.

The registry (`app/analyses/registry.py`) finds the folders; nothing else lists them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from app.analyses.window import Window

R = TypeVar("R", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class PostSample:
    """Which posts the OpenAI-compatible engine's payload carries for a question."""

    limit: int | None = None  # at most this many (None: the engine's own maximum)
    own_first: bool = False  # the brand's own posts first (else own and mentions in proportion)


@dataclass(frozen=True, eq=False)
class Question(Generic[R]):
    key: str  # "q7": what runs, jobs, prompts and insights are keyed by
    slug: str  # "sentiment": also accepted in URLs
    title: str  # "Sentiment"
    summary: str  # what it answers, one sentence (API documentation)
    result: type[R]
    local: Callable[[Window, Previous], R]
    llm: Callable[[Window, Previous], dict[str, Any]]
    package: str  # the folder's package, where its prompt.json is read from
    depends_on: tuple[Question[Any], ...] = ()  # questions whose stored results it reads
    sample: PostSample = PostSample()

    @property
    def number(self) -> int:
        return int(self.key[1:])


@dataclass
class Previous:
    """The stored results a dependent question builds on, validated with their models.

    `raw` is what was stored (sent as is to a language model); `missing` lists the keys
    of the inputs with no usable result, `unfit` those of them whose stored result no
    longer fits its model. `notes(lang)` says both in the result's language.
    """

    results: dict[str, BaseModel] = field(default_factory=dict)
    raw: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    unfit: list[str] = field(default_factory=list)
    inputs: tuple[str, ...] = ()

    @classmethod
    def load(
        cls, inputs: Sequence[Question[Any]], stored: Mapping[str, Mapping[str, Any] | None]
    ) -> Previous:
        """Validate the stored result of each of `inputs` (by key) with its model."""
        previous = cls(inputs=tuple(q.key for q in inputs))
        for question in inputs:
            raw = stored.get(question.key)
            if not raw:
                previous.missing.append(question.key)
                continue
            try:
                previous.results[question.key] = question.result.model_validate(dict(raw))
            except ValidationError:
                previous.missing.append(question.key)
                previous.unfit.append(question.key)
                continue
            previous.raw[question.key] = raw
        return previous

    def get(self, question: Question[R]) -> R | None:
        found = self.results.get(question.key)
        return found if isinstance(found, question.result) else None

    @property
    def used(self) -> list[str]:
        return [key for key in self.inputs if key in self.results]

    def notes(self, lang: str) -> list[str]:
        """What a dependent result says about its inputs, in `lang` ("es" or "en")."""
        said = _PREVIOUS_NOTES["es" if lang == "es" else "en"]
        notes = [said["unfit"].format(key=key) for key in self.unfit]
        if not self.results and self.inputs:
            notes.append(said["none"].format(keys=", ".join(self.inputs)))
        elif self.missing:
            notes.append(said["missing"].format(keys=", ".join(self.missing)))
        return notes


_PREVIOUS_NOTES = {
    "en": {
        "unfit": "The stored {key} result does not fit its current model; not used.",
        "missing": "No usable stored result for {keys}.",
        "none": "No stored results of {keys} to build on; run them first.",
    },
    "es": {
        "unfit": "El resultado guardado de {key} no encaja con su modelo actual; no se usa.",
        "missing": "Sin resultado guardado utilizable de {keys}.",
        "none": "No hay resultados guardados de {keys} en los que basarse; ejecútelos antes.",
    },
}
