"""The notes every question shares (few or no posts, an unknown time zone) are written in
the window's language, as the copies note is."""

from __future__ import annotations

import pytest

from app.analyses.questions.parts import Result
from app.analyses.records import PostRecord
from app.analyses.window import Window
from tests.analyses.builders import answer, post, window_for

# The questions whose notes say how many posts they rest on (parts.volume_notes).
KEYS = ["q1", "q3", "q4", "q5", "q6", "q7", "q8"]
FEW = {
    "es": "Solo hay 5 publicaciones en la ventana; las proporciones son inestables.",
    "en": "Only 5 posts in the window; shares are unstable.",
}
FEW_OTHERS = {
    "es": "Solo hay 5 publicaciones de otros autores en la ventana; las proporciones son "
    "inestables.",
    "en": "Only 5 posts by other authors in the window; shares are unstable.",
}
NONE = {
    "es": "No hay publicaciones en la ventana; no hay nada que analizar.",
    "en": "No posts in the window; nothing to analyse.",
}


def _notes(key: str, window: Window) -> list[str]:
    result = answer(key, window)
    assert isinstance(result, Result)
    return result.notes


def _few() -> list[PostRecord]:
    texts = ["Me encanta la app", "Pésimo servicio", "Hola", "Gracias", "La tarjeta no pasa"]
    return [post(t, author_handle=f"cliente{i}") for i, t in enumerate(texts)]


@pytest.mark.parametrize("lang", ["es", "en"])
@pytest.mark.parametrize("key", KEYS)
def test_few_and_no_posts_are_said_in_the_windows_language(key: str, lang: str) -> None:
    few = _notes(key, window_for(_few(), lang=lang))
    assert (FEW_OTHERS if key == "q5" else FEW)[lang] in few
    none = _notes(key, window_for([], lang=lang))
    expected = NONE[lang]
    if key == "q5":
        expected = expected.replace("publicaciones", "publicaciones de otros autores", 1)
        expected = expected.replace("posts", "posts by other authors", 1)
    assert expected in none


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("es", "Zona horaria desconocida «Mars/Olympus»; las horas están en UTC."),
        ("en", "Unknown time zone 'Mars/Olympus'; times are in UTC."),
    ],
)
def test_an_unknown_time_zone_is_said_in_the_windows_language(lang: str, said: str) -> None:
    window = window_for([post("Hola")], lang=lang, tz="Mars/Olympus")
    assert window.tz_name == "UTC"
    assert said in window.notes
    assert said in _notes("q8", window)
