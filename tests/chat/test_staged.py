"""The local engine's slot filling (app/chat/staged.py): one field at a time, invalid
replies asked again with the reason, stages completed in order, progress over all the
stages' required fields."""

from __future__ import annotations

from typing import Any

import pytest

from app.agents.spec import StageSpec
from app.chat.staged import Step, step, validate

BRAND = StageSpec(
    position=1,
    name="Datos de la marca",
    goal="",
    prompt="",
    output_schema={
        "type": "object",
        "properties": {
            "nombre": {"type": "string", "description": "¿Cómo se llama la marca?"},
            "empleados": {"type": "integer", "minimum": 1, "description": "Empleados"},
            "web": {"type": "string", "format": "uri", "description": "Sitio web"},
        },
        "required": ["nombre", "empleados"],
    },
    questions={"empleados": "¿Cuántas personas trabajan en la marca?"},
)
CONTACT = StageSpec(
    position=2,
    name="Contacto",
    goal="",
    prompt="",
    output_schema={
        "type": "object",
        "properties": {
            "email": {"type": "string", "format": "email", "description": "Correo de contacto"},
            "inicio": {"type": "string", "format": "date", "description": "¿Desde cuándo?"},
            "plan": {"type": "string", "enum": ["Básico", "Pro"], "description": "Plan"},
        },
        "required": ["email", "inicio", "plan"],
    },
    questions={},
)
STAGES = (BRAND, CONTACT)


def _turn(previous: Step | None, reply: str, lang: str = "es") -> Step:
    if previous is None:
        return step(STAGES, {}, {}, 1, reply, lang=lang, agent_name="Onboarding")
    return step(
        STAGES,
        previous.state,
        previous.outputs,
        previous.stage_number,
        reply,
        lang=lang,
        agent_name="Onboarding",
    )


def test_a_flow_from_its_opening_to_completion_with_invalid_replies_asked_again() -> None:
    s = _turn(None, "Hola")
    assert "Onboarding" in s.text
    assert s.text.endswith("¿Cómo se llama la marca?")
    assert (s.stage_number, s.progress, s.is_complete) == (1, 0, False)
    s = _turn(s, "Banco Andino")
    assert s.text == "¿Cuántas personas trabajan en la marca?"
    assert s.progress == 20  # 1 of 5 required fields
    s = _turn(s, "muchas")
    assert s.errors == ["espero un número entero"]
    assert "No pude tomar esa respuesta" in s.text
    assert s.text.endswith("¿Cuántas personas trabajan en la marca?")
    assert s.progress == 20
    s = _turn(s, "0")
    assert s.errors == ["el mínimo es 1"]
    s = _turn(s, "1.250")
    assert s.output == {"nombre": "Banco Andino", "empleados": 1250}
    assert s.outputs["1"] == {"nombre": "Banco Andino", "empleados": 1250}
    assert s.stage_number == 2
    assert "Etapa 1" in s.text
    assert s.text.endswith("Correo de contacto")
    assert s.progress == 40
    s = _turn(s, "no es un correo")
    assert s.errors
    s = _turn(s, "Ana@Andino.pe")
    s = _turn(s, "15/03/2026")
    assert s.state["values"] == {"email": "ana@andino.pe", "inicio": "2026-03-15"}
    assert "(Básico, Pro)" in s.text
    s = _turn(s, "pro")
    assert s.is_complete
    assert s.progress == 100
    assert s.output == {"email": "ana@andino.pe", "inicio": "2026-03-15", "plan": "Pro"}
    assert "Completamos las 2 etapas" in s.text
    again = _turn(s, "¿algo más?")
    assert again.is_complete
    assert "ya está completa" in again.text


def test_the_flow_speaks_english_for_an_english_agent() -> None:
    s = _turn(None, "Hi", lang="en")
    assert s.text.startswith("Hello! I am Onboarding.")
    s = _turn(s, "Andes", lang="en")
    s = _turn(s, "many", lang="en")
    assert s.errors == ["I expect a whole number"]


@pytest.mark.parametrize(
    ("prop", "reply", "value"),
    [
        ({"type": "number"}, "3,5", 3.5),
        ({"type": "boolean"}, "Sí", True),
        ({"type": "boolean"}, "no", False),
        ({"type": "string", "format": "uri"}, "andino.pe", "https://andino.pe"),
        ({"type": "string", "format": "date"}, "2026-02-28", "2026-02-28"),
        ({"type": "string", "enum": ["Perú", "Chile"]}, "peru", "Perú"),
        ({"type": "string", "maxLength": 5}, "corto", "corto"),
    ],
)
def test_valid_values(prop: dict[str, Any], reply: str, value: Any) -> None:
    assert validate(prop, reply, "es") == (value, None)


@pytest.mark.parametrize(
    ("prop", "reply"),
    [
        ({"type": "number"}, "tres"),
        ({"type": "boolean"}, "quizás"),
        ({"type": "string", "format": "date"}, "2026-02-30"),
        ({"type": "string", "format": "email"}, "ana@"),
        ({"type": "string", "enum": ["Perú", "Chile"]}, "Bolivia"),
        ({"type": "string", "maxLength": 5}, "demasiado"),
        ({"type": "string", "pattern": "^[A-Z]{3}$"}, "ab"),
        ({"type": "string"}, "   "),
    ],
)
def test_invalid_values_say_why(prop: dict[str, Any], reply: str) -> None:
    value, reason = validate(prop, reply, "es")
    assert value is None
    assert reason
