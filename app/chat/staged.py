"""A staged agent's flow on the local engine: slot filling, one field at a time.

The first message of a conversation opens it: the agent greets and asks for the first
missing required field of stage 1. From then on each reply is taken as the value of the
field just asked, validated against the stage's output schema (type, format, enum,
bounds, pattern); an invalid reply is asked again with the reason. A stage completes when
all its required fields hold valid values: its output is stored and the next stage's
first question follows. Progress is the share of all stages' required fields filled.

Pure functions over plain data (no I/O): the conversation's `state` and `outputs` go in,
their new values and the agent's text come out.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from app.agents.spec import StageSpec

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_URI = re.compile(r"^(https?://)?[\w.-]+\.[a-z]{2,}(/\S*)?$", re.IGNORECASE)
_YES = {"si", "sí", "yes", "y", "true", "claro", "correcto", "ok", "vale", "of course"}
_NO = {"no", "false", "n", "nope", "ninguno", "ninguna"}

SAID: dict[str, dict[str, str]] = {
    "es": {
        "hello": "¡Hola! Soy {agent}. Vamos a completar {stages} etapas; empezamos por «{stage}».",
        "stage_done": "Etapa {number} («{stage}») completa.",
        "next_stage": "Seguimos con la etapa {number}: «{stage}».",
        "all_done": "¡Listo! Completamos las {stages} etapas. Gracias.",
        "already_done": "Esta conversación ya está completa: las {stages} etapas tienen sus datos.",
        "again": "No pude tomar esa respuesta: {reason}",
        "empty": "la respuesta está vacía",
        "integer": "espero un número entero",
        "number": "espero un número",
        "boolean": "responda sí o no",
        "email": "espero un correo electrónico (nombre@dominio.com)",
        "date": "espero una fecha (AAAA-MM-DD o DD/MM/AAAA)",
        "uri": "espero una dirección web (https://...)",
        "enum": "elija una de estas opciones: {options}",
        "minimum": "el mínimo es {limit}",
        "maximum": "el máximo es {limit}",
        "min_length": "escriba al menos {limit} caracteres",
        "max_length": "escriba como mucho {limit} caracteres",
        "pattern": "el formato no es el esperado",
        "hint_date": " (AAAA-MM-DD)",
        "hint_email": "",
        "hint_enum": " ({options})",
    },
    "en": {
        "hello": "Hello! I am {agent}. We will go through {stages} stages, starting with "
        "'{stage}'.",
        "stage_done": "Stage {number} ('{stage}') is complete.",
        "next_stage": "Next, stage {number}: '{stage}'.",
        "all_done": "Done! All {stages} stages are complete. Thank you.",
        "already_done": "This conversation is already complete: all {stages} stages have "
        "their data.",
        "again": "I could not take that answer: {reason}",
        "empty": "the answer is empty",
        "integer": "I expect a whole number",
        "number": "I expect a number",
        "boolean": "answer yes or no",
        "email": "I expect an email address (name@domain.com)",
        "date": "I expect a date (YYYY-MM-DD or DD/MM/YYYY)",
        "uri": "I expect a web address (https://...)",
        "enum": "choose one of: {options}",
        "minimum": "the minimum is {limit}",
        "maximum": "the maximum is {limit}",
        "min_length": "write at least {limit} characters",
        "max_length": "write at most {limit} characters",
        "pattern": "the format is not the expected one",
        "hint_date": " (YYYY-MM-DD)",
        "hint_email": "",
        "hint_enum": " ({options})",
    },
}


@dataclass
class Step:
    """What one turn of the flow produced."""

    text: str
    stage_number: int
    state: dict[str, Any]
    outputs: dict[str, Any]
    progress: int
    is_complete: bool
    output: dict[str, Any] | None = None  # the stage output completed by this turn, if any
    errors: list[str] = field(default_factory=list)  # why the reply was not taken


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def required(stage: StageSpec) -> list[str]:
    schema = stage.output_schema
    props = schema.get("properties", {})
    return [name for name in schema.get("required", []) if name in props]


def question(stage: StageSpec, name: str, lang: str) -> str:
    """The stage's question for `name`, else its description, with a format hint."""
    prop = stage.output_schema.get("properties", {}).get(name, {})
    text = stage.questions.get(name) or prop.get("description") or name
    said = SAID[lang]
    if prop.get("enum"):
        hint = said["hint_enum"].format(options=", ".join(str(o) for o in prop["enum"]))
    elif prop.get("format") == "date":
        hint = said["hint_date"]
    else:
        hint = ""
    text = text.rstrip()
    if hint and text.endswith("?"):
        return text[:-1] + hint + "?"
    return text + hint


def validate(prop: dict[str, Any], reply: str, lang: str) -> tuple[Any, str | None]:
    """(value, None) when `reply` is a valid value of the property, else (None, reason)."""
    said = SAID[lang]
    text = reply.strip()
    if not text:
        return None, said["empty"]
    kind = prop.get("type", "string")
    value: Any
    if kind == "integer":
        cleaned = text.replace(".", "").replace(",", "").replace(" ", "")
        if not re.fullmatch(r"[-+]?\d+", cleaned):
            return None, said["integer"]
        value = int(cleaned)
    elif kind == "number":
        cleaned = text.replace(" ", "")
        if "," in cleaned and "." not in cleaned:
            cleaned = cleaned.replace(",", ".")
        try:
            value = float(cleaned)
        except ValueError:
            return None, said["number"]
    elif kind == "boolean":
        folded = _fold(text).rstrip(".!")
        if folded in {_fold(w) for w in _YES}:
            value = True
        elif folded in _NO:
            value = False
        else:
            return None, said["boolean"]
    else:
        value, reason = _string(prop, text, lang)
        if reason:
            return None, reason
    if kind in ("integer", "number"):
        if "minimum" in prop and value < prop["minimum"]:
            return None, said["minimum"].format(limit=prop["minimum"])
        if "maximum" in prop and value > prop["maximum"]:
            return None, said["maximum"].format(limit=prop["maximum"])
    if prop.get("enum") and kind != "string" and value not in prop["enum"]:
        options = ", ".join(str(o) for o in prop["enum"])
        return None, said["enum"].format(options=options)
    return value, None


