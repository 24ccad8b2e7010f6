"""The demo agency's agents, in Spanish: a seven-stage brand onboarding and a customer
service assistant. Built through the agents' own request models and service, so they
are validated (and versioned, and audited) like any agent created through the API."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.agents import service
from app.agents.schemas import AssistantCreate, StagedAgentCreate
from app.core.scope import Actor


def _text(description: str, **rules: Any) -> dict[str, Any]:
    return {"type": "string", "description": description, **rules}


def _stage(
    name: str,
    goal: str,
    fields: dict[str, tuple[dict[str, Any], str]],
    required: list[str] | None = None,
) -> dict[str, Any]:
    """A stage: each field's schema and the question that asks for it; every field is
    required unless `required` says which are."""
    return {
        "name": name,
        "goal": goal,
        "prompt": "Pregunte un dato a la vez, con amabilidad y en pocas palabras. Si una "
        "respuesta no sirve, explique por qué y vuelva a preguntar.",
        "output_schema": {
            "type": "object",
            "properties": {field: schema for field, (schema, _) in fields.items()},
            "required": required if required is not None else list(fields),
        },
        "questions": {field: question for field, (_, question) in fields.items()},
    }


ONBOARDING_STAGES: list[dict[str, Any]] = [
    _stage(
        "Datos de la marca",
        "Conocer la marca: cómo se llama, a qué se dedica, dónde opera y su sitio web.",
        {
            "nombre": (_text("Nombre comercial de la marca"), "¿Cómo se llama su marca?"),
            "sector": (
                _text("Sector o industria de la marca (banca, retail, alimentos...)"),
                "¿En qué sector trabaja la marca?",
            ),
            "pais": (
                _text("País donde opera principalmente la marca"),
                "¿En qué país opera principalmente?",
            ),
            "sitio_web": (
                _text("Sitio web de la marca", format="uri"),
                "¿Cuál es el sitio web de la marca?",
            ),
        },
    ),
    _stage(
        "Público objetivo",
        "Saber a quién le habla la marca.",
        {
            "descripcion_publico": (
                _text("Quiénes son sus clientes ideales, en una o dos frases"),
                "¿Quiénes son sus clientes ideales?",
            ),
            "edad_minima": (
                {
                    "type": "integer",
                    "description": "Edad mínima del público objetivo",
                    "minimum": 13,
                    "maximum": 100,
                },
                "¿Desde qué edad es su público?",
            ),
            "edad_maxima": (
                {
                    "type": "integer",
                    "description": "Edad máxima del público objetivo",
                    "minimum": 13,
                    "maximum": 100,
                },
                "¿Y hasta qué edad?",
            ),
            "ubicacion": (
                _text("Ciudades o regiones donde está su público"),
                "¿En qué ciudades o regiones está su público?",
            ),
        },
    ),
    _stage(
        "Objetivos",
        "Acordar qué busca la marca en redes y cómo se medirá.",
        {
            "objetivo_principal": (
                _text(
                    "Objetivo principal en redes sociales",
                    enum=[
                        "reconocimiento de marca",
                        "generación de contactos",
                        "ventas",
                        "fidelización",
                        "atención al cliente",
                    ],
                ),
                "¿Cuál es el objetivo principal de la marca en redes?",
            ),
            "meta_medible": (
                _text("Una meta medible, con cifra y plazo", minLength=10),
                "¿Qué meta medible quiere alcanzar? Por ejemplo: 10 000 seguidores nuevos en "
                "seis meses.",
            ),
            "presupuesto_mensual": (
                {
                    "type": "number",
                    "description": "Presupuesto mensual para redes, en dólares",
                    "minimum": 0,
                },
                "¿Cuál es el presupuesto mensual para redes, en dólares?",
            ),
        },
    ),
    _stage(
        "Canales y cuentas",
        "Saber en qué redes está la marca y con qué frecuencia publica.",
        {
            "redes": (
                _text("Redes sociales donde la marca tiene cuenta, separadas por comas"),
                "¿En qué redes sociales tiene cuenta la marca?",
            ),
            "cuenta_principal": (
                _text(
                    "Usuario de la cuenta principal de la marca",
                    pattern=r"^@?[A-Za-z0-9_.]{2,30}$",
                ),
                "¿Cuál es el usuario de su cuenta principal? Por ejemplo: @mimarca",
            ),
            "publicaciones_semana": (
                {
                    "type": "integer",
                    "description": "Publicaciones por semana, en promedio",
                    "minimum": 0,
                    "maximum": 100,
                },
                "¿Cuántas publicaciones hacen por semana, en promedio?",
            ),
        },
    ),
    _stage(
        "Competidores",
        "Conocer contra quién se compara la marca y qué la distingue.",
        {
            "competidor_principal": (
                _text("Nombre del competidor principal"),
                "¿Quién es su competidor principal?",
            ),
            "otros_competidores": (
                _text("Otros competidores, separados por comas"),
                "¿Hay otros competidores que debamos seguir?",
            ),
            "diferenciador": (
                _text("Qué distingue a la marca de sus competidores"),
                "¿Qué distingue a su marca de la competencia?",
            ),
        },
        required=["competidor_principal", "diferenciador"],
    ),
    _stage(
        "Tono y personalidad",
        "Definir cómo habla la marca.",
        {
            "tono": (
                _text(
                    "Tono de la comunicación",
                    enum=["formal", "cercano", "divertido", "inspirador", "técnico"],
                ),
                "¿Qué tono prefiere para la comunicación?",
            ),
            "palabras_clave": (
                _text("Tres palabras que describen la personalidad de la marca"),
                "¿Qué tres palabras describen la personalidad de la marca?",
            ),
            "temas_a_evitar": (
                _text("Temas que la marca no debe tocar"),
                "¿Hay temas que la marca no debe tocar?",
            ),
            "usa_emojis": (
                {"type": "boolean", "description": "Si la marca usa emojis en sus publicaciones"},
                "¿La marca usa emojis en sus publicaciones?",
            ),
        },
    ),
    _stage(
        "Contacto y aprobación",
        "Saber con quién coordinar, cuándo empezar y confirmar los datos.",
        {
            "nombre_contacto": (
                _text("Nombre de la persona de contacto"),
                "¿Con quién coordinamos? Su nombre, por favor.",
            ),
            "email": (
                _text("Correo electrónico de la persona de contacto", format="email"),
                "¿Cuál es su correo electrónico?",
            ),
            "telefono": (
                _text("Teléfono de contacto, con código de país", pattern=r"^\+?[0-9 ]{7,20}$"),
                "¿Un teléfono de contacto, con código de país?",
            ),
            "fecha_inicio": (
                _text("Fecha de inicio del servicio", format="date"),
                "¿Desde qué fecha quiere empezar?",
            ),
            "aprobado": (
                {
                    "type": "boolean",
                    "description": "Confirmación de que los datos recogidos son correctos",
                },
                "¿Confirma que los datos que nos dio son correctos?",
            ),
        },
        required=["nombre_contacto", "email", "fecha_inicio", "aprobado"],
    ),
]

ONBOARDING = StagedAgentCreate.model_validate(
    {
        "name": "Onboarding de marca",
        "slug": "onboarding-marca",
        "kind": "staged",
        "purpose": "Recoge, en siete etapas, lo que la agencia necesita saber de una marca "
        "nueva antes de empezar a trabajar con ella.",
        "language": "es",
        "tools": [],
        "system_prompt": "Usted da la bienvenida a una marca nueva en nombre de la agencia. "
        "Trate a la persona de usted, sea breve y cordial, y no invente datos: pregunte.",
        "stages": ONBOARDING_STAGES,
    }
)

CUSTOMER_SERVICE = AssistantCreate.model_validate(
    {
        "name": "Asistente de clientes",
        "slug": "asistente-clientes",
        "kind": "assistant",
        "purpose": "Responde a los clientes de la agencia sobre sus redes: publicaciones, "
        "interacción, seguidores y su pronóstico, resultados de los análisis y los "
        "documentos de la agencia.",
        "language": "es",
        "tools": [
            "count_posts",
            "engagement",
            "followers",
            "latest_results",
            "forecast",
            "search_documents",
        ],
        "system_prompt": "Usted es el asistente de atención a clientes de la agencia. Responda "
        "en español, con claridad y en pocas frases. Use solo las cifras que le dan las "
        "herramientas y los pasajes de los documentos, y diga de dónde salen. Si no tiene el "
        "dato, dígalo y ofrezca pasar la consulta al equipo. No prometa resultados ni "
        "comparta datos de otros clientes.",
    }
)

DEMO_AGENTS: tuple[AssistantCreate | StagedAgentCreate, ...] = (ONBOARDING, CUSTOMER_SERVICE)


async def seed_demo_agents(session: AsyncSession, tenant_id: uuid.UUID) -> int:
    """Creates the demo agents the tenant does not have yet (by slug); how many it
    created. Safe to run again: an agent already there is left as it is."""
    actor = Actor(tenant_id=tenant_id)
    created = 0
    for agent in DEMO_AGENTS:
        if not await service.slug_taken(session, actor.scope, agent.slug):
            await service.create_agent(session, actor, agent)
            created += 1
    return created
