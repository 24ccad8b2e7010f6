"""Follower forecasting math: least squares on a trend and weekday effects (numpy only).

The model for one account's daily follower count y on day t (days since the first
observation), on the raw scale or on log1p(y):

    y_t = b0 + b1 * trend(t) + sum_w e_w * weekday_w(t) + noise

`weekday_w` is effects-coded (Mon..Sat are +1 on their day, Sunday is -1 on all six),
so b0 is the level averaged over the week and the seven weekday effects sum to zero.
In-sample `trend(t) = t`; beyond the last observed day the slope may be damped,
`trend(t_last + h) = t_last + phi + phi^2 + ... + phi^h`, as in Holt's damped trend.

Candidates (raw / log scale, with / without weekday effects, phi in DAMPING, fitted on
every day or on the last RECENT_WINDOW days only) are fitted on all days but the last 20%
(at least 7) and scored on those hold-out days against the naive forecast (the last
training value carried forward). The best by hold-out RMSE is kept (a more flexible form
must beat a simpler one by 10%), refitted on the same span of the newest days and
returned as a JSON-ready `TrendModel`.

Prediction intervals come from the residual standard deviation and the least-squares
leverage of each future day, sigma * sqrt(1 + x' (X'X)^-1 x), with Student-t quantiles;
they never narrow as the horizon grows.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

Scale = Literal["raw", "log"]
FloatArray = NDArray[np.float64]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MIN_POINTS = 14
MIN_HOLDOUT = 7
DAMPING = (1.0, 0.98, 0.95)
# A trend fitted on the last four weeks only follows a change of pace (a campaign, a
# plateau) that a trend over the whole history averages away.
RECENT_WINDOW = 28
SELECTION_MARGIN = 0.10
# Followers are integers: rounding alone leaves ~0.29 of noise, so a perfect fit still
# gets intervals at least this wide (in followers) instead of zero-width ones.
MIN_RESIDUAL_STD = 0.5
METHOD = "least_squares_trend"


class NotEnoughData(ValueError):
    """The series is too short to fit and evaluate a forecast."""


# --- input -----------------------------------------------------------------------------


def daily_series(points: Iterable[tuple[datetime, int]]) -> tuple[list[date], FloatArray]:
    """One value per UTC day (the last snapshot of the day), in date order."""
    by_day: dict[date, tuple[datetime, int]] = {}
    for captured_at, followers in points:
        day = captured_at.astimezone(UTC).date()
        if day not in by_day or captured_at >= by_day[day][0]:
            by_day[day] = (captured_at, followers)
    days = sorted(by_day)
    return days, np.array([by_day[d][1] for d in days], dtype=np.float64)


# --- the model -------------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    scale: Scale
    weekly: bool
    phi: float
    window: int | None = None  # fit on the most recent days only (None: every day)

    @property
    def name(self) -> str:
        trend = "linear" if self.phi == 1.0 else f"damped({self.phi:g})"
        name = f"{self.scale} {trend}" + (" + weekday" if self.weekly else "")
        return name + (f", last {self.window} days" if self.window else "")


def _features(weekly: bool) -> list[str]:
    names = ["intercept", "trend_per_day"]
    return names + [f"weekday_{w}" for w in WEEKDAYS[:6]] if weekly else names


def _design(trend: FloatArray, weekday: NDArray[np.int64], weekly: bool) -> FloatArray:
    columns = [np.ones_like(trend), trend]
    if weekly:
        for w in range(6):
            columns.append(np.where(weekday == w, 1.0, np.where(weekday == 6, -1.0, 0.0)))
    return np.column_stack(columns)


def _damped_trend(t_last: int, horizon: NDArray[np.int64], phi: float) -> FloatArray:
    """Effective trend value h days after the last observed day."""
    h = horizon.astype(np.float64)
    if phi == 1.0:
        return t_last + h
    return t_last + phi * (1.0 - phi**h) / (1.0 - phi)


def _to_scale(y: FloatArray, scale: Scale) -> FloatArray:
    return np.log1p(np.maximum(y, 0.0)) if scale == "log" else y


def _from_scale(z: FloatArray, scale: Scale) -> FloatArray:
    return np.expm1(z) if scale == "log" else z


@dataclass(frozen=True)
class Prediction:
    dates: list[date]
    horizon: NDArray[np.int64]
    point: FloatArray
    lower_80: FloatArray
    upper_80: FloatArray
    lower_95: FloatArray
    upper_95: FloatArray


@dataclass(frozen=True)
class TrendModel:
    """A fitted model; `to_dict()` is what is stored (JSON, never pickle)."""

    spec: Spec
    coefficients: list[float]
    residual_std: float
    dof: int
    xtx_inv: list[list[float]]
    start_date: date
    end_date: date
    n_points: int
    last_value: float

    @property
    def t_last(self) -> int:
        return (self.end_date - self.start_date).days

    def weekday_effects(self) -> dict[str, float] | None:
        if not self.spec.weekly:
            return None
        six = self.coefficients[2:8]
        return dict(zip(WEEKDAYS, [*six, -sum(six)], strict=True))

    def _mean_and_se(self, days: Sequence[date]) -> tuple[FloatArray, FloatArray]:
        t = np.array([(d - self.start_date).days for d in days], dtype=np.int64)
        ahead = np.maximum(t - self.t_last, 0)
        trend = np.where(
            ahead > 0, _damped_trend(self.t_last, ahead, self.spec.phi), t.astype(np.float64)
        )
        weekday = np.array([d.weekday() for d in days], dtype=np.int64)
        x = _design(trend, weekday, self.spec.weekly)
        beta = np.array(self.coefficients)
        leverage = np.einsum("ij,jk,ik->i", x, np.array(self.xtx_inv), x)
        se = self.residual_std * np.sqrt(1.0 + np.maximum(leverage, 0.0))
        return x @ beta, se

    def predict_dates(self, days: Sequence[date]) -> FloatArray:
        mean, _ = self._mean_and_se(days)
        return np.maximum(_from_scale(mean, self.spec.scale), 0.0)

    def predict(self, n_days: int) -> Prediction:
        days = [self.end_date + timedelta(days=h) for h in range(1, n_days + 1)]
        mean, se = self._mean_and_se(days)
        # Uncertainty never shrinks further out (leverage wobbles with the weekday terms).
        se = np.maximum.accumulate(se)
        from scipy import stats  # imported on use: scipy is heavy for every API worker

        q80 = float(stats.t.ppf(0.90, self.dof))
        q95 = float(stats.t.ppf(0.975, self.dof))

        def bound(q: float) -> FloatArray:
            return np.maximum(_from_scale(mean + q * se, self.spec.scale), 0.0)

        return Prediction(
            dates=days,
            horizon=np.arange(1, n_days + 1),
            point=np.maximum(_from_scale(mean, self.spec.scale), 0.0),
            lower_80=bound(-q80),
            upper_80=bound(q80),
            lower_95=bound(-q95),
            upper_95=bound(q95),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": METHOD,
            "scale": self.spec.scale,
            "trend": "linear" if self.spec.phi == 1.0 else "damped",
            "damping": self.spec.phi,
            "weekly": self.spec.weekly,
            "window_days": self.spec.window,
            "features": _features(self.spec.weekly),
            "coefficients": self.coefficients,
            "weekday_effects": self.weekday_effects(),
            "residual_std": self.residual_std,
            "degrees_of_freedom": self.dof,
            "xtx_inv": self.xtx_inv,
            "start_date": self.start_date.isoformat(),
            "end_date": self.end_date.isoformat(),
            "n_points": self.n_points,
            "last_value": self.last_value,
            "description": describe(self.spec),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrendModel:
        return cls(
            spec=Spec(
                scale=data["scale"],
                weekly=bool(data["weekly"]),
                phi=float(data["damping"]),
                window=data.get("window_days"),
            ),
            coefficients=[float(c) for c in data["coefficients"]],
            residual_std=float(data["residual_std"]),
            dof=int(data["degrees_of_freedom"]),
            xtx_inv=[[float(v) for v in row] for row in data["xtx_inv"]],
            start_date=date.fromisoformat(data["start_date"]),
            end_date=date.fromisoformat(data["end_date"]),
            n_points=int(data["n_points"]),
            last_value=float(data["last_value"]),
        )


def describe(spec: Spec) -> str:
    target = "log1p(followers)" if spec.scale == "log" else "followers"
    text = f"{target} = intercept + trend_per_day * day"
    if spec.weekly:
        text += " + weekday effect (effects-coded, summing to zero over the week)"
    if spec.phi != 1.0:
        text += f"; beyond the last day the daily trend is damped by {spec.phi:g} per day"
    if spec.window:
        text += f"; fitted on the last {spec.window} days"
    return text


def fit(days: Sequence[date], y: FloatArray, spec: Spec) -> TrendModel:
    """Ordinary least squares on the given days (the last `spec.window` of them)."""
    if spec.window:
        days, y = days[-spec.window :], y[-spec.window :]
    t = np.array([(d - days[0]).days for d in days], dtype=np.float64)
    weekday = np.array([d.weekday() for d in days], dtype=np.int64)
    x = _design(t, weekday, spec.weekly)
    z = _to_scale(y, spec.scale)
    beta, *_ = np.linalg.lstsq(x, z, rcond=None)
    residuals = z - x @ beta
    dof = max(len(z) - x.shape[1], 1)
    floor = MIN_RESIDUAL_STD if spec.scale == "raw" else MIN_RESIDUAL_STD / (1.0 + float(y.mean()))
    sigma = max(math.sqrt(float(residuals @ residuals) / dof), floor)
    return TrendModel(
        spec=spec,
        coefficients=[float(b) for b in beta],
        residual_std=sigma,
        dof=dof,
        xtx_inv=np.linalg.pinv(x.T @ x).tolist(),
        start_date=days[0],
        end_date=days[-1],
        n_points=len(days),
        last_value=float(y[-1]),
    )


# --- evaluation ------------------------------------------------------------------------


@dataclass(frozen=True)
class Scores:
    r2: float | None
    mae: float
    rmse: float

    def to_dict(self) -> dict[str, float | None]:
        return {"r2": self.r2, "mae": self.mae, "rmse": self.rmse}


def scores(actual: FloatArray, predicted: FloatArray) -> Scores:
    error = actual - predicted
    ss_tot = float(((actual - actual.mean()) ** 2).sum())
    # R² is undefined on a constant hold-out (every forecast is "infinitely" bad or perfect).
    r2 = None if ss_tot == 0 else 1.0 - float((error**2).sum()) / ss_tot
    return Scores(r2=r2, mae=float(np.abs(error).mean()), rmse=float(np.sqrt((error**2).mean())))


@dataclass(frozen=True)
class Evaluation:
    holdout_start: date
    holdout_end: date
    holdout_days: int
    train_days: int
    model: Scores
    naive: Scores
    chosen: str
    candidates: list[tuple[str, Scores]] = field(default_factory=list)

    @property
    def skill(self) -> float | None:
        """1 - RMSE / naive RMSE: > 0 means better than carrying the last value forward."""
        if self.naive.rmse == 0:
            return None
        return 1.0 - self.model.rmse / self.naive.rmse

    def to_dict(self) -> dict[str, Any]:
        return {
            "holdout_start": self.holdout_start.isoformat(),
            "holdout_end": self.holdout_end.isoformat(),
            "holdout_days": self.holdout_days,
            "train_days": self.train_days,
            "model": self.model.to_dict(),
            "naive": self.naive.to_dict(),
            "skill": self.skill,
            "beats_naive": self.model.rmse < self.naive.rmse,
            "chosen": self.chosen,
            "candidates": [{"name": n, **s.to_dict()} for n, s in self.candidates],
        }


@dataclass(frozen=True)
class ForecastFit:
    model: TrendModel
    evaluation: Evaluation


def _weekly_possible(days: Sequence[date]) -> bool:
    """Weekday effects need every weekday seen at least twice and spare degrees of freedom."""
    counts = np.bincount([d.weekday() for d in days], minlength=7)
    return bool(counts.min() >= 2) and len(days) >= 2 * len(_features(True))


def candidates(days: Sequence[date]) -> list[Spec]:
    windows: list[int | None] = [None]
    if len(days) >= RECENT_WINDOW + 14:
        windows.append(RECENT_WINDOW)
    specs = []
    # Simplest first: on a tie the simpler model wins.
    for window in windows:
        recent = days[-window:] if window else days
        for weekly in (False, True) if _weekly_possible(recent) else (False,):
            for scale in ("raw", "log"):
                specs += [Spec(scale, weekly, phi, window) for phi in DAMPING]
    return specs


def holdout_size(n: int, fraction: float) -> int:
    return max(MIN_HOLDOUT, math.ceil(n * fraction))


def fit_forecast(
    points: Iterable[tuple[datetime, int]], holdout_fraction: float = 0.2
) -> ForecastFit:
    days, y = daily_series(points)
    n = len(days)
    if n < MIN_POINTS:
        raise NotEnoughData(
            f"A forecast needs follower counts on at least {MIN_POINTS} different days; "
            f"this account has {n}. Add account metrics (POST .../metrics or .../metrics/import)."
        )
    n_hold = holdout_size(n, holdout_fraction)
    if n - n_hold < MIN_HOLDOUT:
        raise NotEnoughData(
            f"With holdout_fraction={holdout_fraction:g} only {n - n_hold} of {n} days remain "
            f"to train on; at least {MIN_HOLDOUT} are needed. Lower holdout_fraction."
        )
    train_days, test_days = days[:-n_hold], days[-n_hold:]
    y_train, y_test = y[:-n_hold], y[-n_hold:]

    scored: list[tuple[Spec, Scores]] = []
    for spec in candidates(train_days):
        trial = fit(train_days, y_train, spec)
        scored.append((spec, scores(y_test, trial.predict_dates(test_days))))
    # Candidates go from simple to flexible; on a short hold-out a flexible one can win
    # by luck, so it must beat the best simpler one by a margin to be chosen.
    best_spec, best = scored[0]
    for spec, s in scored[1:]:
        if s.rmse < best.rmse * (1.0 - SELECTION_MARGIN) - 1e-9:
            best_spec, best = spec, s

    naive = scores(y_test, np.full_like(y_test, y_train[-1]))
    evaluation = Evaluation(
        holdout_start=test_days[0],
        holdout_end=test_days[-1],
        holdout_days=n_hold,
        train_days=n - n_hold,
        model=best,
        naive=naive,
        chosen=best_spec.name,
        candidates=[(spec.name, s) for spec, s in scored],
    )
    # The chosen form is refitted on every day, so the stored model uses the newest data.
    return ForecastFit(model=fit(days, y, best_spec), evaluation=evaluation)
