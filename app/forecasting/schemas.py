from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.core.schemas import StrictModel

_SCORES_EXAMPLE: dict[str, Any] = {"r2": 0.97, "mae": 41.2, "rmse": 52.8}
_HOLDOUT_EXAMPLE: dict[str, Any] = {
    "holdout_start": "2026-03-18",
    "holdout_end": "2026-03-31",
    "holdout_days": 14,
    "train_days": 76,
    "model": _SCORES_EXAMPLE,
    "naive": {"r2": -2.9, "mae": 410.0, "rmse": 467.3},
    "skill": 0.887,
    "beats_naive": True,
    "chosen": "raw linear + weekday",
    "candidates": [
        {"name": "naive (last value)", "r2": -2.9, "mae": 410.0, "rmse": 467.3},
        {"name": "raw linear", "r2": 0.91, "mae": 80.1, "rmse": 95.0},
    ],
    "coverage": {
        "band_80": 0.857,
        "band_95": 1.0,
        "calibration_errors": 1308,
        "half_width_80": 61.0,
        "half_width_95": 92.4,
    },
}
_INTERVALS_EXAMPLE: dict[str, Any] = {
    "method": "conformal quantiles of |forecast error| / h^p",
    "exponent": 0.74,
    "q80": 9.6,
    "q95": 14.8,
    "calibration_origins": 60,
    "calibration_errors": 1530,
    "max_horizon": 18,
}
_PARAMETERS_EXAMPLE: dict[str, Any] = {
    "method": "anchored_trend",
    "model": "raw linear + weekday",
    "scale": "raw",
    "trend": "linear",
    "damping": 1.0,
    "weekly": True,
    "features": ["intercept", "trend_per_day", "weekday_mon", "weekday_tue"],
    "coefficients": [12040.5, 31.7, 4.1, 6.0],
    "weekday_effects": {"mon": 4.1, "tue": 6.0, "sun": -8.3},
    "residual_std": 18.4,
    "degrees_of_freedom": 82,
    "start_date": "2026-01-01",
    "end_date": "2026-03-31",
    "n_points": 90,
    "last_value": 14890,
    "anchored": True,
    "intervals": _INTERVALS_EXAMPLE,
    "description": "followers = intercept + trend_per_day * day + weekday effect; the forecast "
    "adds the model's change since the last day to the last value",
}


class ForecastTrain(StrictModel):
    """Train a new forecast version from the account's follower metrics."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"horizon_days": 30, "holdout_fraction": 0.2}]},
    )

    horizon_days: int = Field(
        default=30, ge=1, le=365, description="Default number of days for predictions"
    )
    holdout_fraction: float = Field(
        default=0.2,
        ge=0.1,
        le=0.5,
        description="Share of the most recent days held out to evaluate (at least 7 days)",
    )


class Scores(BaseModel):
    r2: float | None = Field(description="R² on the hold-out days (null if they are constant)")
    mae: float = Field(description="Mean absolute error, in followers")
    rmse: float = Field(description="Root mean squared error, in followers")


class CandidateScores(Scores):
    name: str


class HoldoutCoverage(BaseModel):
    """How honest the bands were on the hold-out, calibrated without seeing it."""

    band_80: float = Field(description="Share of hold-out days inside the 80% band")
    band_95: float = Field(description="Share of hold-out days inside the 95% band")
    calibration_errors: int = Field(
        description="Forecast errors on the training days the bands were calibrated on"
    )
    half_width_80: float = Field(description="The 80% band's half-width on the last hold-out day")
    half_width_95: float = Field(description="The 95% band's half-width on the last hold-out day")


class HoldoutReport(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_HOLDOUT_EXAMPLE]})

    holdout_start: date
    holdout_end: date
    holdout_days: int
    train_days: int
    model: Scores = Field(description="The chosen model fitted on the training days")
    naive: Scores = Field(description="The last training value carried forward")
    skill: float | None = Field(description="1 - RMSE / naive RMSE (> 0: beats the baseline)")
    beats_naive: bool
    chosen: str = Field(
        description="The form kept: the lowest hold-out RMSE, a more flexible form having to "
        "beat a simpler one by 10% (`naive (last value)` when no trend does)"
    )
    candidates: list[CandidateScores] = Field(description="Simplest first")
    coverage: HoldoutCoverage | None = Field(
        default=None,
        description="The hold-out seen through bands calibrated on the training days only; "
        "null when fewer than 20 forecast errors could be computed before the hold-out (a "
        "short history) and for versions trained before the bands were calibrated",
    )


class IntervalCalibration(BaseModel):
    """Half-width at h days ahead = q * h^exponent, from the model's forecast errors."""

    model_config = ConfigDict(json_schema_extra={"examples": [_INTERVALS_EXAMPLE]})

    method: str
    exponent: float = Field(description="How the error grows with the horizon (0.5 to 1)")
    q80: float = Field(description="80% half-width one day ahead, in followers")
    q95: float = Field(description="95% half-width one day ahead, in followers")
    calibration_origins: int = Field(description="Days the model was refitted at and forecast from")
    calibration_errors: int = Field(description="Forecast errors the quantiles are taken over")
    max_horizon: int = Field(description="Longest horizon among them; beyond it h^p extrapolates")


