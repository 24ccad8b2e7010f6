"""The topic model (app.ai.local.topics): readable labels, k, copies, templated replies."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from app.ai.local.keywords import boilerplate
from app.ai.local.topics import MAX_AUTO_TOPICS, auto_k, topic_model

GREETINGS = [
    "Hola, buenos días",
    "Hola {name}, gracias por escribirnos",
    "Saludos",
    "Envíanos un DM por favor",
    "Te ayudamos por mensaje directo",
    "Lamentamos las molestias",
    "Por favor envíanos tus datos",
    "Gracias, quedamos atentos",
]
NAMES = ["Ana", "Luis", "Carla", "Pedro", "Rosa", "Jorge", "Marta", "Raúl", "Elena", "Iván"]
FRAUD = [
    "me clonaron la tarjeta de débito",
    "cargo no reconocido en mi tarjeta",
    "fraude con compras que no hice",
    "bloqueen la tarjeta por el fraude",
    "robo de dinero con mi tarjeta clonada",
]
APP = [
    "la app no funciona desde ayer",
    "error al iniciar sesión en la app",
    "la aplicación se cierra sola",
    "no puedo entrar a la app móvil",
    "la app pide actualizar y sigue fallando",
]
FEES = [
    "me cobraron una comisión por mantenimiento",
    "otra comisión por retiro en cajero",
    "suben las comisiones de la cuenta",
    "cobro de comisión sin aviso",
]
FOOTBALL = [
    "gol de último minuto en la liga",
    "el árbitro no vio la tarjeta roja del partido",
    "gran partido de la liga hoy",
    "el equipo ganó el clásico con dos goles",
]
POLITICS = [
    "la deuda pública crecerá al doble en el sexenio",
    "el gobierno y la deuda pública del sexenio",
    "reforma del gobierno en el congreso",
]
THEMES = {"fraud": FRAUD, "app": APP, "fees": FEES, "football": FOOTBALL, "politics": POLITICS}


def _greeting(rng: random.Random) -> str:
    return rng.choice(GREETINGS).format(name=rng.choice(NAMES))


def _themed(rng: random.Random, phrases: list[str], n: int) -> list[str]:
    """`n` posts mixing two phrases of a theme with greetings, each text different."""
    out: list[str] = []
    for i in range(n):
        a, b = rng.sample(phrases, 2)
        out.append(f"{_greeting(rng)}. {a}, {b} #{i}")
    return out


def _boilerplate_only(rng: random.Random, n: int) -> list[str]:
    return [f"{_greeting(rng)}. {_greeting(rng)}. {_greeting(rng)} ({i})" for i in range(n)]


def _fit(texts: list[str], k: int | None = None):  # type: ignore[no-untyped-def]
    return topic_model(texts, ["es"] * len(texts), frozenset({"bancoandino"}), k=k)


def _words(label: str) -> set[str]:
    return {w for part in label.lower().split(" / ") for w in part.split()}


def test_mostly_greetings_with_two_themes_labels_name_the_themes() -> None:
    rng = random.Random(1)
    texts = _boilerplate_only(rng, 140) + _themed(rng, FRAUD, 40) + _themed(rng, APP, 40)
    rng.shuffle(texts)
    model = _fit(texts)

    assert model.topics
    labels = [t.label for t in model.topics]
    greeting_words = boilerplate().words
    for label in labels:
        assert not {w for w in _words(label) if w in greeting_words}, label
    named = " ".join(labels).lower()
    assert "tarjeta" in named or "fraude" in named
    assert "app" in named or "aplicación" in named
    # Greetings only: no topic, so no catch-all holds them.
    for i, text in enumerate(texts):
        if not any(p in text for p in FRAUD + APP):
            assert model.dominant[i] == -1, text
    shares = Counter(t for t in model.dominant if t >= 0)
    assert max(shares.values()) <= 0.4 * len(texts)


def test_pairs_name_a_topic_as_people_write_it() -> None:
    rng = random.Random(2)
    texts = _themed(rng, FRAUD, 40) + _themed(rng, APP, 40) + _themed(rng, FEES, 40)
    model = _fit(texts, k=3)
    keywords = {k for t in model.topics for k, _ in t.keywords}
    pairs = [k for k in keywords if " " in k]
    assert any(" de " in k for k in pairs)  # "robo de dinero", not "robo dinero"
    assert not any(k.split()[0] in {"de", "la"} or k.split()[-1] in {"de", "la"} for k in pairs)


def test_k_grows_with_the_window_and_obeys_the_setting() -> None:
    sizes = [30, 100, 400, 1000, 3000, 10_000]
    ks = [auto_k(n) for n in sizes]
    assert ks == sorted(ks)
    assert ks[0] < ks[-1] <= MAX_AUTO_TOPICS
    assert auto_k(10_000) > auto_k(400) > auto_k(30)

    rng = random.Random(3)
    small = [t for phrases in list(THEMES.values())[:2] for t in _themed(rng, phrases, 30)]
    large = [t for phrases in THEMES.values() for t in _themed(rng, phrases, 120)]
    assert len(_fit(large).topics) > len(_fit(small).topics)
    for k in (2, 3, 5):
        model = _fit(large, k=k)
        assert len(model.topics) == k
        assert model.requested == k


def test_copies_are_fitted_once() -> None:
    """A text retweeted 300 times weighs as one text: it neither makes its own topic
    nor names one, and every copy takes its original's topic."""
    rng = random.Random(4)
    viral = "Increíble el nuevo estadio olímpico con techo retráctil y pantallas gigantes"
    texts = _themed(rng, FRAUD, 40) + _themed(rng, APP, 40) + [viral]
    texts += [f"RT @fan{i}: {viral}" for i in range(300)]
    model = _fit(texts, k=2)
    named = " ".join(t.label for t in model.topics).lower()
    assert "estadio" not in named
    assert "retráctil" not in named
    copies = {model.dominant[i] for i, t in enumerate(texts) if viral in t}
    assert len(copies) == 1


def test_templated_replies_have_no_topic() -> None:
    """The same answer sent to many customers is a service template, not a theme."""
    rng = random.Random(5)
    template = (
        "@{user} Hola {name}, para revisar tu solicitud del seguro vehicular necesitamos "
        "tu número de póliza y la placa del auto por mensaje privado"
    )
    replies = [template.format(user=f"cliente{i}", name=rng.choice(NAMES)) for i in range(60)]
    texts = _themed(rng, FRAUD, 40) + _themed(rng, APP, 40) + replies
    model = _fit(texts)
    assert model.templated == len(replies)
    assert all(model.dominant[i] == -1 for i in range(80, len(texts)))
    named = " ".join(t.label for t in model.topics).lower()
    assert "póliza" not in named
    assert "placa" not in named


@pytest.mark.parametrize("k", [None, 4])
def test_each_post_has_one_topic(k: int | None) -> None:
    rng = random.Random(6)
    texts = [t for phrases in THEMES.values() for t in _themed(rng, phrases, 30)]
    model = _fit(texts, k=k)
    for i in range(len(texts)):
        assert model.memberships[i] == ((model.dominant[i],) if model.dominant[i] >= 0 else ())
        assert len(model.labels_of(i)) <= 1
