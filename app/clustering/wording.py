"""Cluster names in the tenant's language (Spanish or English).

A name is a list of descriptors joined by ", ": "high shares, low likes",
"muchos compartidos, pocos me gusta". A descriptor is one of:
  ("feature", f, +1 | -1)   a clustering feature above or below the other clusters
  ("engagement", +1 | -1)   every varying feature above (or below) the other clusters
  ("average",)              no feature clearly apart
  ("very", f, +1 | -1)      f further above (or below) than a cluster named alike
  ("more", f, +1 | -1)      more (or fewer) f than a cluster that is otherwise alike
"""

from __future__ import annotations

from typing import Any

Descriptor = tuple[Any, ...]

_FEATURE = {
    "en": {
        f: (f"high {f}", f"low {f}", f"more {f}", f"fewer {f}", f"very high {f}", f"very low {f}")
        for f in ("likes", "comments", "shares", "views")
    },
    "es": {
        f: (
            f"{many} {word}",
            f"{few} {word}",
            f"más {word}",
            f"menos {word}",
            f"{very_many} {word}",
            f"{very_few} {word}",
        )
        for f, word, many, few, very_many, very_few in (
            ("likes", "me gusta", "muchos", "pocos", "muchísimos", "poquísimos"),
            ("comments", "comentarios", "muchos", "pocos", "muchísimos", "poquísimos"),
            ("shares", "compartidos", "muchos", "pocos", "muchísimos", "poquísimos"),
            ("views", "vistas", "muchas", "pocas", "muchísimas", "poquísimas"),
        )
    },
}
_ENGAGEMENT = {
    "en": ("high engagement", "low engagement", "average engagement"),
    "es": ("alta interacción", "baja interacción", "interacción media"),
}


def language(lang: str | None) -> str:
    """The tenant's language as a wording key: "es", else "en"."""
    return "es" if (lang or "").lower()[:2] == "es" else "en"


def descriptor_text(d: Descriptor, lang: str) -> str:
    kind = d[0]
    if kind == "feature":
        return _FEATURE[lang][d[1]][0 if d[2] > 0 else 1]
    if kind == "more":
        return _FEATURE[lang][d[1]][2 if d[2] > 0 else 3]
    if kind == "very":
        return _FEATURE[lang][d[1]][4 if d[2] > 0 else 5]
    if kind == "engagement":
        return _ENGAGEMENT[lang][0 if d[1] > 0 else 1]
    return _ENGAGEMENT[lang][2]


def name_text(descriptors: list[Descriptor], lang: str) -> str:
    return ", ".join(descriptor_text(d, lang) for d in descriptors)