class ForecastParameters(BaseModel):
    """The stored model, as JSON."""

    model_config = ConfigDict(json_schema_extra={"examples": [_PARAMETERS_EXAMPLE]})

    method: str = Field(
        description="`anchored_trend`; `least_squares_trend` for versions trained before "
        "forecasts were anchored and calibrated (they predict as they did)"
    )
    model: str | None = Field(default=None, description="The form's name, as in `chosen`")
    scale: Literal["raw", "log"]
    trend: Literal["none", "linear", "damped"] = Field(
        description="`none`: the naive forecast, no change after the last day"
    )
    damping: float = Field(
        description="Daily damping of the trend beyond the last day (1: none, 0: naive)"
    )
    weekly: bool
    window_days: int | None = Field(
        default=None, description="Fitted on the most recent days only (null: every day)"
    )
    features: list[str]
    coefficients: list[float]
    weekday_effects: dict[str, float] | None
    residual_std: float = Field(description="On the model's scale (followers or log1p)")
    degrees_of_freedom: int
    xtx_inv: list[list[float]] = Field(description="(X'X)^-1, for prediction intervals")
    start_date: date
    end_date: date
    n_points: int
    last_value: float
    anchored: bool = Field(
        default=False, description="Forecasts continue from the last observed value"
    )
    intervals: IntervalCalibration | None = Field(
        default=None,
        description="How the 80% and 95% intervals are computed; null for versions trained "
        "before (their intervals come from the residual standard deviation and leverage)",
    )
    description: str


class ForecastOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    client_id: uuid.UUID
    account_id: uuid.UUID
    version: int
    method: str
    horizon_days: int
    holdout_fraction: float
    n_points: int = Field(description="Days with a follower count used for the final fit")
    train_start: date
    train_end: date
    metrics: HoldoutReport
    parameters: ForecastParameters
    created_at: datetime


class PredictionPoint(BaseModel):
    date: date
    horizon: int = Field(description="Days after the last observed day")
    followers: float
    lower_80: float
    upper_80: float
    lower_95: float
    upper_95: float


class ForecastPrediction(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "version_id": "5b0c7e0e-8f0b-4a53-9d1e-2b1f0c7e9a10",
                    "version": 3,
                    "account_id": "0f6a1c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b",
                    "chosen": "raw linear + weekday",
                    "coverage": _HOLDOUT_EXAMPLE["coverage"],
                    "last_observed": "2026-03-31",
                    "last_value": 14890,
                    "days": 1,
                    "points": [
                        {
                            "date": "2026-04-01",
                            "horizon": 1,
                            "followers": 14921.3,
                            "lower_80": 14911.7,
                            "upper_80": 14930.9,
                            "lower_95": 14906.5,
                            "upper_95": 14936.1,
                        }
                    ],
                }
            ]
        }
    )

    version_id: uuid.UUID
    version: int
    account_id: uuid.UUID
    chosen: str = Field(description="The model form the version kept (see its metrics)")
    coverage: HoldoutCoverage | None = Field(
        description="The version's hold-out coverage by bands calibrated before the hold-out"
    )
    last_observed: date
    last_value: float = Field(description="Day 1 of the forecast continues from this value")
    days: int
    points: list[PredictionPoint]


class ComparedVersion(BaseModel):
    id: uuid.UUID
    version: int
    created_at: datetime
    chosen: str
    n_points: int
    train_start: date
    train_end: date
    holdout_start: date
    holdout_end: date
    rmse: float
    mae: float
    r2: float | None
    naive_rmse: float
    skill: float | None
    coverage: HoldoutCoverage | None


class ForecastComparison(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "criterion": "hold-out RMSE (lower is better)",
                    "best_version_id": "5b0c7e0e-8f0b-4a53-9d1e-2b1f0c7e9a10",
                    "items": [],
                }
            ]
        }
    )

    criterion: str = Field(
        description="Each version is scored on its own most recent days, so compare versions "
        "trained on similar windows"
    )
    best_version_id: uuid.UUID | None
    items: list[ComparedVersion] = Field(description="Newest first")
