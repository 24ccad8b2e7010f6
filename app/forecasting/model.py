"""Follower forecasting math: least squares on a trend and weekday effects (numpy only).

The model for one account's daily follower count y on day t (days since the first
observation), on the raw scale or on log1p(y):

    y_t = b0 + b1 * trend(t) + sum_w e_w * weekday_w(t) + noise

`weekday_w` is effects-coded (Mon..Sat are +1 on their day, Sunday is -1 on all six),
so b0 is the level averaged over the week and the seven weekday effects sum to zero.
In-sample `trend(t) = t`; beyond the last observed day the slope may be damped,
`trend(t_last + h) = t_last + phi + phi^2 + ... + phi^h`, as in Holt's damped trend.

The forecast is anchored on the last observation: day h ahead is the last observed value
plus the model's change from the last day to that day (on the model's scale), so the path
continues from where the account is, never from where the fitted line happens to pass.
With phi = 0 nothing changes after the last day: that is the naive forecast.

Candidates (the naive forecast; raw / log scale, with / without weekday effects, phi in
DAMPING, fitted on every day or on the last RECENT_WINDOW days only) are fitted on all
days but the last 20% (at least 7) and scored on those hold-out days. The best by
hold-out RMSE is kept (a more flexible form must beat a simpler one by 10%), refitted on
the same span of the newest days and returned as a JSON-ready `TrendModel`.

Prediction intervals come from the model's own forecast errors, not from its residuals:
the chosen form is refitted at each of the last CALIBRATION_ORIGINS days (on the days
before it) and its forecasts of the following days are compared with what happened. The
error grows with the horizon h as h^p (p between 0.5, a random walk, and 1, a wrong
slope, fitted on those errors), and the 80% and 95% half-widths are the conformal
quantiles of |error| / h^p times h^p. The hold-out's bands are calibrated the same way on
the training days only, and the share of hold-out days inside them is reported.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
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
# Forecasts from this many of the most recent days calibrate the intervals.
CALIBRATION_ORIGINS = 60
# Fewer forecast errors before the hold-out than this: its coverage is not reported.
MIN_CALIBRATION_ERRORS = 20
# Bounds of the exponent p in "the error grows as h^p".
EXPONENT_RANGE = (0.5, 1.0)
Z80, Z95 = 1.2816, 1.9600
# Followers are integers: rounding alone leaves ~0.29 of noise, so a perfect fit still
# gets intervals at least this wide (in followers) instead of zero-width ones.
MIN_RESIDUAL_STD = 0.5
METHOD = "anchored_trend"
# Versions trained before the forecasts were anchored and calibrated (issue 11) keep
# predicting as they did: from the fitted line, with intervals from the residuals.
LEGACY_METHOD = "least_squares_trend"
NAIVE_NAME = "naive (last value)"


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
    def naive(self) -> bool:
        return self.phi == 0.0

    @property
    def name(self) -> str:
        if self.naive:
            return NAIVE_NAME
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
    if phi == 0.0:
        return np.full_like(h, float(t_last))
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


def _conformal_quantile(values: FloatArray, level: float) -> float:
    """The ceil((n + 1) * level)-th smallest value (the largest when n is too small)."""
    ordered = np.sort(values)
    k = min(math.ceil((len(ordered) + 1) * level), len(ordered))
    return float(ordered[k - 1])


@dataclass(frozen=True)
class Intervals:
    """Half-widths q * h^p, calibrated on the model's own forecast errors."""

    exponent: float
    q80: float
    q95: float
    calibration_origins: int  # forecast origins whose errors were used
    calibration_errors: int  # (origin, day) errors used
    max_horizon: int  # the longest horizon among them; beyond it h^p extrapolates

    def half_widths(self, horizon: NDArray[np.int64]) -> tuple[FloatArray, FloatArray]:
        scale = np.maximum(horizon, 1).astype(np.float64) ** self.exponent
        return self.q80 * scale, self.q95 * scale

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": "conformal quantiles of |forecast error| / h^p",
            "exponent": self.exponent,
            "q80": self.q80,
            "q95": self.q95,
            "calibration_origins": self.calibration_origins,
            "calibration_errors": self.calibration_errors,
            "max_horizon": self.max_horizon,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Intervals:
        return cls(
            exponent=float(data["exponent"]),
            q80=float(data["q80"]),
            q95=float(data["q95"]),
            calibration_origins=int(data["calibration_origins"]),
            calibration_errors=int(data["calibration_errors"]),
            max_horizon=int(data["max_horizon"]),
        )


