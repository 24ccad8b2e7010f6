"""Request bodies of agents for the tests."""

from __future__ import annotations

import copy
from typing import Any

OUTPUT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "nombre": {"type": "string", "description": "Nombre de la marca"},
        "email": {"type": "string", "format": "email", "description": "Correo de contacto"},
        "empleados": {
            "type": "integer",
            "description": "Número de empleados",
            "minimum": 1,
            "maximum": 100000,
        },
    },
    "required": ["nombre", "email"],
}


def stage(name: str = "Datos", **changes: Any) -> dict[str, Any]:
    body = {
        "name": name,
        "goal": "Conocer la marca",
        "prompt": "Un dato a la vez.",
        "output_schema": copy.deepcopy(OUTPUT_SCHEMA),
        "questions": {"nombre": "¿Cómo se llama su marca?"},
    }
    return {**body, **changes}


def staged(slug: str = "alta-de-marca", **changes: Any) -> dict[str, Any]:
    body = {
        "name": "Onboarding",
        "slug": slug,
        "kind": "staged",
        "purpose": "Recoge los datos de una marca",
        "system_prompt": "Usted da la bienvenida.",
        "stages": [stage("Datos"), stage("Contacto", questions={})],
    }
    return {**body, **changes}


def assistant(slug: str = "asistente", **changes: Any) -> dict[str, Any]:
    body = {
        "name": "Asistente",
        "slug": slug,
        "kind": "assistant",
        "tools": ["count_posts", "engagement"],
        "system_prompt": "Usted es el asistente de la agencia.",
    }
    return {**body, **changes}
