"""Quality and speed of the offline text-analytics engine (app.ai.local).

    python -m bench.analysis_quality [--data ../shared/data] [--split dev|train|all] [--errors N]

Sentiment: every TASS 2020 country file (train and dev), spanish_airline_dev.csv and
us_airline_dev.csv. Emotion: EmoEvent es and en. Each table row shows n, accuracy,
macro-F1 and per-class F1 next to the majority-class baseline; then the most frequent
confusions and a few error examples. Language is auto-detected, as in production.

EmoEvent label mapping: EmoEvent has no "trust" and no "neutral"; its "others" means
"none of the six". So our "neutral" AND our "trust" are both scored as "others".

The data is read in place and never copied; without it the script says so and exits 0.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from app.ai.local import analyze_texts, warm_up

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
TASS_COUNTRIES = ("es", "cr", "mx", "pe", "uy")
SENTIMENT_LABELS = ("negative", "neutral", "positive")
EMOEVENT_LABELS = ("anger", "disgust", "fear", "joy", "sadness", "surprise", "others")
_TASS_MAP = {"P": "positive", "N": "negative", "NEU": "neutral", "NONE": "neutral"}


@dataclass(frozen=True, slots=True)
class Dataset:
    name: str
    task: str  # "sentiment" | "emotion"
    lang: str
    split: str  # "train" | "dev"
    texts: list[str]
    gold: list[str]


def _read_tass(path: Path) -> tuple[list[str], list[str]]:
    texts, gold = [], []
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            if len(row) >= 3 and row[2].strip() in _TASS_MAP:
                texts.append(row[1])
                gold.append(_TASS_MAP[row[2].strip()])
    return texts, gold


def _read_airline(path: Path) -> tuple[list[str], list[str]]:
    texts, gold = [], []
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            label = row["airline_sentiment"].strip()
            if label in SENTIMENT_LABELS:
                texts.append(row["text"])
                gold.append(label)
    return texts, gold


def _read_emoevent(path: Path) -> tuple[list[str], list[str]]:
    texts, gold = [], []
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader)
        ti, ei = header.index("tweet"), header.index("emotion")
        for row in reader:
            if len(row) > max(ti, ei) and row[ei] in EMOEVENT_LABELS:
                texts.append(row[ti])
                gold.append(row[ei])
    return texts, gold


def load_datasets(data: Path, splits: Sequence[str] = ("dev", "train")) -> list[Dataset]:
    """Every evaluation set found under `data` (missing files are skipped)."""
    out: list[Dataset] = []
    for split in splits:
        for c in TASS_COUNTRIES:
            p = data / "sentiment" / "tass2020" / f"{split}_{c}.tsv"
            if p.exists():
                out.append(Dataset(f"tass_{c}_{split}", "sentiment", "es", split, *_read_tass(p)))
        if split == "dev":
            for name, lang in (("spanish_airline_dev", "es"), ("us_airline_dev", "en")):
                p = data / "sentiment" / f"{name}.csv"
                if p.exists():
                    out.append(Dataset(name, "sentiment", lang, split, *_read_airline(p)))
        for lang in ("es", "en"):
            p = data / "emotion" / f"emoevent_{lang}_{split}.tsv"
            if p.exists():
                out.append(
                    Dataset(f"emoevent_{lang}_{split}", "emotion", lang, split, *_read_emoevent(p))
                )
    return out


def emoevent_label(ours: str) -> str:
    """Our emotion label in EmoEvent's label set (see module docstring)."""
    return "others" if ours in ("neutral", "trust") else ours


def predict(ds: Dataset) -> tuple[list[str], list[str]]:
    """(predicted labels, detected languages) for a dataset."""
    res = analyze_texts(ds.texts)
    if ds.task == "sentiment":
        pred = [r.sentiment_label for r in res]
    else:
        pred = [emoevent_label(r.emotion_label) for r in res]
    return pred, [r.language for r in res]


@dataclass(frozen=True, slots=True)
class Scores:
    n: int
    accuracy: float
    macro_f1: float
    per_class: dict[str, float]
    base_accuracy: float
    base_macro_f1: float


def score(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str]) -> Scores:
    from sklearn.metrics import accuracy_score, f1_score

    present = [lab for lab in labels if lab in set(gold) | set(pred)]
    per = f1_score(gold, pred, labels=present, average=None, zero_division=0)
    majority = Counter(gold).most_common(1)[0][0]
    base = [majority] * len(gold)
    gold_labels = [lab for lab in labels if lab in set(gold)]
    return Scores(
        n=len(gold),
        accuracy=float(accuracy_score(gold, pred)),
        macro_f1=float(f1_score(gold, pred, labels=gold_labels, average="macro", zero_division=0)),
        per_class={lab: float(v) for lab, v in zip(present, per, strict=True)},
        base_accuracy=float(accuracy_score(gold, base)),
        base_macro_f1=float(
            f1_score(gold, base, labels=gold_labels, average="macro", zero_division=0)
        ),
    )


def _row(name: str, s: Scores, labels: Sequence[str], lang_ok: float) -> str:
    per = " ".join(f"{s.per_class.get(lab, 0.0):5.2f}" for lab in labels)
    return (
        f"{name:<22} {s.n:>6} {s.accuracy:6.3f} {s.macro_f1:6.3f}   "
        f"{s.base_accuracy:6.3f} {s.base_macro_f1:6.3f}   {per}   {lang_ok:5.1%}"
    )