def calibrate(errors: Sequence[tuple[int, float]], origins: int) -> Intervals:
    """Intervals from (horizon, actual - forecast) pairs, in followers.

    The exponent p comes from a straight line through log(mean |error|) per horizon
    against log(h), kept within EXPONENT_RANGE; the quantiles are those of |error| / h^p
    over every pair. Followers are integers, so widths never go below rounding noise.
    """
    h = np.array([e[0] for e in errors], dtype=np.float64)
    a = np.abs(np.array([e[1] for e in errors], dtype=np.float64))
    exponent = EXPONENT_RANGE[0]
    levels = [(k, float(a[h == k].mean())) for k in np.unique(h) if (h == k).sum() >= 3]
    levels = [(k, m) for k, m in levels if m > 0]
    if len(levels) >= 3:
        slope = np.polyfit(np.log([k for k, _ in levels]), np.log([m for _, m in levels]), 1)[0]
        exponent = float(np.clip(slope, *EXPONENT_RANGE))
    ratio = a / h**exponent if len(a) else np.zeros(1)
    q80 = max(_conformal_quantile(ratio, 0.80), Z80 * MIN_RESIDUAL_STD)
    # Strictly nested bands, at least as far apart as a normal distribution puts them.
    q95 = max(_conformal_quantile(ratio, 0.95), q80 * Z95 / Z80)
    return Intervals(
        exponent=exponent,
        q80=q80,
        q95=q95,
        calibration_origins=origins,
        calibration_errors=len(a),
        max_horizon=int(h.max()) if len(h) else 0,
    )


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
    # False only for versions stored before forecasts were anchored (LEGACY_METHOD).
    anchored: bool = True
    # None: intervals from the residuals and the leverage (legacy versions, trial fits).
    intervals: Intervals | None = None

    @property
    def t_last(self) -> int:
        return (self.end_date - self.start_date).days

    def weekday_effects(self) -> dict[str, float] | None:
        if not self.spec.weekly:
            return None
        six = self.coefficients[2:8]
        return dict(zip(WEEKDAYS, [*six, -sum(six)], strict=True))

    def _design(self, days: Sequence[date]) -> FloatArray:
        t = np.array([(d - self.start_date).days for d in days], dtype=np.int64)
        ahead = np.maximum(t - self.t_last, 0)
        trend = np.where(
            ahead > 0, _damped_trend(self.t_last, ahead, self.spec.phi), t.astype(np.float64)
        )
        weekday = np.array([d.weekday() for d in days], dtype=np.int64)
        return _design(trend, weekday, self.spec.weekly)

    def _mean(self, days: Sequence[date]) -> FloatArray:
        """On the model's scale; after the last day, anchored on the last observation."""
        beta = np.array(self.coefficients)
        mean = self._design(days) @ beta
        if self.anchored:
            fitted_last = float((self._design([self.end_date]) @ beta)[0])
            offset = float(_to_scale(np.array([self.last_value]), self.spec.scale)[0]) - fitted_last
            after = np.array([d > self.end_date for d in days])
            mean = np.where(after, mean + offset, mean)
        return mean

    def _leverage_se(self, days: Sequence[date]) -> FloatArray:
        x = self._design(days)
        leverage = np.einsum("ij,jk,ik->i", x, np.array(self.xtx_inv), x)
        return self.residual_std * np.sqrt(1.0 + np.maximum(leverage, 0.0))

    def predict_dates(self, days: Sequence[date]) -> FloatArray:
        return np.maximum(_from_scale(self._mean(days), self.spec.scale), 0.0)

    def forecast(self, days: Sequence[date]) -> Prediction:
        """Points and 80% / 95% bands for days after the last observed day, in order."""
        horizon = np.array([(d - self.end_date).days for d in days], dtype=np.int64)
        mean = self._mean(days)
        point = np.maximum(_from_scale(mean, self.spec.scale), 0.0)
        if self.intervals is not None:
            hw80, hw95 = self.intervals.half_widths(horizon)
            return Prediction(
                dates=list(days),
                horizon=horizon,
                point=point,
                lower_80=np.maximum(point - hw80, 0.0),
                upper_80=point + hw80,
                lower_95=np.maximum(point - hw95, 0.0),
                upper_95=point + hw95,
            )
        # Uncertainty never shrinks further out (leverage wobbles with the weekday terms).
        se = np.maximum.accumulate(self._leverage_se(days))
        from scipy import stats  # imported on use: scipy is heavy for every API worker

        q80 = float(stats.t.ppf(0.90, self.dof))
        q95 = float(stats.t.ppf(0.975, self.dof))

        def bound(q: float) -> FloatArray:
            return np.maximum(_from_scale(mean + q * se, self.spec.scale), 0.0)

        return Prediction(
            dates=list(days),
            horizon=horizon,
            point=point,
            lower_80=bound(-q80),
            upper_80=bound(q80),
            lower_95=bound(-q95),
            upper_95=bound(q95),
        )

    def predict(self, n_days: int) -> Prediction:
        return self.forecast([self.end_date + timedelta(days=h) for h in range(1, n_days + 1)])

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": METHOD if self.anchored else LEGACY_METHOD,
            "model": self.spec.name,
            "scale": self.spec.scale,
            "trend": _trend_kind(self.spec),
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
            "anchored": self.anchored,
            "intervals": self.intervals.to_dict() if self.intervals else None,
            "description": describe(self.spec, anchored=self.anchored),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrendModel:
        intervals = data.get("intervals")
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
            anchored=data.get("method") != LEGACY_METHOD,
            intervals=Intervals.from_dict(intervals) if intervals else None,
        )


