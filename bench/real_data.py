"""The analyses read as an analyst would, on real posts (issue 11): every question's
local answer on the BBVA tweets (Spanish, banks) and the FiveThirtyEight timelines
(English), each boiled down to the lines an analyst reads first.

    .venv/bin/python -m bench.real_data [--data ../shared/data] [--json out.json]

No database and no server: the CSVs are read into the analyses' own records and every
question runs on one Window, in dependency order, as a job does. The data stays outside
the repository (../shared/data/README.md); this script only reads it.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.analyses.question import Previous  # noqa: E402
from app.analyses.records import PostRecord  # noqa: E402
from app.analyses.registry import QUESTIONS, execution_levels  # noqa: E402
from app.analyses.window import Window  # noqa: E402
from app.clients.service import ClientProfile, CompetitorProfile  # noqa: E402
from app.posts.schemas import hashtags_in, mentions_in  # noqa: E402

BRAND_PREFIXES = ("bbva",)
RIVALS = {"santander": "Santander", "citibanamex": "Citibanamex"}
# Where the files are below ../shared/data (never copied into the repository).
DATA = ROOT.parent / "shared" / "data"
BBVA_CSV = Path("posts/bbva_2020/BBVA.csv")


def _int(value: str) -> int:
    try:
        return max(0, int(float(value or 0)))
    except ValueError:
        return 0


def bbva_records(path: Path, own: Callable[[str], bool]) -> list[PostRecord]:
    """BBVA.csv's tweets as the analyses read them, oldest first; `own(handle)` tells the
    brand's accounts. A retweet's counts are its original's, as X exports them (the
    Window gives them to the original)."""
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    posts = [
        PostRecord(
            id=f"b{i}",
            platform="x",
            account_handle="bbva_peru",
            author_handle=r["screen_Name"],
            author_followers=_int(r["followers"]),
            text=r["full_text"],
            published_at=datetime.fromisoformat(r["created_at"]).replace(tzinfo=UTC),
            likes=_int(r["favorite_count"]),
            comments=0,
            shares=_int(r["retweet_count"]),
            views=0,
            reach=0,
            content_type="text",
            hashtags=tuple(hashtags_in(r["full_text"])),
            mentions=tuple(mentions_in(r["full_text"])),
            is_own=own(r["screen_Name"].lower()),
        )
        for i, r in enumerate(rows)
    ]
    return sorted(posts, key=lambda p: p.published_at)


def bbva(data: Path) -> tuple[ClientProfile, list[PostRecord], str, str]:
    """BBVA.csv as a Lima agency would load it: BBVA's official accounts are the brand's,
    Santander and Citibanamex (with their official handles) its competitors."""
    path = data / BBVA_CSV
    with path.open(encoding="utf-8") as f:
        official = {
            r["screen_Name"].lower() for r in csv.DictReader(f) if r["procedencia"] == "oficial"
        }
    own = sorted(h for h in official if h.startswith(BRAND_PREFIXES))
    rivals = tuple(
        CompetitorProfile(name, handles=tuple(sorted(h for h in official if h.startswith(key))))
        for key, name in RIVALS.items()
    )
    client = ClientProfile(
        name="BBVA",
        industry="banking",
        country="PE",
        language="es",
        competitors=rivals,
        handles=tuple(own),
    )
    return client, bbva_records(path, set(own).__contains__), "es", "America/Lima"


def fivethirtyeight(data: Path) -> tuple[ClientProfile, list[PostRecord], str, str]:
    """The two timelines as one 'client' (Barack Obama's office), Trump's as competitor."""
    posts: list[PostRecord] = []
    for name in ("BarackObama", "realDonaldTrump"):
        path = data / f"posts/fivethirtyeight/{name}.csv"
        for i, r in enumerate(csv.DictReader(path.open(encoding="utf-8", errors="replace"))):
            posts.append(
                PostRecord(
                    id=f"{name}{i}",
                    platform="x",
                    account_handle="barackobama",
                    author_handle=r["user"],
                    author_followers=0,
                    text=r["text"],
                    published_at=datetime.strptime(r["created_at"], "%m/%d/%y %H:%M").replace(
                        tzinfo=UTC
                    ),
                    likes=_int(r["favorites"]),
                    comments=_int(r["replies"]),
                    shares=_int(r["retweets"]),
                    views=0,
                    reach=0,
                    content_type="text",
                    hashtags=tuple(hashtags_in(r["text"])),
                    mentions=tuple(mentions_in(r["text"])),
                    is_own=r["user"] == "BarackObama",
                )
            )
    client = ClientProfile(
        name="Barack Obama",
        industry="politics",
        country="US",
        language="en",
        competitors=(CompetitorProfile("Donald Trump", handles=("realdonaldtrump",)),),
        handles=("barackobama",),
    )
    return client, sorted(posts, key=lambda p: p.published_at), "en", "America/New_York"


def _first(items: Iterable[Any], n: int = 3) -> list[Any]:
    return list(items)[:n]


def _terms(dimension: dict[str, Any]) -> str:
    """A personality dimension's evidence, whatever its shape (terms or term objects)."""
    found = []
    for key in ("matched_terms", "evidence_terms", "evidence", "terms"):
        for item in dimension.get(key) or []:
            found.append(item if isinstance(item, str) else item.get("term", str(item)))
    return ", ".join(found[:5])


def _get(obj: Any, *names: str) -> Any:
    for name in names:
        obj = obj.get(name) if isinstance(obj, dict) else None
    return obj


# What an analyst reads first in each answer (the stored JSON), a line or two.
DIGESTS: dict[str, Callable[[dict[str, Any]], str]] = {
    "emotions": lambda r: (
        f"dominant {r.get('dominant_emotion')}, non-neutral {r.get('dominant_non_neutral')}; "
        + ", ".join(f"{d['emotion']} {d['share']:.0%}" for d in _first(r["distribution"], 4))
    ),
    "personality": lambda r: (
        f"own posts {r.get('own_posts')}; dominant {r.get('dominant_dimension')}; evidence "
        + "; ".join(f"{d['dimension']}: {_terms(d)}" for d in _first(r["dimensions"], 2))
    ),
    "topics": lambda r: (
        f"k={r['k']}: "
        + "; ".join(f"«{t['label']}» {t.get('share', 0):.0%}" for t in _first(r["topics"], 8))
    ),
    "narrative_frames": lambda r: (
        f"dominant {r.get('dominant_frame')}; "
        + ", ".join(f"{f['frame']} {f.get('share', 0):.0%}" for f in _first(r["frames"], 3))
    ),
    "influencers": lambda r: "; ".join(
        f"@{a['handle']} ({a.get('role', '?')}, stance {a.get('stance')})"
        for a in _first(r["authors"], 5)
    ),
    "opportunities": lambda r: (
        " | ".join(o["action"] for o in _first(r["opportunities"], 3)) or "none"
    ),
    "sentiment": lambda r: (
        f"pos {r['positive_share']:.0%} neu {r['neutral_share']:.0%} "
        f"neg {r['negative_share']:.0%}; spikes {len(r['spikes'])}"
    ),
    "temporal": lambda r: (
        "best "
        + ", ".join(
            f"{w.get('weekday')} {w.get('hour', w.get('start_hour'))}h ({w.get('posts')} posts)"
            for w in _first(r["best_windows"], 2)
        )
        + f"; volume trend {_get(r, 'volume_trend', 'direction')}"
    ),
    "recommendations": lambda r: " | ".join(
        x.get("action") or x.get("title") or str(x) for x in _first(r["recommendations"], 3)
    ),
    "summary": lambda r: r.get("headline", ""),
    "benchmark": lambda r: "; ".join(
        f"{c['name']} SoV {c['share_of_voice']:.0%} net {c['net_score']:+.2f}"
        for c in r.get("contenders", [])
    ),
}


def run(client: ClientProfile, posts: list[PostRecord], lang: str, tz: str) -> dict[str, Any]:
    started = time.perf_counter()
    start, end = posts[0].published_at, posts[-1].published_at.replace(microsecond=999999)
    window = Window.build(posts, client=client, start=start, end=end, language=lang, timezone=tz)
    stored: dict[str, Any] = {}
    for level in execution_levels([q.key for q in QUESTIONS]):
        for question in level:
            previous = (
                Previous.load(question.depends_on, stored) if question.depends_on else Previous()
            )
            stored[question.key] = question.local(window, previous).model_dump(mode="json")
    return {
        "seconds": round(time.perf_counter() - started, 2),
        "results": stored,
        "digest": {
            q.key: _safe(DIGESTS.get(q.slug, lambda r: ""), stored[q.key]) for q in QUESTIONS
        },
        "notes": {q.key: stored[q.key].get("notes", [])[:3] for q in QUESTIONS},
    }


def _safe(digest: Callable[[dict[str, Any]], str], result: dict[str, Any]) -> str:
    try:
        return digest(result)
    except (KeyError, TypeError, ValueError) as exc:
        return f"(digest failed: {exc!r})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--json", type=Path, help="write every result here")
    args = parser.parse_args()
    if not (args.data / "posts").is_dir():
        sys.exit(f"no data at {args.data} (see ../shared/data/README.md)")
    out: dict[str, Any] = {}
    for name, load in (("bbva", bbva), ("fivethirtyeight", fivethirtyeight)):
        client, posts, lang, tz = load(args.data)
        out[name] = answer = run(client, posts, lang, tz)
        print(f"\n## {name}: {len(posts)} posts, all questions in {answer['seconds']} s\n")
        print("| question | what it found |\n|---|---|")
        for q in QUESTIONS:
            print(f"| {q.key} {q.slug} | {answer['digest'][q.key]} |")
    if args.json:
        args.json.write_text(json.dumps(out, ensure_ascii=False, indent=1, default=str))


if __name__ == "__main__":
    main()
