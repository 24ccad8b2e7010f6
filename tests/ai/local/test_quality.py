"""Regression guard on real labelled data; skipped when ../shared/data is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.analysis_quality import DEFAULT_DATA, SENTIMENT_LABELS, load_datasets, predict, score

pytestmark = [
    pytest.mark.data,
    pytest.mark.skipif(not Path(DEFAULT_DATA).is_dir(), reason="../shared/data not available"),
]


@pytest.mark.parametrize(("name", "minimum"), [("tass_pe_dev", 0.45), ("us_airline_dev", 0.50)])
def test_sentiment_macro_f1(name: str, minimum: float) -> None:
    found = [d for d in load_datasets(Path(DEFAULT_DATA), ("dev",)) if d.name == name]
    if not found:
        pytest.skip(f"{name} not in the data folder")
    dataset = found[0]
    pred, _ = predict(dataset)
    assert score(dataset.gold, pred, SENTIMENT_LABELS).macro_f1 >= minimum