def _trend_kind(spec: Spec) -> str:
    if spec.naive:
        return "none"
    return "linear" if spec.phi == 1.0 else "damped"


def describe(spec: Spec, *, anchored: bool = True) -> str:
    if spec.naive:
        return "followers = the last observed value, carried forward"
    target = "log1p(followers)" if spec.scale == "log" else "followers"
    text = f"{target} = intercept + trend_per_day * day"
    if spec.weekly:
        text += " + weekday effect (effects-coded, summing to zero over the week)"
    if spec.phi != 1.0:
        text += f"; beyond the last day the daily trend is damped by {spec.phi:g} per day"
    if spec.window:
        text += f"; fitted on the last {spec.window} days"
    if anchored:
        text += "; the forecast adds the model's change since the last day to the last value"
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


def backtest(
    days: Sequence[date], y: FloatArray, spec: Spec, max_horizon: int
) -> tuple[int, list[tuple[int, float]]]:
    """Forecast errors of `spec` from each of the last CALIBRATION_ORIGINS days.

    At each origin the model is fitted on the days up to it and forecasts the following
    days (up to `max_horizon` days ahead, never past the given days). Returns the number
    of origins used and the (horizon in days, actual - forecast) pairs.
    """
    n = len(days)
    used, errors = 0, []
    for end in range(max(MIN_HOLDOUT, n - 1 - CALIBRATION_ORIGINS), n - 1):
        known = days[: end + 1]
        if spec.weekly and not _weekly_possible(known[-spec.window :] if spec.window else known):
            continue
        model = fit(known, y[: end + 1], spec)
        ahead = [i for i in range(end + 1, n) if (days[i] - days[end]).days <= max_horizon]
        if not ahead:
            continue
        predicted = model.predict_dates([days[i] for i in ahead])
        used += 1
        errors += [
            ((days[i] - days[end]).days, float(y[i] - p))
            for i, p in zip(ahead, predicted, strict=True)
        ]
    return used, errors


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
class Coverage:
    """Share of hold-out days inside bands calibrated on the training days only."""

    band_80: float
    band_95: float
    calibration_errors: int
    # Half-widths at the hold-out's last day, to set beside its errors.
    half_width_80: float
    half_width_95: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "band_80": self.band_80,
            "band_95": self.band_95,
            "calibration_errors": self.calibration_errors,
            "half_width_80": self.half_width_80,
            "half_width_95": self.half_width_95,
        }


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
    coverage: Coverage | None = None

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
            "coverage": self.coverage.to_dict() if self.coverage else None,
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
    # Simplest first: on a tie the simpler model wins; nothing beats the naive forecast
    # by luck alone.
    specs = [Spec("raw", False, 0.0)]
    for window in windows:
        recent = days[-window:] if window else days
        for weekly in (False, True) if _weekly_possible(recent) else (False,):
            for scale in ("raw", "log"):
                specs += [Spec(scale, weekly, phi, window) for phi in DAMPING]
    return specs


