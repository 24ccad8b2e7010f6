"""The forecasting math alone (no database)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from app.forecasting import model as m

MONDAY = datetime(2026, 1, 5, 9, tzinfo=UTC)


def _series(values: list[float]) -> list[tuple[datetime, int]]:
    return [(MONDAY + timedelta(days=i), round(v)) for i, v in enumerate(values)]


def test_daily_series_keeps_the_last_snapshot_of_each_utc_day() -> None:
    points = [
        (datetime(2026, 1, 5, 23, tzinfo=UTC), 12),
        (datetime(2026, 1, 5, 1, tzinfo=UTC), 10),
        # 20:00 in Lima on the 5th is 01:00 UTC on the 6th.
        (datetime(2026, 1, 5, 20, tzinfo=UTC) + timedelta(hours=5), 20),
    ]
    days, values = m.daily_series(points)
    assert days == [date(2026, 1, 5), date(2026, 1, 6)]
    assert values.tolist() == [12, 20]


def test_holdout_is_the_last_fifth_but_at_least_a_week() -> None:
    assert m.holdout_size(14, 0.2) == 7
    assert m.holdout_size(100, 0.2) == 20
    assert m.holdout_size(101, 0.2) == 21


def test_too_short_series_are_refused() -> None:
    with pytest.raises(m.NotEnoughData, match="at least 14"):
        m.fit_forecast(_series([100 + i for i in range(13)]))
    with pytest.raises(m.NotEnoughData, match="Lower holdout_fraction"):
        m.fit_forecast(_series([100 + i for i in range(14)]), holdout_fraction=0.6)
    fit = m.fit_forecast(_series([100 + i for i in range(14)]))
    assert (fit.evaluation.train_days, fit.evaluation.holdout_days) == (7, 7)
    # Seven training days cannot support six weekday effects.
    assert all("weekday" not in name for name, _ in fit.evaluation.candidates)


def test_stored_json_round_trips_to_the_same_predictions() -> None:
    rng = np.random.default_rng(3)
    values = [800 + 6 * d + [3, 0, -2, 4, 1, -3, -3][d % 7] + rng.normal(0, 2) for d in range(63)]
    fit = m.fit_forecast(_series(values))
    stored = json.loads(json.dumps(fit.model.to_dict()))
    again = m.TrendModel.from_dict(stored)
    a, b = fit.model.predict(40), again.predict(40)
    assert np.allclose(a.point, b.point)
    assert np.allclose(a.upper_95, b.upper_95)
    assert stored["n_points"] == len(values)
    assert len(stored["coefficients"]) == len(stored["features"])


def test_a_change_of_pace_is_followed_by_a_recent_window() -> None:
    # 50 days at +10/day, then +40/day: a trend over the whole history lags behind.
    values = [1000 + 10 * d if d < 50 else 1500 + 40 * (d - 50) for d in range(90)]
    fit = m.fit_forecast(_series(values))
    assert fit.evaluation.chosen.endswith("last 28 days")
    assert fit.evaluation.model.rmse < fit.evaluation.naive.rmse / 5
    assert fit.model.n_points == 28
    assert fit.model.start_date == date(2026, 1, 5) + timedelta(days=62)


def test_constant_series_has_no_r2_but_proper_intervals() -> None:
    fit = m.fit_forecast(_series([500] * 20))
    assert fit.evaluation.model.r2 is None
    assert fit.evaluation.skill is None  # the naive forecast is perfect too
    p = fit.model.predict(5)
    assert np.allclose(p.point, 500)
    assert np.all(p.lower_80 < p.point)
    assert np.all(p.point < p.upper_80)


def test_damped_trend_flattens_the_extrapolation() -> None:
    spec = m.Spec(scale="raw", weekly=False, phi=0.9)
    days = [date(2026, 1, 1) + timedelta(days=i) for i in range(30)]
    fitted = m.fit(days, np.array([100.0 + 2 * i for i in range(30)]), spec)
    p = fitted.predict(200)
    # Slope 2 damped by 0.9 per day adds at most 2 * 0.9 / 0.1 = 18 followers.
    assert p.point[-1] == pytest.approx(158 + 18, abs=1e-6)
    assert p.point[0] == pytest.approx(158 + 1.8, abs=1e-6)


def test_predictions_are_never_negative() -> None:
    fit = m.fit_forecast(_series([300 - 10 * d for d in range(25)]))
    p = fit.model.predict(60)
    assert np.all(p.point >= 0)
    assert np.all(p.lower_95 >= 0)


def _random_walk(n: int, seed: int, drift: float = 30.0, noise: float = 1.2) -> list[float]:
    rng = np.random.default_rng(seed)
    steps = drift * (1.0 + rng.normal(0.0, noise, n))
    return list(10_000 + np.concatenate([[0.0], np.cumsum(steps[:-1])]))


def test_intervals_are_calibrated_on_errors_seen_before_the_holdout() -> None:
    fit = m.fit_forecast(_series(_random_walk(150, 2)))
    ev = fit.evaluation
    assert ev.coverage is not None
    assert 0.0 <= ev.coverage.band_80 <= ev.coverage.band_95 <= 1.0
    intervals = fit.model.intervals
    assert intervals is not None
    assert intervals.calibration_errors >= 100
    assert 0.5 <= intervals.exponent <= 1.0
    p = fit.model.predict(30)
    half_95 = (p.upper_95 - p.lower_95) / 2
    assert half_95[-1] >= ev.model.mae
    assert np.all(np.diff(half_95) >= 0)
    assert np.all(p.upper_80 - p.lower_80 < p.upper_95 - p.lower_95)


def test_the_bands_cover_about_what_they_say_on_random_walks() -> None:
    # Over many independent series, bands calibrated before the hold-out cover the
    # hold-out roughly at their nominal rate (the hold-out days of one series are
    # correlated, so only the average over series is meaningful).
    within_80, within_95 = [], []
    for seed in range(40):
        ev = m.fit_forecast(_series(_random_walk(120, 100 + seed))).evaluation
        assert ev.coverage is not None
        within_80.append(ev.coverage.band_80)
        within_95.append(ev.coverage.band_95)
    assert 0.65 <= float(np.mean(within_80)) <= 0.95
    assert 0.82 <= float(np.mean(within_95)) <= 1.0


def test_short_series_report_no_holdout_coverage() -> None:
    # Seven training days leave no earlier forecasts to calibrate the hold-out's bands on.
    fit = m.fit_forecast(_series([100 + i + (i % 3) for i in range(14)]))
    assert fit.evaluation.coverage is None
    assert fit.model.intervals is not None  # the stored model is calibrated on all 14 days


def test_the_forecast_continues_from_the_last_observation() -> None:
    values = [5_000 + 10 * d for d in range(60)]
    values[-4:] = [v + 800 for v in values[-4:]]
    fit = m.fit_forecast(_series(values))
    p = fit.model.predict(10)
    assert p.point[0] == pytest.approx(values[-1], abs=40)
    assert p.point[0] >= values[-1] - 1


def test_naive_wins_when_no_trend_beats_it() -> None:
    # A flat series that wanders: carrying the last value forward is as good as any trend.
    rng = np.random.default_rng(9)
    values = list(3_000 + np.cumsum(rng.normal(0.0, 20.0, 60)))
    values[-12:] = [values[-13]] * 12
    fit = m.fit_forecast(_series(values))
    assert fit.evaluation.chosen == "naive (last value)"
    assert fit.evaluation.model.rmse == pytest.approx(fit.evaluation.naive.rmse)
    assert np.allclose(fit.model.predict(5).point, round(values[-1]))


def test_versions_stored_before_calibration_still_predict() -> None:
    # A version trained before issue 11 has no `intervals` and kept its own method.
    legacy = {
        "method": "least_squares_trend",
        "scale": "raw",
        "trend": "linear",
        "damping": 1.0,
        "weekly": False,
        "window_days": None,
        "features": ["intercept", "trend_per_day"],
        "coefficients": [100.0, 2.0],
        "weekday_effects": None,
        "residual_std": 3.0,
        "degrees_of_freedom": 28,
        "xtx_inv": [[0.13, -0.006], [-0.006, 0.0004]],
        "start_date": "2026-01-01",
        "end_date": "2026-01-30",
        "n_points": 30,
        "last_value": 170.0,
        "description": "followers = intercept + trend_per_day * day",
    }
    p = m.TrendModel.from_dict(legacy).predict(3)
    assert p.point.tolist() == pytest.approx([160.0, 162.0, 164.0])
    assert np.all(p.lower_95 < p.lower_80)
    assert np.all(p.upper_80 < p.upper_95)