def _string(prop: dict[str, Any], text: str, lang: str) -> tuple[Any, str | None]:
    said = SAID[lang]
    if prop.get("enum"):
        by_fold = {_fold(str(o)): o for o in prop["enum"]}
        found = by_fold.get(_fold(text).rstrip("."))
        if found is None:
            options = ", ".join(str(o) for o in prop["enum"])
            return None, said["enum"].format(options=options)
        return found, None
    fmt = prop.get("format")
    if fmt == "email":
        if not _EMAIL.match(text):
            return None, said["email"]
        text = text.lower()
    elif fmt == "date":
        parsed = _date(text)
        if parsed is None:
            return None, said["date"]
        text = parsed.isoformat()
    elif fmt == "uri":
        if not _URI.match(text):
            return None, said["uri"]
        if not text.lower().startswith(("http://", "https://")):
            text = "https://" + text
    if "minLength" in prop and len(text) < prop["minLength"]:
        return None, said["min_length"].format(limit=prop["minLength"])
    if "maxLength" in prop and len(text) > prop["maxLength"]:
        return None, said["max_length"].format(limit=prop["maxLength"])
    if "pattern" in prop and not re.search(prop["pattern"], text):
        return None, said["pattern"]
    return text, None


def _date(text: str) -> date | None:
    text = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text)
        found = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", text)
        if found:
            day, month, year = (int(g) for g in found.groups())
            return date(year, month, day)
    except ValueError:
        return None
    return None


def progress(
    stages: tuple[StageSpec, ...], outputs: dict[str, Any], values: dict[str, Any], current: int
) -> int:
    """Share (0-100) of all stages' required fields that hold a value."""
    total = sum(len(required(s)) for s in stages)
    if total == 0:
        return 100 if stages else 0
    filled = 0
    for stage in stages:
        have = outputs.get(str(stage.position))
        if have is None and stage.position == current:
            have = values
        filled += sum(1 for name in required(stage) if have and name in have)
    return round(100 * filled / total)


def _next_missing(stage: StageSpec, values: dict[str, Any]) -> str | None:
    return next((name for name in required(stage) if name not in values), None)


def step(
    stages: tuple[StageSpec, ...],
    state: dict[str, Any],
    outputs: dict[str, Any],
    stage_number: int,
    reply: str,
    *,
    lang: str,
    agent_name: str,
) -> Step:
    """One turn: open the flow, or take `reply` as the value of the field just asked."""
    said = SAID["es" if lang == "es" else "en"]
    lang = "es" if lang == "es" else "en"
    state = dict(state)
    outputs = dict(outputs)
    values: dict[str, Any] = dict(state.get("values") or {})
    by_number = {s.position: s for s in stages}
    stage = by_number.get(stage_number) or stages[0]
    last = stages[-1].position
    if state.get("complete"):
        return Step(
            said["already_done"].format(stages=len(stages)),
            stage.position,
            state,
            outputs,
            100,
            True,
        )
    lines: list[str] = []
    errors: list[str] = []
    completed: dict[str, Any] | None = None
    asking = state.get("asking")
    if asking is None:  # the conversation's first message opens it
        lines.append(said["hello"].format(agent=agent_name, stages=len(stages), stage=stage.name))
    else:
        prop = stage.output_schema.get("properties", {}).get(asking, {})
        value, reason = validate(prop, reply, lang)
        if reason is not None:
            errors.append(reason)
            lines.append(said["again"].format(reason=reason))
            lines.append(question(stage, asking, lang))
            state["attempts"] = int(state.get("attempts") or 0) + 1
            return Step(
                " ".join(lines),
                stage.position,
                state,
                outputs,
                progress(stages, outputs, values, stage.position),
                False,
                errors=errors,
            )
        values[asking] = value
        state["attempts"] = 0
    # Move on: complete stages whose required fields are all filled, ask the next one.
    while True:
        missing = _next_missing(stage, values)
        if missing is not None:
            lines.append(question(stage, missing, lang))
            state.update(asking=missing, values=values)
            break
        completed = {k: values[k] for k in stage.output_schema.get("properties", {}) if k in values}
        outputs[str(stage.position)] = completed
        lines.append(said["stage_done"].format(number=stage.position, stage=stage.name))
        values = {}
        if stage.position == last:
            lines.append(said["all_done"].format(stages=len(stages)))
            state.update(asking=None, values={}, complete=True)
            return Step(" ".join(lines), stage.position, state, outputs, 100, True, completed)
        stage = by_number[stage.position + 1]
        lines.append(said["next_stage"].format(number=stage.position, stage=stage.name))
    return Step(
        " ".join(lines),
        stage.position,
        state,
        outputs,
        progress(stages, outputs, values, stage.position),
        False,
        completed,
    )