def holdout_size(n: int, fraction: float) -> int:
    return max(MIN_HOLDOUT, math.ceil(n * fraction))


def _coverage(
    trial: TrendModel,
    train_days: Sequence[date],
    y_train: FloatArray,
    test_days: Sequence[date],
    y_test: FloatArray,
) -> Coverage | None:
    """The hold-out seen through bands calibrated on the training days alone."""
    horizon = (test_days[-1] - train_days[-1]).days
    origins, errors = backtest(train_days, y_train, trial.spec, horizon)
    if len(errors) < MIN_CALIBRATION_ERRORS:
        return None
    intervals = calibrate(errors, origins)
    bands = replace(trial, intervals=intervals).forecast(test_days)
    return Coverage(
        band_80=float(np.mean((bands.lower_80 <= y_test) & (y_test <= bands.upper_80))),
        band_95=float(np.mean((bands.lower_95 <= y_test) & (y_test <= bands.upper_95))),
        calibration_errors=len(errors),
        half_width_80=float(bands.upper_80[-1] - bands.point[-1]),
        half_width_95=float(bands.upper_95[-1] - bands.point[-1]),
    )


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

    scored: list[tuple[TrendModel, Scores]] = []
    for spec in candidates(train_days):
        trial = fit(train_days, y_train, spec)
        scored.append((trial, scores(y_test, trial.predict_dates(test_days))))
    # Candidates go from simple to flexible; on a short hold-out a flexible one can win
    # by luck, so it must beat the best simpler one by a margin to be chosen.
    best_trial, best = scored[0]
    for trial, s in scored[1:]:
        if s.rmse < best.rmse * (1.0 - SELECTION_MARGIN) - 1e-9:
            best_trial, best = trial, s

    naive = scores(y_test, np.full_like(y_test, y_train[-1]))
    evaluation = Evaluation(
        holdout_start=test_days[0],
        holdout_end=test_days[-1],
        holdout_days=n_hold,
        train_days=n - n_hold,
        model=best,
        naive=naive,
        chosen=best_trial.spec.name,
        candidates=[(trial.spec.name, s) for trial, s in scored],
        coverage=_coverage(best_trial, train_days, y_train, test_days, y_test),
    )
    # The chosen form is refitted on the newest days, its intervals calibrated on its
    # forecasts over the whole series (the hold-out included: the most recent errors).
    final = fit(days, y, best_trial.spec)
    origins, errors = backtest(days, y, best_trial.spec, (test_days[-1] - train_days[-1]).days)
    return ForecastFit(
        model=replace(final, intervals=calibrate(errors, origins)), evaluation=evaluation
    )