def _header(labels: Sequence[str]) -> str:
    per = " ".join(f"{lab[:5]:>5}" for lab in labels)
    return (
        f"{'dataset':<22} {'n':>6} {'acc':>6} {'mF1':>6}   {'b.acc':>6} {'b.mF1':>6}   "
        f"{per}   {'lang':>5}"
    )


def _examples(
    ds: Dataset, pred: Sequence[str], limit: int
) -> tuple[list[tuple[tuple[str, str], int]], list[str]]:
    pairs = Counter((g, p) for g, p in zip(ds.gold, pred, strict=True) if g != p)
    lines: list[str] = []
    for (g, p), _ in pairs.most_common(2 if limit > 0 else 0):
        shown = 0
        for t, gg, pp in zip(ds.texts, ds.gold, pred, strict=True):
            if gg == g and pp == p:
                lines.append(f"    gold={g:<8} pred={p:<8} {' '.join(t.split())[:150]}")
                shown += 1
                if shown >= limit:
                    break
    return pairs.most_common(4), lines


def _speed_texts(datasets: Sequence[Dataset], n: int = 10_000) -> list[str]:
    pool = [t for ds in datasets if ds.task == "sentiment" for t in ds.texts]
    rng = random.Random(7)
    if not pool:
        pool = [
            "Pésimo servicio, llevo 2 horas esperando 😡 @aerolinea",
            "Thanks @airline, great flight and friendly crew! ✈️",
            "No me gusta nada la nueva app #NoFunciona",
            "Me encantó el concierto, ¡gracias! 😍",
        ]
    return [rng.choice(pool) + f" {i}" for i in range(n)]


def measure_speed(texts: Sequence[str]) -> list[tuple[float, float]]:
    """(wall, CPU) seconds of three passes over `texts`: the first with cold word caches.

    CPU time is what one core spends, so it stays meaningful when other jobs share the
    machine; wall time is also shown.
    """
    out = []
    for _ in range(3):
        w0, c0 = time.perf_counter(), time.process_time()
        analyze_texts(texts)
        out.append((time.perf_counter() - w0, time.process_time() - c0))
    return out


def evaluate(datasets: Sequence[Dataset], errors: int, out: Callable[[str], None]) -> None:
    pooled: dict[tuple[str, str], tuple[list[str], list[str]]] = {}
    for task, labels in (("sentiment", SENTIMENT_LABELS), ("emotion", EMOEVENT_LABELS)):
        sets = [d for d in datasets if d.task == task]
        if not sets:
            continue
        out(f"\n== {task} ==  (b.* = majority-class baseline; lang = share detected as the")
        out("   set's language; EmoEvent: our neutral and trust count as 'others')")
        out(_header(labels))
        notes: list[str] = []
        for ds in sets:
            pred, langs = predict(ds)
            lang_ok = sum(lg == ds.lang for lg in langs) / max(len(langs), 1)
            out(_row(ds.name, score(ds.gold, pred, labels), labels, lang_ok))
            if ds.name.startswith("tass_"):
                g, p = pooled.setdefault((task, ds.split), ([], []))
                g.extend(ds.gold)
                p.extend(pred)
            pairs, lines = _examples(ds, pred, errors)
            conf = ", ".join(f"{g}->{p} {c}" for (g, p), c in pairs)
            notes.append(f"  {ds.name}: top confusions (gold->pred): {conf}")
            if ds.split == "dev":
                notes.extend(lines)
        for (t, split), (g, p) in sorted(pooled.items()):
            if t == task:
                out(_row(f"tass_pooled_{split}", score(g, p, labels), labels, float("nan")))
        out("")
        for line in notes:
            out(line)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="shared data folder")
    ap.add_argument("--split", choices=("dev", "train", "all"), default="all")
    ap.add_argument("--errors", type=int, default=3, help="error examples per confusion pair")
    args = ap.parse_args(argv)
    if not args.data.is_dir():
        print(f"data folder {args.data} not found: skipping the quality benchmark")
        return 0
    splits = ("dev", "train") if args.split == "all" else (args.split,)
    datasets = load_datasets(args.data, splits)
    if not datasets:
        print(f"no evaluation files under {args.data}: skipping")
        return 0

    t0 = time.perf_counter()
    warm_up()
    print(f"warm-up (word lists, lemma dictionaries): {time.perf_counter() - t0:.2f} s")
    texts = _speed_texts(load_datasets(args.data, ("dev",)) or datasets)
    runs = measure_speed(texts)
    (w1, c1), warm = runs[0], min(runs[1:], key=lambda r: r[1])
    print(
        f"speed: analyze_texts on {len(texts):,} posts (target <= 1.0 s on one core):\n"
        f"  cold word caches: {c1:.2f} s CPU ({w1:.2f} s wall); "
        f"warm: {warm[1]:.2f} s CPU ({warm[0]:.2f} s wall)"
    )
    evaluate(datasets, args.errors, print)
    return 0


if __name__ == "__main__":
    sys.exit(main())
